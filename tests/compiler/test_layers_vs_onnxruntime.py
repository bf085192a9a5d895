"""Accelerator layers on random quantized operators, bit-exact against a default onnxruntime session.

Covers the lowering's exactness arguments one by one: uint8 -> int8 shifting, zero points folded into the
bias (per-column and full-matrix), padding holding the input zero point, groups and depthwise, strides,
dilations, asymmetric and automatic padding, per-channel scales (on the host and on the accelerator),
requantization on the accelerator (int8-domain zero point 0) and on the host, QGemm's alpha, transposes,
bias shapes and float output, and MatMulInteger/ConvInteger's raw int32 output.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper

from gemmini_gen.compiler import compile_model

I8, U8 = np.int8, np.uint8


def _codes(rng, dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


def _inits(**values):
    return [numpy_helper.from_array(np.asarray(v), k) for k, v in values.items()]


def _check(model, feeds, ort_run, *, per_channel_modes=("host",), layers=1):
    expected = next(iter(ort_run(model, feeds).values()))
    for mode in per_channel_modes:
        compiled = compile_model(model, per_channel_requant=mode)
        assert [s.on for s in compiled.steps].count("accelerator") == layers
        got = next(iter(compiled.run(feeds).outputs.values()))
        assert got.dtype == expected.dtype and np.array_equal(got, expected), mode
    return compiled


CONV_CASES = [
    # act, weight dtype, x zp, y zp, group, kernel, attrs, per-channel, bias
    (I8, I8, 0, 0, 1, (3, 3), dict(pads=[1, 1, 1, 1]), False, True),
    (I8, I8, 5, -3, 1, (3, 3), dict(strides=[2, 2], pads=[1, 0, 2, 1]), True, True),
    (I8, I8, 0, 0, 2, (3, 3), dict(dilations=[2, 2], pads=[2, 2, 2, 2]), True, False),
    (I8, I8, -7, 0, 6, (3, 3), dict(auto_pad="SAME_UPPER", strides=[2, 2]), True, True),   # depthwise
    (U8, I8, 128, 128, 1, (1, 1), {}, False, True),
    (U8, I8, 17, 0, 3, (3, 3), dict(auto_pad="SAME_LOWER"), True, True),
    (U8, U8, 100, 140, 1, (2, 3), dict(strides=[1, 2], auto_pad="VALID"), False, False),
    (I8, I8, 3, 2, 1, (3,), dict(pads=[1, 2]), True, True),                                # 1-D
]


@pytest.mark.parametrize("act, wdt, x_zp, y_zp, group, kernel, attrs, per_channel, bias", CONV_CASES)
def test_qlinearconv(act, wdt, x_zp, y_zp, group, kernel, attrs, per_channel, bias, rng, ort_run, make_model):
    n, c, oc = 2, 6, 6
    spatial = (9, 8)[:len(kernel)]
    x = _codes(rng, act, (n, c) + spatial)
    w = _codes(rng, wdt, (oc, c // group) + kernel)
    w_zp = np.array(0 if wdt == I8 else 130, wdt)
    w_scale = rng.uniform(0.002, 0.02, oc if per_channel else ()).astype(np.float32)
    inits = _inits(xs=np.float32(0.05), xz=np.array(x_zp, act), w=w, ws=w_scale, wz=w_zp,
                   ys=np.float32(rng.uniform(0.05, 0.3)), yz=np.array(y_zp, act))
    names = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"]
    if bias:
        inits += _inits(b=rng.integers(-5000, 5000, oc).astype(np.int32))
        names.append("b")
    node = helper.make_node("QLinearConv", names, ["y"], group=group, **attrs)
    model = make_model([node], [("x", act, list(x.shape))], [("y", act, x.ndim)], inits)
    _check(model, {"x": x}, ort_run, per_channel_modes=("host", "accelerator"))


@pytest.mark.parametrize("act, a_zp, y_zp, a_shape, b_shape, per_column", [
    (I8, 0, 0, (5, 40), (40, 19), True),
    (I8, -9, 4, (2, 3, 33), (33, 17), False),
    (U8, 128, 128, (2, 3, 33), (2, 33, 17), False),       # batched B
    (U8, 60, 200, (7, 70), (70, 24), True),
])
def test_qlinearmatmul(act, a_zp, y_zp, a_shape, b_shape, per_column, rng, ort_run, make_model):
    a = _codes(rng, act, a_shape)
    b = _codes(rng, I8, b_shape)
    n = b_shape[-1]
    inits = _inits(sa=np.float32(0.02), za=np.array(a_zp, act), b=b,
                   sb=rng.uniform(0.002, 0.02, n if per_column else ()).astype(np.float32),
                   zb=np.zeros(n if per_column else (), I8), sy=np.float32(0.4), zy=np.array(y_zp, act))
    node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"])
    rank = max(len(a_shape), len(b_shape))
    model = make_model([node], [("a", act, list(a_shape))], [("y", act, rank)], inits)
    _check(model, {"a": a}, ort_run, per_channel_modes=("host", "accelerator"))


@pytest.mark.parametrize("act, trans_a, trans_b, alpha, c_shape, out", [
    (I8, 0, 1, 1.0, (12,), "int8"),
    (I8, 1, 0, 0.5, None, "int8"),
    (U8, 0, 1, 1.0, (9, 12), "uint8"),
    (U8, 1, 1, 2.0, (1,), "float"),
    (I8, 0, 0, 1.0, (12,), "float"),
])
def test_qgemm(act, trans_a, trans_b, alpha, c_shape, out, rng, ort_run, make_model):
    m, k, n = 9, 50, 12
    a = _codes(rng, act, (k, m) if trans_a else (m, k))
    b = _codes(rng, I8, (n, k) if trans_b else (k, n))
    names = ["a", "sa", "za", "b", "sb", "zb"]
    inits = _inits(sa=np.float32(0.03), za=np.array(3 if act == I8 else 140, act), b=b,
                   sb=rng.uniform(0.002, 0.02, n).astype(np.float32), zb=np.zeros(n, I8))
    if c_shape is not None:
        inits += _inits(c=rng.integers(-3000, 3000, c_shape).astype(np.int32))
    names.append("c" if c_shape is not None else "")
    out_dtype = np.float32 if out == "float" else act
    if out != "float":
        inits += _inits(sy=np.float32(0.5), zy=np.array(-4 if act == I8 else 77, act))
        names += ["sy", "zy"]
    node = helper.make_node("QGemm", names, ["y"], domain="com.microsoft", alpha=alpha, transA=trans_a,
                            transB=trans_b)
    model = make_model([node], [("a", act, list(a.shape))], [("y", out_dtype, 2)], inits, microsoft=True)
    _check(model, {"a": a}, ort_run, per_channel_modes=("host", "accelerator"))


@pytest.mark.parametrize("adt, bdt, a_zp, b_zp", [
    (U8, U8, 12, 200), (U8, I8, 0, 0), (I8, I8, -3, 5), (U8, I8, 255, -128),
])
def test_matmul_integer_is_raw_int32(adt, bdt, a_zp, b_zp, rng, ort_run, make_model):
    a = _codes(rng, adt, (3, 11, 64))
    b = _codes(rng, bdt, (64, 10))
    inits = _inits(b=b, za=np.array(a_zp, adt), zb=np.array(b_zp, bdt))
    node = helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])
    model = make_model([node], [("a", adt, list(a.shape))], [("y", np.int32, 3)], inits)
    compiled = _check(model, {"a": a}, ort_run)
    assert compiled.steps[0].layer.output is None


def test_matmul_integer_per_column_b_zero_point(rng, make_model):
    """onnxruntime accepts per-column b zero points here; compare with exact integer arithmetic."""
    a = _codes(rng, U8, (6, 30))
    b = _codes(rng, U8, (30, 8))
    b_zp = rng.integers(0, 256, 8).astype(U8)
    model = make_model([helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])],
                       [("a", U8, [6, 30])], [("y", np.int32, 2)],
                       _inits(b=b, za=np.array(9, U8), zb=b_zp))
    got = compile_model(model).run({"a": a}).outputs["y"]
    assert np.array_equal(got, (a.astype(np.int64) - 9) @ (b.astype(np.int64) - b_zp.astype(np.int64)))


@pytest.mark.parametrize("x_zp, w_zp, attrs", [(7, 3, dict(pads=[1, 1, 1, 1])), (0, 0, dict(strides=[2, 2])),
                                               (250, 1, dict(dilations=[2, 1], group=2))])
def test_conv_integer(x_zp, w_zp, attrs, rng, ort_run, make_model):
    x = _codes(rng, U8, (1, 4, 7, 7))
    w = _codes(rng, U8, (6, 4 // attrs.get("group", 1), 3, 3))
    inits = _inits(w=w, xz=np.array(x_zp, U8), wz=np.array(w_zp, U8))
    model = make_model([helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], **attrs)],
                       [("x", U8, list(x.shape))], [("y", np.int32, 4)], inits)
    _check(model, {"x": x}, ort_run)


def _qdq_conv(act, y_zp, activation, make_model, rng):
    """x -> Q -> DQ -> Conv(DQ(w), DQ(b)) -> activation -> Q -> DQ -> y (onnxruntime's quantizer layout)."""
    lo, hi = (-128, 127) if act == I8 else (0, 255)
    w = rng.integers(-127, 128, (8, 3, 3, 3)).astype(I8)
    inits = _inits(xs=np.float32(0.02), xz=np.array(0, act), w=w, ws=np.float32(0.01), wz=np.array(0, I8),
                   b=rng.integers(-400, 400, 8).astype(np.int32), bs=np.float32(0.0002), bz=np.int32(0),
                   ys=np.float32(0.03), yz=np.array(y_zp, act), lo=np.float32(0.0), hi=np.float32(1.5))
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"]),
             helper.make_node("DequantizeLinear", ["b", "bs", "bz"], ["bd"]),
             helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1])]
    if activation == "relu":
        nodes.append(helper.make_node("Relu", ["c"], ["r"]))
    elif activation == "clip":
        nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["r"]))
    last = "r" if activation else "c"
    nodes += [helper.make_node("QuantizeLinear", [last, "ys", "yz"], ["yq"]),
              helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    assert lo <= y_zp <= hi
    return make_model(nodes, [("x", np.float32, [2, 3, 6, 6])], [("y", np.float32, 4)], inits)


@pytest.mark.parametrize("act, y_zp, activation", [(I8, 0, None), (U8, 0, "relu"), (I8, -128, "relu"),
                                                  (U8, 128, None)])
def test_qdq_conv_matches_onnxruntimes_fused_qlinearconv(act, y_zp, activation, rng, ort_run, make_model):
    model = _qdq_conv(act, y_zp, activation, make_model, rng)
    x = rng.uniform(-1.5, 2.5, (2, 3, 6, 6)).astype(np.float32)
    compiled = _check(model, {"x": x}, ort_run)
    assert [s.op for s in compiled.steps] == ["QuantizeLinear", "Conv (QDQ)", "DequantizeLinear"]


def test_qdq_clip_moves_after_quantization(rng, ort_run, make_model):
    """Conv -> Clip(0, 1.5) -> Q: onnxruntime keeps this Conv in float; the compiler computes the exact
    integer result and clamps the codes to [Q(0), Q(1.5)] -- equal to onnxruntime's float path up to
    1 LSB where the float accumulation rounds across a quantization boundary."""
    model = _qdq_conv(I8, 0, "clip", make_model, rng)
    x = rng.uniform(-1.5, 2.5, (2, 3, 6, 6)).astype(np.float32)
    compiled = compile_model(model)
    assert [s.op for s in compiled.steps] == ["QuantizeLinear", "Conv (QDQ)", "Lut", "DequantizeLinear"]
    got = compiled.run({"x": x}).outputs["y"]
    expected = ort_run(model, {"x": x})["y"]
    assert got.min() == 0 and got.max() == np.float32(0.03) * 50
    assert np.abs(got - expected).max() <= np.float32(0.03) * 1.0001
