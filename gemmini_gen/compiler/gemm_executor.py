"""The interface between the compiler and whatever computes accelerator layers, and its numpy reference.

An accelerator layer reaches an executor as one or more `GemmCall`s, each a single 2-D problem

    C = act(ACC_SCALE(A @ B + D))        or, full width,        C = A @ B + D   (raw int32)

with A int8 (M x K), B int8 (K x N), D int32 (per column (N,) or full (M, N)), products exact and sums
wrapping at the accumulator width.  `Requant` says which: one fp32 scale per tensor (one CONFIG_STORE
scale for every mvout), one per column (a scale change per output column), or none (full width).
Activation is RELU or none, applied after saturation.  Zero points, uint8 operands, padding and
requantizations the hardware cannot express never reach the executor: the compiler folds them into A,
B and D exactly, or finishes them on the host from a full-width result.

`ReferenceGemmExecutor` computes exactly that arithmetic with `gemmini_gen.arith` (ISA.md section 6).
Executors backed by the tiler (golden model, RTL; `backend_executor.BackendGemmExecutor`) implement the
same `run` method; for convolutions `GemmCall.conv` describes the im2col that produced A and
`GemmCall.conv_input` holds the input it was taken from, so an executor with a native convolution path
(the tiler's `tiled_conv_auto`) may use them instead of A.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .. import arith
from ..config import GemminiConfig, preset
from ..tiling import resadd_reference
from .errors import CompilerError

if TYPE_CHECKING:
    from .resadd import ResaddCall

__all__ = ["Requant", "ConvGeometry", "GemmCall", "GemmResult", "GemmExecutor", "ReferenceGemmExecutor",
           "check_config", "validate_call"]


@dataclass(frozen=True)
class Requant:
    """The accumulator read-out of one call.

    `scale` None means full width (raw int32, no activation); otherwise an fp32 scale of shape () (per
    tensor) or (N,) (per output column), followed by saturation to int8 and, if `relu`, RELU.
    """

    scale: np.ndarray | None
    relu: bool = False

    def __post_init__(self) -> None:
        if self.scale is None:
            if self.relu:
                raise ValueError("a full-width read-out cannot apply an activation")
        else:
            object.__setattr__(self, "scale", np.asarray(self.scale, dtype=np.float32))

    @property
    def full_width(self) -> bool:
        return self.scale is None

    @property
    def per_column(self) -> bool:
        return self.scale is not None and self.scale.ndim == 1


@dataclass(frozen=True)
class ConvGeometry:
    """How A was built from an NCHW-style input for one group of a convolution (im2col rows = pixels)."""

    input_shape: tuple[int, ...]      # (N, C, *spatial) of the whole input
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]
    out_shape: tuple[int, ...]        # spatial output size
    group: int                        # which group this call computes
    groups: int
    pad_value: int                    # int8 value the padding holds (the folded input zero point)


@dataclass(frozen=True)
class GemmCall:
    layer: str                        # accelerator layer name (for reports and error messages)
    a: np.ndarray                     # int8 (M, K)
    b: np.ndarray                     # int8 (K, N)
    bias: np.ndarray | None           # int32 (N,) or (M, N)
    requant: Requant
    conv: ConvGeometry | None = None
    conv_input: np.ndarray | None = None   # convolutions: this group's int8 input (N, Cg, *spatial)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(M, N, K)."""
        return self.a.shape[0], self.b.shape[1], self.a.shape[1]

    @property
    def macs(self) -> int:
        m, n, k = self.shape
        return m * n * k


@dataclass
class GemmResult:
    output: np.ndarray                # int8 (M, N), or int32 (M, N) for a full-width call
    cycles: int | None                # simulated cycles, None when the executor does not model time
    counters: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class GemmExecutor(Protocol):
    """Computes accelerator layers; `name` appears in reports.

    `run_resadd` computes the residual adds the compiler places on the accelerator (`resadd`): int8
    output ``ACC_SCALE(MVIN_SCALE(A, a_scale) + MVIN_SCALE(B, b_scale), scale)``.
    """

    name: str
    config: GemminiConfig

    def run(self, call: GemmCall) -> GemmResult: ...

    def run_resadd(self, call: "ResaddCall") -> GemmResult: ...


