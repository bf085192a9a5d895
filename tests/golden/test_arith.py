"""Arithmetic primitives (ISA.md section 6): spec examples, both saturation ends, the double-rounding
cases, and properties against an exact rational-arithmetic reference."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen import arith


# ------------------------------------------------------------------------------------------------
# Exact references (Python ints and Fractions, no floating point)
# ------------------------------------------------------------------------------------------------
def ref_rshift_rne(x: int, s: int) -> int:
    return round(Fraction(x, 1 << s))          # Fraction rounds half to even


def ref_f32(q: Fraction) -> Fraction:
    """Nearest fp32 value to q (ties to even), for q in the normal range or 0."""
    if q == 0:
        return Fraction(0)
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    ulp = Fraction(2) ** (e - 23)
    return sign * round(q / ulp) * ulp


def ref_scale_to_int(x: int, f: float, w: int) -> int:
    y = ref_f32(ref_f32(Fraction(x)) * Fraction(float(np.float32(f))))
    z = round(y)
    return max(-(1 << (w - 1)), min((1 << (w - 1)) - 1, z))


# ------------------------------------------------------------------------------------------------
# R1
# ------------------------------------------------------------------------------------------------
R1_EXAMPLES = [((5, 1), 2), ((7, 1), 4), ((-5, 1), -2), ((-7, 1), -4), ((10, 2), 2), ((14, 2), 4),
               ((13, 2), 3), ((-10, 2), -2), ((-11, 2), -3), ((9, 0), 9)]


@pytest.mark.parametrize("args,expected", R1_EXAMPLES)
def test_rshift_rne_spec_examples(args, expected):
    assert int(arith.rshift_rne(*args)) == expected


def test_rshift_rne_is_vectorized_with_per_element_shifts():
    x = np.array([5, 7, -5, -7, 10, 14, 13, -10, -11])
    s = np.array([1, 1, 1, 1, 2, 2, 2, 2, 2])
    assert np.array_equal(arith.rshift_rne(x, s), [2, 4, -2, -4, 2, 4, 3, -2, -3])


def test_os_shift_saturates_after_rounding():
    assert int(arith.os_shift(300, 1, 8)) == 127
    assert int(arith.os_shift(-300, 1, 8)) == -128
    assert int(arith.os_shift(255, 1, 8)) == 127        # 127.5 -> 128 (even) -> 127
    assert int(arith.os_shift(253, 1, 8)) == 126        # 126.5 -> 126


@settings(max_examples=300, deadline=None)
@given(st.integers(-(1 << 62), (1 << 62) - 1), st.integers(0, 62))
def test_rshift_rne_matches_exact_rounding(x, s):
    assert int(arith.rshift_rne(x, s)) == ref_rshift_rne(x, s)


def test_rshift_rejects_bad_shift():
    with pytest.raises(ValueError, match="shift"):
        arith.rshift_rne(1, 64)


# ------------------------------------------------------------------------------------------------
# R2
# ------------------------------------------------------------------------------------------------
R2_EXAMPLES = [((5, 0.5), 2), ((7, 0.5), 4), ((-5, 0.5), -2), ((3, 0.5), 2), ((-1, 0.5), 0),
               ((100, 2.0), 127), ((-100, 2.0), -128), ((1000, np.float32(0.1)), 100)]


@pytest.mark.parametrize("args,expected", R2_EXAMPLES)
def test_scale_to_int_spec_examples(args, expected):
    assert int(arith.scale_to_int(args[0], args[1], 8)) == expected


def test_scale_to_int_double_rounding_cases():
    # fp32 product is exactly 40.5 (exact math 40.5000007) -> ties to even -> 40
    assert int(arith.scale_to_int(66, arith.f32_from_bits(0x3F1D1746), 8)) == 40
    # fp32(33554433) = 33554432 -> * 2**-26 = 0.5 -> 0 (exact math gives 1)
    assert int(arith.scale_to_int(33554433, arith.f32_from_bits(0x32800000), 8)) == 0


def test_scale_to_int_converts_int64_with_one_rounding():
    # 2**60 + 2**36 + 1 is just above the midpoint of two fp32 values; via float64 it would first
    # round to the midpoint and then to even (2**60).
    x = (1 << 60) + (1 << 36) + 1
    got = arith.scale_to_int(np.array([x]), 2.0 ** -40, 32)
    assert int(got[0]) == ((1 << 60) + (1 << 37)) >> 40


def test_scale_to_int_broadcasts_per_column_scales():
    x = np.array([[5, 7], [-5, 100]])
    assert np.array_equal(arith.scale_to_int(x, np.array([0.5, 2.0]), 8), [[2, 14], [-2, 127]])


def test_scale_one_still_saturates():
    assert np.array_equal(arith.scale_to_int(np.array([200, -200, 5]), 1.0, 8), [127, -128, 5])


def test_scale_to_int_rejects_undefined_inputs():
    with pytest.raises(ValueError, match="finite"):
        arith.scale_to_int(1, float("nan"), 8)
    with pytest.raises(ValueError, match="2\\*\\*63"):
        arith.scale_to_int(1 << 40, 2.0 ** 30, 8)
    with pytest.raises(ValueError, match="width"):
        arith.scale_to_int(1, 1.0, 64)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(1 << 31), (1 << 31) - 1),
       st.floats(2.0 ** -20, 2.0 ** 10).map(np.float32),
       st.booleans(), st.sampled_from([8, 16, 32]))
def test_scale_to_int_matches_exact_reference(x, f, negate, w):
    f = -f if negate else f
    assert int(arith.scale_to_int(x, f, w)) == ref_scale_to_int(x, f, w)


# ------------------------------------------------------------------------------------------------
# wrap, sat, activation, fp32 helpers
# ------------------------------------------------------------------------------------------------
def test_wrap_and_sat_both_ends():
    assert np.array_equal(arith.wrap([2 ** 31, -(2 ** 31) - 1, 5], 32), [-(2 ** 31), 2 ** 31 - 1, 5])
    assert np.array_equal(arith.wrap([128, -129, 255], 8), [-128, 127, -1])
    assert np.array_equal(arith.sat([128, -129, 7], 8), [127, -128, 7])
    with pytest.raises(ValueError, match="width"):
        arith.wrap(1, 12)


def test_activation_codes():
    assert np.array_equal(arith.activation([-3, 4], arith.ACT_RELU), [0, 4])
    assert np.array_equal(arith.activation([-3, 4], arith.ACT_NONE), [-3, 4])
    assert np.array_equal(arith.relu([-1, 0, 1]), [0, 0, 1])
    with pytest.raises(ValueError, match="normalization"):
        arith.activation([1], 2)


def test_fp32_bits_round_trip():
    assert arith.f32_bits(1.0) == 0x3F800000
    assert arith.f32_bits(-0.0) == 0x80000000
    assert float(arith.f32_from_bits(0x3F000000)) == 0.5
    assert arith.f32_bits(arith.f32_from_bits(0x7FC00001)) == 0x7FC00001   # NaN payload kept
