"""onnxruntime's (MLAS) quantized arithmetic, reproduced bit for bit in numpy.

Each function names the onnxruntime kernel it reproduces; the formulas were read from the onnxruntime
sources and confirmed against onnxruntime 1.32 on random and exhaustive inputs (tests/compiler).

* QuantizeLinear: ``q = clamp(rne(x / s), qmin - zp, qmax - zp) + zp`` in fp32 (division, not a reciprocal
  multiply); NaN quantizes to qmin.
* DequantizeLinear: ``fp32(int32(q) - zp) * s``.
* Requantization of an int32 accumulator (QLinearConv, QLinearMatMul, QGemm; ``MlasRequantizeOutput``):
  ``clamp(rne(fp32(fp32(acc) * m)), qmin - zp, qmax - zp) + zp`` with the multiplier computed in fp32 as
  ``m = x_scale * w_scale / y_scale`` (QGemm: ``alpha * a_scale * b_scale / y_scale``), left to right.
* QLinearAdd (``MlasQLinearAdd``, AVX2 kernel): fused multiply-adds on the raw codes,
  ``rne(fma(a, sa/sc, fma(b, sb/sc, zc - (sa/sc*za + sb/sc*zb))))`` saturated to the output type; a
  broadcast scalar operand is folded into the constant with a separate multiply and add.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "int_range", "quantize_linear", "dequantize_linear", "output_multiplier", "requantize",
    "fma_f32", "qlinear_add_table",
]

_F32 = np.float32


def int_range(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def quantize_linear(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """QuantizeLinear for fp32 `x`; `scale`/`zero_point` broadcast against `x` (per tensor or per axis)."""
    qmin, qmax = int_range(dtype)
    zp = np.asarray(zero_point, dtype=np.int64)
    y = (np.asarray(x, dtype=_F32) / np.asarray(scale, dtype=_F32)).astype(_F32)
    y = np.where(np.isnan(y), _F32(-np.inf), y)                 # MLAS: max(NaN, lo) gives lo
    y = np.clip(y, (qmin - zp).astype(_F32), (qmax - zp).astype(_F32))
    return (np.rint(y).astype(np.int64) + zp).astype(dtype)


def dequantize_linear(q: np.ndarray, scale: np.ndarray, zero_point: np.ndarray) -> np.ndarray:
    """DequantizeLinear: subtract the zero point in int32, convert to fp32, multiply by the fp32 scale."""
    diff = np.asarray(q).astype(np.int64) - np.asarray(zero_point, dtype=np.int64)
    diff = ((diff + 2**31) % 2**32 - 2**31).astype(np.int32)       # int32 subtraction wraps
    return (diff.astype(_F32) * np.asarray(scale, dtype=_F32)).astype(_F32)


def output_multiplier(*factors: np.ndarray, divisor: np.ndarray | None = None) -> np.ndarray:
    """fp32 product of `factors` left to right, then fp32 division by `divisor` (onnxruntime's order)."""
    m = np.asarray(factors[0], dtype=_F32)
    for f in factors[1:]:
        m = (m * np.asarray(f, dtype=_F32)).astype(_F32)
    if divisor is not None:
        m = (m / np.asarray(divisor, dtype=_F32)).astype(_F32)
    return m


def requantize(acc: np.ndarray, multiplier: np.ndarray, zero_point: int, dtype: np.dtype) -> np.ndarray:
    """MlasRequantizeOutput: int32 accumulators -> `dtype` codes (multiplier per tensor or per column)."""
    qmin, qmax = int_range(dtype)
    y = (np.asarray(acc, dtype=np.int32).astype(_F32) * np.asarray(multiplier, dtype=_F32)).astype(_F32)
    y = np.clip(y, _F32(qmin - zero_point), _F32(qmax - zero_point))
    return (np.rint(y).astype(np.int64) + zero_point).astype(dtype)


def fma_f32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Correctly rounded fp32 fused multiply-add of fp32 operands.

    The product of two fp32 values is exact in float64; the sum is formed in float64 with
    round-to-odd (exact error from TwoSum), which makes the final rounding to fp32 a single correct one.
    """
    p = np.asarray(a, dtype=_F32).astype(np.float64) * np.asarray(b, dtype=_F32).astype(np.float64)
    c64 = np.asarray(c, dtype=_F32).astype(np.float64)
    p, c64 = np.broadcast_arrays(p, c64)
    s = p + c64
    bb = s - p
    err = (p - (s - bb)) + (c64 - bb)
    bits = s.view(np.int64).copy()
    inexact = err != 0
    overshoot = inexact & (np.signbit(err) != np.signbit(s))     # |s| > |exact|: step toward zero
    bits = np.where(overshoot, bits - 1, bits)
    bits = np.where(inexact, bits | 1, bits)
    return bits.view(np.float64).astype(_F32)


def _saturating_rne(v: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """cvtps2dq (out-of-range gives INT32_MIN) followed by saturating packs to `dtype`."""
    qmin, qmax = int_range(dtype)
    r = np.rint(v.astype(np.float64))
    r = np.where(np.isnan(r) | (r >= 2.0**31) | (r < -2.0**31), -2.0**31, r)
    return np.clip(r, qmin, qmax).astype(dtype)


def qlinear_add_table(a_scale, a_zp, b_scale, b_zp, c_scale, c_zp, dtype: np.dtype,
                      scalar: str | None = None) -> np.ndarray:
    """All results of com.microsoft QLinearAdd as a table indexed ``[a - qmin, b - qmin]``.

    `scalar` is None when both operands are element spans, "a" or "b" when that operand is broadcast as a
    scalar over the other one's span (onnxruntime then folds it into the constant term).
    """
    qmin, qmax = int_range(dtype)
    codes = np.arange(qmin, qmax + 1, dtype=np.int64).astype(_F32)
    r_ac = (_F32(a_scale) / _F32(c_scale)).astype(_F32)
    r_bc = (_F32(b_scale) / _F32(c_scale)).astype(_F32)
    zero_terms = (_F32(r_ac * _F32(a_zp)) + _F32(r_bc * _F32(b_zp))).astype(_F32)
    fixed = (_F32(c_zp) - zero_terms).astype(_F32)
    a = codes[:, None]
    b = codes[None, :]
    if scalar == "a":
        fixed = (fixed + (a * r_ac).astype(_F32)).astype(_F32)
        v = fma_f32(np.broadcast_to(b, (codes.size, codes.size)), r_bc, fixed)
    elif scalar == "b":
        fixed = (fixed + (b * r_bc).astype(_F32)).astype(_F32)
        v = fma_f32(np.broadcast_to(a, (codes.size, codes.size)), r_ac, fixed)
    else:
        v = fma_f32(np.broadcast_to(a, (codes.size, codes.size)), r_ac,
                    fma_f32(np.broadcast_to(b, (codes.size, codes.size)), r_bc, fixed))
    return _saturating_rne(v, dtype)
