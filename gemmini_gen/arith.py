"""Bit-exact arithmetic primitives of the accelerator (ISA.md section 6), vectorized with numpy.

One definition of each primitive, shared by the golden model and the compiler (and mirrored by the
Amaranth twins in `hw/arith.py`, which are tested against these):

* `wrap(x, w)`          reduce to w-bit two's complement (all accumulator arithmetic)
* `sat(x, w)`           clamp to the signed w-bit range
* `rshift_rne(x, s)`    R1: rounding right shift, round half to even
* `os_shift(x, s, w)`   `sat(rshift_rne(x, s), w)`: compute -> scratchpad writes
* `scale_to_int(x, f, w)`  R2: int -> fp32, fp32 multiply, round half to even, saturate
* `relu(x)`, `activation(x, code)`

Integers travel as `np.int64` arrays (scalars are accepted and give 0-d results).  fp32 scale
factors are Python/numpy floats (`f32_from_bits` turns an IEEE-754 bit pattern into one).
"""

from __future__ import annotations

import struct

import numpy as np

__all__ = [
    "ACT_NONE", "ACT_RELU", "activation", "f32_bits", "f32_from_bits", "os_shift", "relu",
    "rshift_rne", "sat", "scale_to_int", "wrap",
]

ACT_NONE = 0
ACT_RELU = 1

_INT_DTYPES = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}


def _check_width(w: int) -> None:
    if w not in _INT_DTYPES:
        raise ValueError(f"width must be one of 8, 16, 32, 64 bits, got {w}")


def wrap(x, w: int) -> np.ndarray:
    """Reduce `x` modulo 2**w into the signed w-bit range (two's complement wrap-around)."""
    _check_width(w)
    return np.asarray(x, dtype=np.int64).astype(_INT_DTYPES[w]).astype(np.int64)


def sat(x, w: int) -> np.ndarray:
    """Clamp `x` to [-2**(w-1), 2**(w-1) - 1]."""
    _check_width(w)
    return np.clip(np.asarray(x, dtype=np.int64), -(1 << (w - 1)), (1 << (w - 1)) - 1)


def rshift_rne(x, s) -> np.ndarray:
    """R1: arithmetic right shift by `s` (0 <= s < 64) rounding half to even.

    Works on the exact integer: floor shift, then add one when the first discarded bit is set and
    either a lower discarded bit is set or the floor result is odd.
    """
    x = np.asarray(x, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    if np.any((s < 0) | (s > 63)):
        raise ValueError(f"shift must be in 0..63, got {s}")
    s_minus_1 = np.maximum(s - 1, 0)
    q = x >> s
    half = (x >> s_minus_1) & 1
    sticky = (x & ((np.int64(1) << s_minus_1) - 1)) != 0
    round_up = (s > 0) & (half == 1) & (sticky | ((q & 1) == 1))
    return np.where(s > 0, q + round_up, x)


def os_shift(x, s, w: int) -> np.ndarray:
    """`OS_SHIFT`: rounding shift then saturation to w bits (compute results written to the
    scratchpad; `s` = in_shift in OS, 0 in WS)."""
    return sat(rshift_rne(x, s), w)


def f32_from_bits(bits: int) -> np.float32:
    """The fp32 value with IEEE-754 bit pattern `bits` (u32)."""
    return np.frombuffer(struct.pack("<I", bits & 0xFFFF_FFFF), dtype=np.float32)[0]


def f32_bits(value) -> int:
    """The IEEE-754 bit pattern (u32) of `value` rounded to fp32 (round to nearest even)."""
    return struct.unpack("<I", np.float32(value).tobytes())[0]


def scale_to_int(x, f, w: int) -> np.ndarray:
    """R2: `sat(round_half_even(fp32(fp32(x) * fp32(f))), w)`.

    The integer goes to fp32 in ONE rounding (numpy's int64 -> float32 cast; a Python int through
    float64 would double-round above 2**53).  `f` must be finite and every product must satisfy
    |y| < 2**63 (ISA.md section 6 leaves larger products undefined): violations raise ValueError.
    `f` may be an array broadcasting against `x` (e.g. one scale per column).  Supports w <= 32
    (input element widths).
    """
    if w not in (8, 16, 32):
        raise ValueError(f"scale_to_int saturates to an element width of 8, 16 or 32 bits, got {w}")
    f32 = np.asarray(f, dtype=np.float32)     # one scale, or one per element (broadcast)
    if not np.all(np.isfinite(f32)):
        raise ValueError(f"scale factor must be finite, got {f}")
    xf = np.asarray(x, dtype=np.int64).astype(np.float32)
    with np.errstate(over="ignore"):         # an overflow to inf is reported just below
        y = xf * f32
    if np.any(np.abs(y) >= np.float32(2.0 ** 63)):
        raise ValueError("scaled value reaches 2**63 in magnitude (undefined, ISA.md section 6)")
    z = np.rint(y).astype(np.float64)
    return np.clip(z, -(1 << (w - 1)), (1 << (w - 1)) - 1).astype(np.int64)


def relu(x) -> np.ndarray:
    return np.maximum(np.asarray(x, dtype=np.int64), 0)


def activation(x, code: int) -> np.ndarray:
    """`act(v, code)`: RELU for code 1, identity for code 0 (codes 2..4 belong to the optional
    normalization profile, which v1 does not implement)."""
    if code == ACT_RELU:
        return relu(x)
    if code == ACT_NONE:
        return np.asarray(x, dtype=np.int64)
    raise ValueError(f"activation code {code} needs the normalization profile (not supported)")
