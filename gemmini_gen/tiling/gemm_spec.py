"""What a tiled GEMM computes (`GemmSpec`, shared by every job of one program) and where each job's
operands live (`GemmJob`), with the validation that turns bad requests into `TilingError`s.

One program may run several GEMM jobs (a grouped convolution runs one per group) that share every
option and every row stride and differ only in their sizes and base addresses:

    C = act(ACC_SCALE(A @ B + D))          or, with full_output,      C = A @ B + D   (raw acc_t)

A is M x K (stored K x M when `a_transpose`), B is K x N (stored N x K when `b_transpose`), D is an
M x N bias (`bias="matrix"`), one row broadcast to every row (`bias="row"`, DRAM stride 0) or
absent; D has the accumulator width or, with `bias_elem`, the input width (a shrunk MVIN,
Gemmini's low_D).  Strides are row pitches in elements of the stored matrices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import arith
from ..config import Dataflow, GemminiConfig
from .errors import TilingError
from .tiles import TileShape, check_tiles

__all__ = [
    "GemmJob", "GemmSpec", "check_activation", "check_dims", "check_mvin_scale",
    "check_output_scale", "check_small_read", "make_gemm_spec",
]

# Transposes (A, B) each dataflow permits (ISA.md section 4.3).
PERMITTED_TRANSPOSES = {"OS": {(False, False), (True, False), (True, True)},
                        "WS": {(False, False), (True, False), (False, True)}}
BIAS_KINDS = (None, "matrix", "row")
ACTIVATIONS = {"none": arith.ACT_NONE, "relu": arith.ACT_RELU}
MAX_STORE_STRIDE = (1 << 32) - 1          # CONFIG_STORE's stride field is 32 bits


@dataclass(frozen=True)
class GemmSpec:
    """Program-wide options of a tiled GEMM (see the module docstring)."""

    dataflow: str                  # "WS" or "OS"
    a_transpose: bool
    b_transpose: bool
    bias: str | None               # None, "matrix" or "row"
    bias_elem: bool                # D is elem_t (shrunk MVIN) instead of acc_t
    full_output: bool              # C is raw acc_t (no scale, no activation)
    activation: int                # arith.ACT_NONE or arith.ACT_RELU
    scale: float                   # ACC_SCALE factor (fp32)
    a_scale: float                 # MVIN scale of A (fp32)
    b_scale: float                 # MVIN scale of B (fp32)
    a_stride: int                  # row pitches of the stored matrices, in elements
    b_stride: int
    d_stride: int                  # 0 for a row bias
    c_stride: int
    use_loop_ws: bool              # one LOOP_WS per outer tile instead of explicit commands
    tiles: TileShape | None        # forced tile size, or None for the heuristic

    @property
    def is_ws(self) -> bool:
        return self.dataflow == "WS"


@dataclass(frozen=True)
class GemmJob:
    """One GEMM of a program: its sizes and the DRAM byte addresses of its stored operands
    (element (0, 0)); `d` is 0 when the program has no bias."""

    m: int
    n: int
    k: int
    a: int
    b: int
    d: int
    c: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.m, self.n, self.k


def check_dims(**dims: int) -> None:
    """Every dimension a positive integer."""
    for name, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise TilingError(f"{name} must be a positive integer, got {value!r}")


def _check_fp32(name: str, value) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:      # e.g. a 0-d float32 array
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TilingError(f"{name} must be a number, got {value!r}")
    with np.errstate(over="ignore"):
        f32 = np.float32(value)
    if not math.isfinite(float(value)) or not np.isfinite(f32):
        raise TilingError(f"{name} must be a finite fp32 value, got {value!r}")
    return float(value)


def check_output_scale(cfg: GemminiConfig, scale) -> float:
    """An ACC_SCALE factor the config can apply."""
    scale = _check_fp32("scale", scale)
    if cfg.acc_scale == "none" and scale != 1.0:
        raise TilingError(f"config {cfg.name!r} has no accumulator scaler (acc_scale = 'none'): "
                          f"scale must be 1.0, got {scale}")
    return scale


def check_mvin_scale(cfg: GemminiConfig, name: str, scale) -> float:
    """A MVIN scale factor the config can apply."""
    scale = _check_fp32(name, scale)
    if cfg.mvin_scale == "none" and scale != 1.0:
        raise TilingError(f"config {cfg.name!r} has no mvin scaler (mvin_scale = 'none'): "
                          f"{name} must be 1.0, got {scale}")
    return scale


def check_small_read(cfg: GemminiConfig) -> None:
    """The config can read the accumulator as scaled elem_t (every non-full-width output)."""
    if not cfg.acc_read_small_width:
        raise TilingError(f"config {cfg.name!r} can only read the accumulator at full width "
                          f"(acc_read_small_width = false): use full_output=True")


def check_activation(cfg: GemminiConfig, activation) -> int:
    """"none" or "relu" as an activation code the config supports."""
    code = ACTIVATIONS.get(str(activation).lower()) if isinstance(activation, str) else None
    if code is None:
        raise TilingError(f"activation must be 'none' or 'relu', got {activation!r}")
    if code == arith.ACT_RELU and not cfg.has_nonlinear_activations:
        raise TilingError(f"config {cfg.name!r} has no activation unit "
                          f"(has_nonlinear_activations = false)")
    return code


def _dataflow(cfg: GemminiConfig, dataflow) -> str:
    if dataflow is None:
        return "WS" if cfg.has_ws else "OS"
    name = dataflow.value if isinstance(dataflow, Dataflow) else str(dataflow).upper()
    if name not in ("WS", "OS"):
        raise TilingError(f"dataflow must be 'WS' or 'OS', got {dataflow!r}")
    if not (cfg.has_ws if name == "WS" else cfg.has_os):
        raise TilingError(f"config {cfg.name!r} has no {name} dataflow "
                          f"(dataflow = {cfg.dataflow.value})")
    return name


def make_gemm_spec(cfg: GemminiConfig, *, a_stride: int, b_stride: int, d_stride: int,
                   c_stride: int, dataflow=None, a_transpose: bool = False,
                   b_transpose: bool = False, bias: str | None = None,
                   bias_dtype: str = "acc", full_output: bool = False,
                   activation: str = "none", scale=1.0, a_scale=1.0, b_scale=1.0,
                   use_loop_ws: bool = False, tiles=None) -> GemmSpec:
    """A validated `GemmSpec` (TilingError names the first bad option)."""
    df = _dataflow(cfg, dataflow)
    transposes = (bool(a_transpose), bool(b_transpose))
    if transposes not in PERMITTED_TRANSPOSES[df]:
        raise TilingError(f"{df} does not permit a_transpose={transposes[0]} with "
                          f"b_transpose={transposes[1]} (ISA.md section 4.3)")
    if bias not in BIAS_KINDS:
        raise TilingError(f"bias must be None, 'matrix' or 'row', got {bias!r}")
    if bias_dtype not in ("acc", "elem"):
        raise TilingError(f"bias_dtype must be 'acc' or 'elem', got {bias_dtype!r}")
    act = check_activation(cfg, activation)
    scale = check_output_scale(cfg, scale)
    if full_output:
        if not cfg.acc_read_full_width:
            raise TilingError(f"config {cfg.name!r} cannot read the accumulator at full width "
                              f"(acc_read_full_width = false)")
        if act != arith.ACT_NONE or scale != 1.0:
            raise TilingError("a full-width output is raw A @ B + D: activation must be 'none' "
                              "and scale 1.0")
    else:
        check_small_read(cfg)
    if use_loop_ws and df != "WS":
        raise TilingError("LOOP_WS is weight stationary: use_loop_ws needs dataflow 'WS'")
    csz = cfg.acc_bytes if full_output else cfg.input_bytes
    if c_stride * csz > MAX_STORE_STRIDE:
        raise TilingError(f"output rows {c_stride * csz} bytes apart exceed the 32-bit store "
                          f"stride of CONFIG_STORE")
    return GemmSpec(
        dataflow=df, a_transpose=transposes[0], b_transpose=transposes[1], bias=bias,
        bias_elem=bias_dtype == "elem", full_output=bool(full_output), activation=act,
        scale=scale, a_scale=check_mvin_scale(cfg, "a_scale", a_scale),
        b_scale=check_mvin_scale(cfg, "b_scale", b_scale), a_stride=a_stride,
        b_stride=b_stride, d_stride=d_stride if bias == "matrix" else 0, c_stride=c_stride,
        use_loop_ws=bool(use_loop_ws), tiles=None if tiles is None else check_tiles(cfg, tiles))
