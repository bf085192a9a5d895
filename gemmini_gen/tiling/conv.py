"""`tiled_conv_auto`: a 2-D convolution as a `TiledProgram` (Gemmini's `tiled_conv_auto` lowered to
GEMMs on the host), and `plan_conv`.

    output = act(ACC_SCALE(conv(input, weight) + bias))     or, full_output=True, the raw sums

One GEMM job per group (`conv_geometry.py` for the lowering), all in one program so the
double-buffered pipeline runs across group boundaries.  The input port builds the im2col matrix
on the host; pointwise convolutions (1x1, stride 1, no padding) skip it: the input tensor itself is
A -- NHWC as an (N*H*W) x C matrix, NCHW as one transposed A (C x H*W) per image and group.  The
weight port reshapes OIHW weights into each group's K x N matrix; the bias (one value per output
channel) is broadcast into the accumulator; the output port returns the layout asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import GemminiConfig
from ..isa import Program
from ..memory import Memory
from .conv_geometry import ConvShape, conv_shape, im2col, weight_matrices
from .errors import TilingError
from .gemm_program import build_gemm
from .gemm_spec import GemmJob, make_gemm_spec
from .plan import MatmulPlan, plan_gemm
from .tiled_program import Port, TiledProgram

__all__ = ["plan_conv", "tiled_conv_auto"]


@dataclass(frozen=True)
class _Lowering:
    """Where the GEMM operands of a convolution live: the A region and its stored shape, and per
    job (M, N, K) plus element offsets of A, B, D and C in their regions."""

    a_region: str
    a_stored: tuple[int, ...]
    a_transpose: bool
    a_stride: int
    jobs: tuple[tuple[int, int, int, int, int, int, int], ...]


def _lower(shape: ConvShape, direct: bool) -> _Lowering:
    g, cg, ng, kg, cout = (shape.groups, shape.group_in, shape.group_out, shape.group_k,
                           shape.out_channels)
    if not direct:
        jobs = tuple((shape.pixels, ng, kg, i * kg, i * kg * ng, i * ng, i * ng) for i in range(g))
        return _Lowering("im2col", (shape.pixels, g * kg), False, g * kg, jobs)
    if shape.layout == "NHWC":
        jobs = tuple((shape.pixels, ng, cg, i * cg, i * cg * ng, i * ng, i * ng) for i in range(g))
        return _Lowering("input", shape.input_shape(), False, shape.in_channels, jobs)
    hw = shape.height * shape.width
    jobs = tuple((hw, ng, cg, (n * shape.in_channels + i * cg) * hw, i * cg * ng, i * ng,
                  n * hw * cout + i * ng) for n in range(shape.batch) for i in range(g))
    return _Lowering("input", shape.input_shape(), True, hw, jobs)


def _prepare(cfg: GemminiConfig, input_shape, weight_shape, options: dict):
    opts = dict(options)
    shape = conv_shape(input_shape, weight_shape, layout=opts.pop("layout", "NCHW"),
                       stride=opts.pop("stride", 1), padding=opts.pop("padding", 0),
                       dilation=opts.pop("dilation", 1), groups=opts.pop("groups", 1))
    out_layout = opts.pop("output_layout", None) or shape.layout
    if out_layout not in ("NCHW", "NHWC"):
        raise TilingError(f"output_layout must be 'NCHW' or 'NHWC', got {out_layout!r}")
    pad_value = opts.pop("pad_value", 0)
    if isinstance(pad_value, bool) or not isinstance(pad_value, (int, np.integer)) or \
            not cfg.elem_min <= pad_value <= cfg.elem_max:
        raise TilingError(f"pad_value must be an integer in [{cfg.elem_min}, {cfg.elem_max}], "
                          f"got {pad_value!r}")
    lowering = _lower(shape, opts.pop("direct_1x1", True) and shape.is_pointwise)
    bias = opts.pop("bias", False)
    if not isinstance(bias, bool):
        raise TilingError(f"bias must be True or False (one value per output channel), "
                          f"got {bias!r}")
    spec = make_gemm_spec(cfg, a_stride=lowering.a_stride, b_stride=shape.group_out, d_stride=0,
                          c_stride=shape.out_channels, a_transpose=lowering.a_transpose,
                          bias="row" if bias else None, **opts)
    return shape, out_layout, int(pad_value), lowering, spec


def plan_conv(cfg: GemminiConfig, input_shape, weight_shape, **options) -> MatmulPlan:
    """The plan `tiled_conv_auto(cfg, input_shape, weight_shape, **options)` would produce."""
    options.pop("name", None)
    _, _, _, lowering, spec = _prepare(cfg, input_shape, weight_shape, options)
    return plan_gemm(cfg, spec, [job[:3] for job in lowering.jobs])


def tiled_conv_auto(cfg: GemminiConfig, input_shape, weight_shape, *, layout: str = "NCHW",
                    output_layout: str | None = None, stride=1, padding=0, dilation=1,
                    groups: int = 1, bias: bool = False, bias_dtype: str = "acc",
                    activation: str = "none", scale: float = 1.0, full_output: bool = False,
                    pad_value: int = 0, dataflow: str | None = None, use_loop_ws: bool = False,
                    tiles=None, direct_1x1: bool = True, name: str | None = None) -> TiledProgram:
    """A program computing a grouped 2-D convolution (see the module docstring).

    Ports: "input" (`input_shape`, in `layout`), "weight" (`weight_shape`, OIHW), "bias" (out
    channels; with `bias=True`) and output "output" (in `output_layout`, default `layout`).
    `direct_1x1=False` forces the im2col path for pointwise convolutions.  The GEMM options
    (`activation`, `scale`, `full_output`, `bias_dtype`, `dataflow`, `use_loop_ws`, `tiles`) are
    those of `tiled_matmul_auto`.
    """
    shape, out_layout, pad_value, lowering, spec = _prepare(cfg, input_shape, weight_shape, dict(
        layout=layout, output_layout=output_layout, stride=stride, padding=padding,
        dilation=dilation, groups=groups, bias=bias, bias_dtype=bias_dtype,
        activation=activation, scale=scale, full_output=full_output, pad_value=pad_value,
        dataflow=dataflow, use_loop_ws=use_loop_ws, tiles=tiles, direct_1x1=direct_1x1))
    elem, acc_dtype = np.dtype(cfg.input_dtype), np.dtype(cfg.acc_dtype)
    d_dtype = elem if spec.bias_elem else acc_dtype
    c_dtype = acc_dtype if spec.full_output else elem
    w_stored = (shape.groups, shape.group_k, shape.group_out)
    out_stored = (shape.pixels, shape.out_channels)

    memory = Memory()
    a = memory.alloc(lowering.a_region, int(np.prod(lowering.a_stored)) * elem.itemsize)
    b = memory.alloc("weight", int(np.prod(w_stored)) * elem.itemsize)
    d = memory.alloc("bias", shape.out_channels * d_dtype.itemsize) if bias else None
    c = memory.alloc("output", int(np.prod(out_stored)) * c_dtype.itemsize)
    jobs = [GemmJob(m, n, k, a.base + ao * elem.itemsize, b.base + bo * elem.itemsize,
                    d.base + do * d_dtype.itemsize if d else 0, c.base + co * c_dtype.itemsize)
            for m, n, k, ao, bo, do, co in lowering.jobs]
    commands, plan = build_gemm(cfg, spec, jobs)
    program = Program(commands, memory.regions, name=name or _default_name(shape),
                      comment=f"{'pointwise' if lowering.a_region == 'input' else 'im2col'} "
                              f"conv, {len(jobs)} GEMM job(s), {spec.dataflow}")

    inputs = {"input": Port("input", shape.input_shape(), elem, lowering.a_region,
                            lowering.a_stored,
                            None if lowering.a_region == "input"
                            else (lambda x: im2col(x, shape, pad_value))),
              "weight": Port("weight", shape.weight_shape(), elem, "weight", w_stored,
                             lambda w: weight_matrices(w, shape))}
    if bias:
        inputs["bias"] = Port("bias", (shape.out_channels,), d_dtype, "bias",
                              (shape.out_channels,))
    output = Port("output", shape.output_shape(out_layout), c_dtype, "output", out_stored,
                  decode=lambda y: _output_layout(y, shape, out_layout))
    return TiledProgram(cfg, program, memory, inputs, {"output": output}, plan, kind="conv")


def _output_layout(stored: np.ndarray, shape: ConvShape, layout: str) -> np.ndarray:
    nhwc = stored.reshape(shape.batch, shape.out_height, shape.out_width, shape.out_channels)
    return np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2)) if layout == "NCHW" else nhwc


def _default_name(shape: ConvShape) -> str:
    kh, kw = shape.kernel
    return (f"conv_{shape.batch}x{shape.in_channels}x{shape.height}x{shape.width}_"
            f"{shape.out_channels}x{kh}x{kw}_g{shape.groups}")
