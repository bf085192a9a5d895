"""Quantized additions on the accelerator's residual add -- only where that is exact.

onnxruntime adds 8-bit tensors with QLinearAdd's kernel (`QuantizedAdd`: fp32 ratios of the scales, a
fused multiply-add, round half to even, saturation), whether the model says ``QLinearAdd`` or the QDQ
form ``DQ, DQ -> Add -> Q`` that onnxruntime fuses into it.  The accelerator's residual add
(`tiling.tiled_resadd`, ISA.md sections 7.3 and 8) computes

    C = ACC_SCALE(MVIN_SCALE(A, a_scale) + MVIN_SCALE(B, b_scale), scale)

on int8 codes: two roundings where onnxruntime has one, and no zero-point offset.  So an add goes to the
accelerator only when some choice of the three scales reproduces onnxruntime's result for every one of
the 65,536 code pairs, in each of the kernel's broadcast variants: `plan_resadd` tries the candidates
(all scales 1 when the scale ratios are 1; the common ratio as the output scale; the two ratios as
MVIN scales) on the whole table and keeps the first exact one.  Otherwise the add stays on the host, and
the reason (the zero points, or the number of code pairs that would differ) goes into the compile notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import GemminiConfig
from ..tiling import resadd_reference
from .gemm_layer import LayerRun, to_int8
from .host_ops import QuantizedAdd

__all__ = ["ResaddScales", "ResaddCall", "ResaddLayer", "plan_resadd"]

_MODES = (None, "a", "b")


@dataclass(frozen=True)
class ResaddScales:
    a_scale: float          # MVIN scale of A
    b_scale: float          # MVIN scale of B
    scale: float            # ACC_SCALE of the sum


@dataclass(frozen=True)
class ResaddCall:
    """One residual add: int8 A and B of the same (M, N) shape, C = ACC_SCALE(MVIN_SCALE(A) + ...)."""

    layer: str
    a: np.ndarray
    b: np.ndarray
    scales: ResaddScales

    @property
    def macs(self) -> int:
        return 0                                   # additions, no multiply-accumulates


def _int8_zero_points(add: QuantizedAdd) -> tuple[int, int, int]:
    """The add's zero points in the int8 domain of the codes the accelerator sees."""
    shift = 128 if add.dtype == np.uint8 else 0
    _, a_zp, _, b_zp, _, c_zp = add.params        # kernel-domain values (codes + offset)
    return tuple(int(z) - add.offset - shift for z in (a_zp, b_zp, c_zp))


def _candidates(add: QuantizedAdd, config: GemminiConfig) -> list[ResaddScales]:
    a_scale, _, b_scale, _, c_scale, _ = add.params
    ratio_a = float(np.float32(np.float32(a_scale) / np.float32(c_scale)))
    ratio_b = float(np.float32(np.float32(b_scale) / np.float32(c_scale)))
    found = [ResaddScales(1.0, 1.0, ratio_a)] if ratio_a == ratio_b else []
    found.append(ResaddScales(ratio_a, ratio_b, 1.0))
    return [c for c in found
            if (config.acc_scale != "none" or c.scale == 1.0)
            and (config.mvin_scale != "none" or c.a_scale == c.b_scale == 1.0)]


def plan_resadd(add: QuantizedAdd, config: GemminiConfig) -> tuple[ResaddScales | None, str]:
    """The scales with which the residual add equals `add` on every code pair, or (None, why not)."""
    if not config.acc_read_small_width:
        return None, f"config {config.name!r} cannot read the accumulator scaled to int8"
    zero_points = _int8_zero_points(add)
    if any(zero_points):
        return None, (f"zero points {zero_points} (int8 domain) are not all 0: the accelerator's "
                      f"residual add has no offset")
    lowest = np.iinfo(add.dtype).min
    codes = np.arange(lowest, lowest + 256).astype(add.dtype)
    a8, b8 = np.meshgrid(to_int8(codes), to_int8(codes), indexing="ij")
    shift = 128 if add.dtype == np.uint8 else 0
    fewest = a8.size
    for scales in _candidates(add, config):
        got = resadd_reference(config, a8, b8, a_scale=scales.a_scale, b_scale=scales.b_scale,
                               scale=scales.scale).astype(np.int64) + shift
        differ = max(int((got != add.table(mode)).sum()) for mode in _MODES)
        if differ == 0:
            return scales, ""
        fewest = min(fewest, differ)
    return None, (f"the accelerator's residual add would differ from onnxruntime's QLinearAdd on "
                  f"{fewest:,} of 65,536 code pairs")


@dataclass
class ResaddLayer:
    """A quantized add placed on the accelerator: operands are inputs `operands` of its step."""

    name: str
    op: str
    dtype: np.dtype
    operands: tuple[int, int]
    scales: ResaddScales

    def run_step(self, args: list, executor) -> tuple[np.ndarray, LayerRun]:
        a, b = (args[i] for i in self.operands)
        shape = np.broadcast_shapes(a.shape, b.shape)
        columns = shape[-1] if shape else 1
        a2, b2 = (np.ascontiguousarray(np.broadcast_to(x, shape)).reshape(-1, columns) for x in (a, b))
        call = ResaddCall(self.name, to_int8(a2.astype(self.dtype, copy=False)),
                          to_int8(b2.astype(self.dtype, copy=False)), self.scales)
        result = executor.run_resadd(call)
        run = LayerRun()
        run.add(call, result.cycles, result.counters)
        shift = 128 if self.dtype == np.uint8 else 0
        out = (result.output.astype(np.int16) + shift).astype(self.dtype)
        return out.reshape(shape), run
