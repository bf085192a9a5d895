"""ONNX models as performance-model workloads: the accelerator layers the compiler would run.

Importing this module registers an ``.onnx`` loader with `gemmini_gen.perf`, so `load_workload`,
`gemmini-estimate model.onnx` and `gemmini-dse` read ONNX models:

    lower(path, symbols=None) -> list[Layer]      # one Layer per accelerator layer, in order

The shapes are not re-derived from the graph: the model is compiled and run once on zero inputs through
an executor that records every `GemmCall`, so each `Layer` is exactly what the executors are handed --
the same GEMMs, after the same rewrites.  Symbolic input dimensions take their value from `symbols`
(``--symbol N=8`` for a batch of 8) or 1.

* A 2-D (or 1-D, as height 1) convolution without dilation becomes a ``conv`` layer with its
  `ConvShape` (padding from the start of each axis; the output size is the one compiled);
  depthwise convolutions (one input channel per group) a ``depthwise`` layer; other grouped
  convolutions a ``conv`` layer of per-group channels and filters with ``groups`` GEMMs.
* Everything else (matrix products, dilated or 3-D convolutions) is a ``gemm`` layer; a layer that
  runs several equal GEMMs (a batched MatMul) has them as ``groups``.

A float model has no accelerator layers until it is quantized; the layer shapes do not depend on the
quantization parameters, so a model whose Conv/MatMul/Gemm are float is quantized with random
calibration data first, only to find its layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..perf import ConvShape, Layer, LayerKind, Workload, WorkloadError, register_loader
from .errors import CompilerError
from .gemm_executor import GemmCall, GemmResult, ReferenceGemmExecutor
from .graph import ValueInfo
from .host_ops import FALLBACK_FLOAT_OPS
from .lowering import compile_model
from .program import CompiledModel
from .quantize import quantize

__all__ = ["lower", "load_onnx_workload"]

_FLOAT_GEMM_OPS = {op for _, op in FALLBACK_FLOAT_OPS}


class _RecordingExecutor(ReferenceGemmExecutor):
    """The reference executor, remembering every call it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[GemmCall] = []

    def run(self, call: GemmCall) -> GemmResult:
        self.calls.append(call)
        return super().run(call)


def lower(path: str | Path, symbols: Mapping[str, int] | None = None) -> list[Layer]:
    """The accelerator layers of the ONNX model at `path` (see the module docstring)."""
    symbols = dict(symbols or {})
    try:
        compiled = compile_model(path, allow_host_ops=True)
        if any(step.op in _FLOAT_GEMM_OPS for step in compiled.steps):
            calibration = {vi.name: _zeros(vi, symbols, random=True) for vi in compiled.inputs}
            compiled = compile_model(quantize(path, calibration), allow_host_ops=True)
        recorder = _RecordingExecutor()
        compiled.run({vi.name: _zeros(vi, symbols) for vi in compiled.inputs}, recorder)
    except CompilerError as e:
        raise WorkloadError(f"{path}: {e}") from None
    layers = _layers(compiled, recorder.calls)
    if not layers:
        raise WorkloadError(f"{path}: the model has no layer the accelerator runs")
    return layers


def load_onnx_workload(path: Path, *, symbols: Mapping[str, int] | None = None, **_options) -> Workload:
    """The `gemmini_gen.perf` loader for ``.onnx`` files."""
    return Workload(name=Path(path).stem, layers=tuple(lower(path, symbols)), source=str(path))


def _zeros(vi: ValueInfo, symbols: Mapping[str, int], random: bool = False) -> np.ndarray:
    """A (zero or, for calibration, uniformly random) input of `vi`'s shape, symbols bound."""
    if vi.shape is None:
        raise CompilerError(f"input {vi.name!r} has no declared shape")
    shape = []
    for dim in vi.shape:
        if isinstance(dim, int):
            shape.append(dim)
        elif dim in symbols:
            shape.append(int(symbols[dim]))
        else:
            shape.append(1)
    if random:
        return np.random.default_rng(0).uniform(0, 1, (8 * shape[0], *shape[1:])).astype(vi.dtype)
    return np.zeros(shape, vi.dtype)


def _layers(compiled: CompiledModel, calls: list[GemmCall]) -> list[Layer]:
    layers = []
    for step in compiled.accelerator_steps:
        mine = [c for c in calls if c.layer == step.name]
        if not mine:
            continue                                # a residual add: no GEMM to model
        first = mine[0]
        geometry = first.conv
        if geometry is not None and len(geometry.kernel) <= 2 and set(geometry.dilations) == {1}:
            layers.append(_conv_layer(step.name, first, len(mine)))
        elif len({c.shape for c in mine}) == 1:
            m, n, k = first.shape
            layers.append(Layer(step.name, LayerKind.GEMM, m, n, k, groups=len(mine)))
        else:
            layers += [Layer.gemm(f"{step.name}#{i}", *c.shape) for i, c in enumerate(mine)]
    return layers


def _conv_layer(name: str, call: GemmCall, groups: int) -> Layer:
    g = call.conv
    spatial = g.input_shape[2:]
    kernel, strides, out, pads = g.kernel, g.strides, g.out_shape, g.pads_begin
    if len(kernel) == 1:
        spatial, kernel, strides, out, pads = ((1, *spatial), (1, *kernel), (1, *strides), (1, *out),
                                               (0, *pads))
    channels = call.a.shape[1] // int(np.prod(kernel))
    m, n, _ = call.shape
    shape = ConvShape(ifmap_h=spatial[0], ifmap_w=spatial[1], filter_h=kernel[0], filter_w=kernel[1],
                      channels=channels, num_filters=n, stride_h=strides[0], stride_w=strides[1],
                      ofmap_h=out[0], ofmap_w=out[1], pad_h=pads[0], pad_w=pads[1],
                      batch=g.input_shape[0])
    if groups > 1 and channels == 1:
        shape = ConvShape(**{**vars(shape), "channels": groups})
        return Layer.depthwise(name, shape)
    layer = Layer.from_conv(name, shape)
    assert (layer.M, layer.K) == (m, call.shape[2]), f"{name}: conv layer does not match its GEMM"
    return Layer(name, LayerKind.CONV, layer.M, layer.N, layer.K, groups, shape)


register_loader(".onnx", load_onnx_workload)