def check_config(config: GemminiConfig) -> None:
    """The compiler targets int8 operands; anything else cannot run ONNX int8 models."""
    if config.input_dtype != "int8":
        raise CompilerError(f"the ONNX compiler needs an int8 input type, config {config.name!r} has "
                            f"{config.input_dtype}")


def validate_call(call: GemmCall) -> None:
    """Check that a call is well formed (every executor runs this first)."""
    a, b, bias = call.a, call.b, call.bias
    where = f"accelerator layer {call.layer!r}"
    if a.dtype != np.int8 or b.dtype != np.int8 or a.ndim != 2 or b.ndim != 2:
        raise CompilerError(f"{where}: A and B must be 2-D int8 arrays")
    m, n, k = a.shape[0], b.shape[1], a.shape[1]
    if b.shape[0] != k:
        raise CompilerError(f"{where}: A is {a.shape} but B is {b.shape}")
    if bias is not None and (bias.dtype != np.int32 or bias.shape not in ((n,), (m, n))):
        raise CompilerError(f"{where}: bias must be int32 of shape ({n},) or ({m}, {n})")
    if call.requant.per_column and call.requant.scale.shape != (n,):
        raise CompilerError(f"{where}: per-column scale must have shape ({n},)")


class ReferenceGemmExecutor:
    """numpy executor with exactly the accelerator's arithmetic; counts work but does not model time.

    Counters: ``macs``; and, from the config's DIM and block lengths, the store-side command counts the
    tiler's output loop needs for this call: ``mvout_commands``, ``config_store_commands`` (one per scale
    change), ``dram_write_rows`` (DMA row writes) and ``dram_write_bytes``.
    """

    name = "reference"

    def __init__(self, config: GemminiConfig | None = None) -> None:
        self.config = config if config is not None else preset("default")
        check_config(self.config)

    def run(self, call: GemmCall) -> GemmResult:
        validate_call(call)
        a = call.a.astype(np.float64)
        b = call.b.astype(np.float64)
        # int8 x int8 products summed in float64 are exact integers while K < 2**38.
        acc = (a @ b).astype(np.int64)
        if call.bias is not None:
            acc = acc + call.bias.astype(np.int64)
        acc = arith.wrap(acc, self.config.acc_bits)
        if call.requant.full_width:
            out = acc.astype(np.int32 if self.config.acc_bits == 32 else np.int64)
        else:
            out = np.empty(acc.shape, np.int64)
            scales = call.requant.scale
            if scales.ndim == 0:
                out[:] = arith.scale_to_int(acc, scales, self.config.input_bits)
            else:                              # one scale per column: one mvout per column
                for col, scale in enumerate(scales):
                    out[:, col] = arith.scale_to_int(acc[:, col], scale, self.config.input_bits)
            if call.requant.relu:
                out = arith.relu(out)
            out = out.astype(np.int8)
        return GemmResult(out, None, self._counters(call))

    def run_resadd(self, call: "ResaddCall") -> GemmResult:
        s = call.scales
        out = resadd_reference(self.config, call.a, call.b, a_scale=s.a_scale, b_scale=s.b_scale,
                               scale=s.scale)
        return GemmResult(out.astype(np.int8), None, {"elements": int(call.a.size)})

    def _counters(self, call: GemmCall) -> dict[str, int]:
        cfg = self.config
        m, n, _ = call.shape
        row_tiles = math.ceil(m / cfg.dim)
        if call.requant.full_width:
            mvouts = row_tiles * math.ceil(n / (cfg.dim * cfg.max_block_len_acc))
            configs, rows, elem_bytes = 1, m * math.ceil(n / (cfg.dim * cfg.max_block_len_acc)), cfg.acc_bytes
        elif call.requant.per_column:
            mvouts = configs = row_tiles * n
            rows, elem_bytes = m * n, cfg.input_bytes
        else:
            mvouts = row_tiles * math.ceil(n / (cfg.dim * cfg.max_block_len))
            configs, rows, elem_bytes = 1, m * math.ceil(n / (cfg.dim * cfg.max_block_len)), cfg.input_bytes
        return {"macs": call.macs, "mvout_commands": mvouts, "config_store_commands": configs,
                "dram_write_rows": rows, "dram_write_bytes": m * n * elem_bytes}
