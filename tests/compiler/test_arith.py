"""onnxruntime's quantized arithmetic as reproduced in `ort_arith`.

onnxruntime is the reference: every formula is compared with onnxruntime on random inputs, exhaustively
over all 8-bit code pairs for QLinearAdd.  (The accelerator's own primitives are `gemmini_gen.arith`,
tested with the golden model.)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from onnx import helper, numpy_helper

from gemmini_gen import arith
from gemmini_gen.compiler import ort_arith


def test_fma_is_correctly_rounded(rng):
    a = rng.standard_normal(2000).astype(np.float32)
    b = (rng.standard_normal(2000) * 1e-3).astype(np.float32)
    c = (rng.standard_normal(2000) * 10.0 ** rng.integers(-12, 6, 2000)).astype(np.float32)
    got = ort_arith.fma_f32(a, b, c)
    for ai, bi, ci, gi in zip(a, b, c, got):
        exact = Fraction(float(ai)) * Fraction(float(bi)) + Fraction(float(ci))
        # the correctly rounded fp32 value is the one nearest to the exact result (ties to even)
        lo, hi = np.nextafter(gi, np.float32(-np.inf)), np.nextafter(gi, np.float32(np.inf))
        err = abs(Fraction(float(gi)) - exact)
        assert err <= abs(Fraction(float(lo)) - exact) and err <= abs(Fraction(float(hi)) - exact)


def _run_single(ort_run, make_model, node, inputs, outputs, inits, feeds, microsoft=False):
    model = make_model([node], inputs, outputs, inits, microsoft=microsoft)
    return next(iter(ort_run(model, feeds).values()))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_quantize_linear_matches_onnxruntime(dtype, rng, ort_run, make_model):
    for _ in range(5):
        scale = np.float32(rng.uniform(1e-3, 2.0))
        zp = np.array(rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max + 1), dtype)
        x = (rng.standard_normal(20000) * scale * 100).astype(np.float32)
        x[:2000] = ((rng.integers(-300, 300, 2000) + 0.5) * scale).astype(np.float32)   # exact ties
        x[:4] = [np.nan, np.inf, -np.inf, 1e30]
        node = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])
        inits = [numpy_helper.from_array(np.array(scale), "s"), numpy_helper.from_array(zp, "z")]
        expected = _run_single(ort_run, make_model, node, [("x", np.float32, [x.size])],
                               [("y", dtype, [x.size])], inits, {"x": x})
        assert np.array_equal(ort_arith.quantize_linear(x, scale, zp, np.dtype(dtype)), expected)


@pytest.mark.parametrize("a_dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("per_column", [False, True])
def test_requantize_matches_qlinearmatmul(a_dtype, per_column, rng, ort_run, make_model):
    m, k, n = 48, int(rng.integers(200, 3000)), 24
    info = np.iinfo(a_dtype)
    a = rng.integers(info.min, info.max + 1, (m, k)).astype(a_dtype)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    a_scale, y_scale = np.float32(rng.uniform(1e-3, 0.1)), np.float32(rng.uniform(0.1, 10))
    b_scale = rng.uniform(1e-3, 0.1, n if per_column else ()).astype(np.float32)
    a_zp = np.array(rng.integers(info.min, info.max + 1), a_dtype)
    y_zp = np.array(rng.integers(info.min, info.max + 1), a_dtype)
    inits = [numpy_helper.from_array(v, name) for v, name in [
        (np.array(a_scale), "sa"), (a_zp, "za"), (b, "b"), (b_scale, "sb"),
        (np.zeros(b_scale.shape, np.int8), "zb"), (np.array(y_scale), "sy"), (y_zp, "zy")]]
    node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"])
    expected = _run_single(ort_run, make_model, node, [("a", a_dtype, [m, k])], [("y", a_dtype, [m, n])],
                           inits, {"a": a})
    acc = (a.astype(np.int64) - int(a_zp)) @ b.astype(np.int64)
    acc = arith.wrap(acc, 32)
    multiplier = ort_arith.output_multiplier(a_scale, b_scale, divisor=y_scale)
    got = ort_arith.requantize(acc, multiplier, int(y_zp), np.dtype(a_dtype))
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("scalar", [None, "a", "b"])
def test_qlinear_add_table_matches_onnxruntime(dtype, scalar, rng, ort_run, make_model):
    """Every (a, b) code pair; with a scalar operand, every code against two random scalar codes."""
    info = np.iinfo(dtype)
    codes = np.arange(info.min, info.max + 1).astype(dtype)
    node = helper.make_node("QLinearAdd", ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], ["y"],
                            domain="com.microsoft")
    for trial in range(3):
        scales = rng.uniform(1e-3, 0.2, 3).astype(np.float32)
        zps = [np.array(rng.integers(info.min, info.max + 1) if trial else 0, dtype) for _ in range(3)]
        inits = [numpy_helper.from_array(v, name) for v, name in [
            (np.array(scales[0]), "sa"), (zps[0], "za"), (np.array(scales[1]), "sb"), (zps[1], "zb"),
            (np.array(scales[2]), "sc"), (zps[2], "zc")]]
        table = ort_arith.qlinear_add_table(scales[0], zps[0], scales[1], zps[1], scales[2], zps[2],
                                            np.dtype(dtype), scalar=scalar)
        if scalar is None:
            pairs = [(np.repeat(codes, 256), np.tile(codes, 256))]
        else:
            fixed = [np.full(1, c, dtype) for c in rng.choice(codes, 2)]
            pairs = [(f, codes) if scalar == "a" else (codes, f) for f in fixed]
        for a, b in pairs:
            expected = _run_single(ort_run, make_model, node,
                                   [("a", dtype, list(a.shape)), ("b", dtype, list(b.shape))],
                                   [("y", dtype, 1)], inits, {"a": a, "b": b}, microsoft=True)
            a_idx, b_idx = np.broadcast_arrays(a.astype(np.int64) - info.min, b.astype(np.int64) - info.min)
            assert np.array_equal(table[a_idx, b_idx], expected)
