"""`compile_model`: ONNX model -> `CompiledModel` (accelerator layers + host steps).

Pipeline: load and validate (`loader`), find the quantized GEMM-shaped operators (`recognise`), rewrite
exactly (`rewrite`: sink layout ops, collapse quantized elementwise chains into tables, fuse identity/ReLU
tables into layers), then place every remaining node: accelerator layer, built-in host operator, or -- only
with ``allow_host_ops=True`` -- a float GEMM on the host or an onnxruntime single-node fallback.  Nodes that
cannot be placed are reported together in one `UnsupportedOpError`.

Quantized adds (QLinearAdd, and the QDQ adds onnxruntime fuses into it) move to the accelerator's
residual add only when that reproduces onnxruntime on every code pair (`resadd`); the compile notes say
why the others stay on the host.  Finally each layer's requantization is placed: on the accelerator
when ACC_SCALE reproduces onnxruntime exactly (int8-domain output zero point 0, one scale per tensor
or, with ``per_channel_requant="accelerator"``, one scale per output column), else on the host from
the int32 full-width accumulators.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from ..config import GemminiConfig, preset
from .errors import CompilerError, UnsupportedOpError
from .gemm_executor import check_config
from .gemm_layer import GemmLayer, QuantOutput
from .graph import INTERNAL_DOMAIN, Graph, Node
from .host_ops import FALLBACK_FLOAT_OPS, HOST_OPS, QuantizedAdd, quantize_output_dtype
from .loader import ModelSource, bind_inputs, build_graph, load_model
from .ort_fallback import OrtNodeRunner
from .program import CompiledModel, Step
from .recognise import recognise_layers
from .resadd import ResaddLayer, plan_resadd
from .rewrite import optimise

__all__ = ["compile_model", "PER_CHANNEL_CHOICES"]

PER_CHANNEL_CHOICES = ("host", "accelerator")

_INT_TYPES = {np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32)}
_FLOAT_ONLY = {"AveragePool", "GlobalAveragePool", "Softmax", "BatchNormalization"}


def compile_model(model: ModelSource, *, constants: Mapping[str, np.ndarray] | None = None,
                  allow_host_ops: bool = False, per_channel_requant: str = "host",
                  config: GemminiConfig | None = None) -> CompiledModel:
    """Compile a quantized ONNX model (QDQ or QOperator form) for the accelerator described by `config`.

    `constants` binds graph inputs to fixed arrays (quantization parameters must be constants).
    `allow_host_ops` lets float Conv/MatMul/Gemm and operators without a built-in implementation run on
    the host instead of failing.  `per_channel_requant` places per-output-channel requantization:
    "host" (full-width accumulators, host requantization) or "accelerator" (one mvout per column).
    """
    config = config if config is not None else preset("default")
    check_config(config)
    if per_channel_requant not in PER_CHANNEL_CHOICES:
        raise CompilerError(f"per_channel_requant must be one of {', '.join(PER_CHANNEL_CHOICES)}, "
                            f"got {per_channel_requant!r}")
    proto = load_model(model)
    if constants:
        proto = bind_inputs(proto, constants)
    graph = build_graph(proto)
    recognise_layers(graph)
    optimise(graph)

    steps, problems, notes = [], [], []
    for node in graph.nodes:
        step, problem = _place(graph, node, allow_host_ops)
        if problem:
            problems.append((node, problem))
        else:
            steps.append(_place_add(graph, node, step, config, notes))
    if problems:
        raise UnsupportedOpError(_describe(problems, allow_host_ops))
    for step in steps:
        if isinstance(step.layer, GemmLayer):
            notes.extend(_plan_requant(step.layer, config, per_channel_requant))
    return CompiledModel(graph.inputs, graph.outputs, steps, graph.constants, config, notes)


def _describe(problems: list[tuple[Node, str]], allow_host_ops: bool) -> str:
    by_op: dict[str, list[str]] = {}
    reasons = []
    for node, problem in problems:
        op = node.op if node.domain in ("", INTERNAL_DOMAIN) else f"{node.domain}.{node.op}"
        by_op.setdefault(op, []).append(repr(node.name))
        if problem != "unsupported" and problem not in reasons:
            reasons.append(problem)
    listing = "; ".join(f"{op} ({', '.join(names)})" for op, names in by_op.items())
    hint = "" if allow_host_ops else (
        "; quantize the model (gemmini_gen.compiler.quantize) or pass allow_host_ops=True to run "
        "them on the host")
    detail = f" [{'; '.join(reasons)}]" if reasons else ""
    return f"unsupported operators: {listing}{detail}{hint}"


def _place(graph: Graph, node: Node, allow_host_ops: bool) -> tuple[Step | None, str]:
    if node.domain == INTERNAL_DOMAIN:
        if node.op == "Gemm":
            layer: GemmLayer = node.payload
            return Step(node.name, layer.op, "accelerator", node.sources, list(node.inputs),
                        list(node.outputs), layer=layer), ""
        payload = node.payload                  # Lut or QuantizedAdd: apply(*inputs) -> output
        return Step(node.name, node.op, "host", node.sources, list(node.inputs), list(node.outputs),
                    host=lambda args, payload=payload: [payload.apply(*args)]), ""
    key = (node.domain, node.op)
    problem = _builtin_problem(graph, node) if key in HOST_OPS else "unsupported"
    if not problem:
        return _host_step(node, partial(HOST_OPS[key], node)), ""
    if not allow_host_ops:
        return None, problem
    if key in FALLBACK_FLOAT_OPS:
        return _host_step(node, partial(FALLBACK_FLOAT_OPS[key], node)), ""
    runner = OrtNodeRunner(graph, node)
    return Step(node.name, node.op, "host", node.sources, list(node.inputs), list(node.outputs),
                host=lambda args, runner=runner, node=node: runner(dict(zip(node.inputs, args)))), ""


def _place_add(graph: Graph, node: Node, step: Step, config: GemminiConfig, notes: list[str]) -> Step:
    """A quantized add moves to the accelerator's residual add when that is exact (`resadd`);
    otherwise it stays on the host and a note says why.  Any other step is returned as it is."""
    if node.domain == INTERNAL_DOMAIN and isinstance(node.payload, QuantizedAdd):
        add, operands = node.payload, (0, 1)
    elif (node.domain, node.op) == ("com.microsoft", "QLinearAdd"):
        add, operands = _constant_qlinear_add(graph, node), (0, 3)
        if add is None:
            notes.append(f"{node.name}: {node.op} stays on the host (its scales and zero points are "
                         f"not constants)")
            return step
    else:
        return step
    scales, reason = plan_resadd(add, config)
    if scales is None:
        notes.append(f"{node.name}: {node.op} stays on the host ({reason})")
        return step
    layer = ResaddLayer(node.name, node.op, add.dtype, operands, scales)
    return Step(node.name, node.op, "accelerator", node.sources, list(node.inputs), list(node.outputs),
                layer=layer)


def _constant_qlinear_add(graph: Graph, node: Node) -> QuantizedAdd | None:
    """The `QuantizedAdd` of a QLinearAdd node whose quantization parameters are constants."""
    params = [graph.constant(node.input(i)) for i in (1, 2, 4, 5, 6, 7)]
    dtype = graph.dtypes.get(node.input(0))
    if any(params[i] is None or params[i].size != 1 for i in (0, 2, 4)) or dtype is None:
        return None
    if any(params[i] is not None and params[i].size != 1 for i in (1, 3, 5)):
        return None
    scales = [float(params[i].reshape(())) for i in (0, 2, 4)]
    zps = [0 if params[i] is None else int(params[i].reshape(())) for i in (1, 3, 5)]
    return QuantizedAdd(scales[0], zps[0], scales[1], zps[1], scales[2], zps[2], dtype)


def _host_step(node: Node, fn) -> Step:
    return Step(node.name, node.op, "host", node.sources, list(node.inputs), list(node.outputs), host=fn)


def _builtin_problem(graph: Graph, node: Node) -> str:
    """Why the built-in implementation cannot run this node ("" if it can)."""
    dtype = graph.dtypes.get(node.input(0))
    if node.op in _FLOAT_ONLY and dtype is not None and dtype != np.float32:
        return f"{node.label} needs float32 input, got {dtype}"
    if node.op == "MaxPool" and len([o for o in node.outputs if o]) != 1:
        return f"{node.label}: the Indices output is not supported"
    if node.op == "BatchNormalization" and (node.attrs.get("training_mode", 0) or len(node.outputs) > 1):
        return f"{node.label}: training mode is not supported"
    if node.op in ("QuantizeLinear", "DequantizeLinear"):
        int_name = node.outputs[0] if node.op == "QuantizeLinear" else node.input(0)
        int_dtype = graph.dtypes.get(int_name)
        if node.op == "QuantizeLinear" and int_dtype is None:
            int_dtype = quantize_output_dtype(node, graph.constant(node.input(2)))
        scale_dtype = graph.dtypes.get(node.input(1))
        if int_dtype is not None and int_dtype not in _INT_TYPES:
            return f"{node.label}: {int_dtype} data is not supported"
        if scale_dtype not in (None, np.dtype(np.float32)):
            return f"{node.label}: {scale_dtype} scales are not supported"
    return ""


def _plan_requant(layer: GemmLayer, config: GemminiConfig, per_channel: str) -> list[str]:
    notes = []
    out = layer.output
    if isinstance(out, QuantOutput):
        m = out.multiplier
        if m.ndim == 1 and np.all(m == m[0]):
            out.multiplier = m[0].reshape(())          # equal per-channel multipliers: one scale
        per_column = out.multiplier.ndim == 1
        reasons = []
        if config.acc_scale != "fp32" or not config.acc_read_small_width:
            reasons.append(f"config {config.name!r} has no fp32 accumulator scaling")
        if out.int8_zero_point != 0:
            reasons.append(f"output zero point {out.zero_point} ({out.dtype}) is not 0 in the int8 domain")
        if per_column and per_channel == "host":
            reasons.append("per-channel multipliers (per_channel_requant='host')")
        layer.host_requant = bool(reasons)
        if reasons:
            notes.append(f"{layer.name}: requantized on the host from int32 ({'; '.join(reasons)})")
    needs_full_width = layer.host_requant or not isinstance(out, QuantOutput)
    if needs_full_width and not config.acc_read_full_width:
        raise CompilerError(f"accelerator layer {layer.name!r} needs full-width (int32) accumulator "
                            f"output but config {config.name!r} has acc_read_full_width = false")
    return notes
