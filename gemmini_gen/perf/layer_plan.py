"""A workload `Layer` lowered the way the project runs it: the tiler's `MatmulPlan` and where each
operand lives in DRAM (row pitches and per-job offsets), for the DMA costs.

Conventions (those of the compiler's quantized layers, `gemmini_gen.compiler.gemm_layer`):

* a layer's output stage is its own (`Layer.bias`, `relu`, `full_output`); by default an int32
  bias per output channel (`bias="row"`, broadcast with DRAM stride 0) and an input-width output
  (ACC_SCALE); the output is full width when the layer asks for it or the config cannot read the
  accumulator at input width;
* a GEMM is `plan_matmul(M, N, K)` with A (M x K), B (K x N) and C (M x N) row-major;
* a convolution is `plan_conv` in NHWC: pointwise ones read the input in place, the others its
  im2col matrix, built on the host (the accelerator reads M x K bytes, not the feature map);
  depthwise layers are `groups = channels` convolutions, one GEMM job per channel, in one program;
* a SCALE-Sim convolution counts a partial window at the bottom/right edge (its output size is
  `ceil((H - F + s) / s)`); the tiler rounds down, so the missing rows/columns become padding on
  that edge and both agree on M.

`tiler_call` is that call (`TilerCall.plan` gives the plan, `TilerCall.program` the program to run
on a backend); `plan_layer` adds the DRAM geometry the DMA costs depend on (the tiler's regions:
one per operand).  The tiler stays the one source of truth for tiles, steps and command counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import GemminiConfig
from ..tiling import (MatmulPlan, TiledProgram, conv_shape, plan_conv, plan_matmul,
                      tiled_conv_auto, tiled_matmul_auto)
from .layer import Layer, LayerKind

__all__ = ["LayerPlan", "OperandLayout", "TilerCall", "plan_layer", "tiler_call"]


@dataclass(frozen=True)
class OperandLayout:
    """An operand in DRAM: `pitch` bytes between rows, `elem` bytes per element, `job_offsets`
    the byte offset of each job's element (0, 0) (grouped convolutions share one region)."""

    pitch: int
    elem: int
    job_offsets: tuple[int, ...]


@dataclass(frozen=True)
class TilerCall:
    """The tiler call that runs a layer: `tiled_matmul_auto(cfg, *args, **options)` (kind
    "matmul") or `tiled_conv_auto` ("conv"); `plan` gives its plan without building it, `program`
    the program itself (to run on a backend, e.g. for calibration against the RTL)."""

    kind: str
    args: tuple
    options: tuple[tuple[str, object], ...]

    def plan(self, cfg: GemminiConfig) -> MatmulPlan:
        planner = plan_matmul if self.kind == "matmul" else plan_conv
        return planner(cfg, *self.args, **dict(self.options))

    def program(self, cfg: GemminiConfig) -> TiledProgram:
        builder = tiled_matmul_auto if self.kind == "matmul" else tiled_conv_auto
        return builder(cfg, *self.args, **dict(self.options))


@dataclass(frozen=True)
class LayerPlan:
    """The tiler's plan of a layer and the DRAM layout of its operands A, B, D (bias; None
    without one), C."""

    call: TilerCall
    plan: MatmulPlan
    a: OperandLayout
    b: OperandLayout
    d: OperandLayout | None
    c: OperandLayout
    full_output: bool


def tiler_call(layer: Layer, cfg: GemminiConfig, dataflow: str) -> TilerCall:
    """The call lowering `layer` onto `cfg` with `dataflow` ("ws" or "os")."""
    common = (("full_output", layer.full_output or not cfg.acc_read_small_width),
              ("activation", "relu" if layer.relu else "none"), ("dataflow", dataflow.upper()))
    if layer.conv is None:
        return TilerCall("matmul", (layer.M, layer.N, layer.K),
                         (("bias", "row" if layer.bias else None), *common))
    c = layer.conv
    groups = c.channels if layer.kind is LayerKind.DEPTHWISE else 1
    # Extra bottom/right padding that makes floor rounding give the layer's output size.
    extra_h = max(0, (c.ofmap_h - 1) * c.stride_h + c.filter_h - (c.ifmap_h + 2 * c.pad_h))
    extra_w = max(0, (c.ofmap_w - 1) * c.stride_w + c.filter_w - (c.ifmap_w + 2 * c.pad_w))
    input_shape = (c.batch, c.ifmap_h, c.ifmap_w, c.channels)
    weight_shape = (c.num_filters * groups, c.channels // groups, c.filter_h, c.filter_w)
    return TilerCall("conv", (input_shape, weight_shape), (
        ("layout", "NHWC"), ("stride", (c.stride_h, c.stride_w)),
        ("padding", (c.pad_h, c.pad_w, c.pad_h + extra_h, c.pad_w + extra_w)),
        ("groups", groups), ("bias", layer.bias), *common))


def plan_layer(layer: Layer, cfg: GemminiConfig, dataflow: str) -> LayerPlan:
    """Lower `layer` onto `cfg` with `dataflow` ("ws" or "os"); `TilingError` if it cannot."""
    call = tiler_call(layer, cfg, dataflow)
    plan = call.plan(cfg)
    options = dict(call.options)
    es, acc = cfg.input_bytes, cfg.acc_bytes
    full = options["full_output"]
    csz = acc if full else es
    if call.kind == "matmul":
        return LayerPlan(call, plan, OperandLayout(layer.K * es, es, (0,)),
                         OperandLayout(layer.N * es, es, (0,)),
                         OperandLayout(0, acc, (0,)) if layer.bias else None,
                         OperandLayout(layer.N * csz, csz, (0,)), full)
    conv_options = {k: options[k] for k in ("layout", "stride", "padding", "groups")}
    shape = conv_shape(*call.args, **conv_options)
    g, kg, ng = shape.groups, shape.group_k, shape.group_out
    # The tiler's lowering (tiling/conv.py): pointwise layers read the NHWC input in place
    # (group i's columns start at i * Cg); the others read the im2col matrix, M x (groups * Kg).
    a_cols, a_step = (shape.in_channels, shape.group_in) if shape.is_pointwise else (g * kg, kg)
    return LayerPlan(
        call, plan,
        OperandLayout(a_cols * es, es, tuple(i * a_step * es for i in range(g))),
        OperandLayout(ng * es, es, tuple(i * kg * ng * es for i in range(g))),
        OperandLayout(0, acc, tuple(i * ng * acc for i in range(g))) if layer.bias else None,
        OperandLayout(shape.out_channels * csz, csz, tuple(i * ng * csz for i in range(g))),
        full)
