"""Host operators that the conformance cases do not reach, bit-exact against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper

from gemmini_gen.compiler import compile_model


def _inits(**values):
    return [numpy_helper.from_array(np.asarray(v), k) for k, v in values.items()]


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("a_shape, b_shape", [
    ((5, 40), (40,)),             # both operands are spans
    ((5, 40), (5, 1)),            # b is a scalar for each row of a
    ((5, 1), (1, 40)),            # a is a scalar for each row
    ((2, 3, 40), (1,)),           # b broadcast as one scalar
    ((1,), (6, 7)),
])
def test_qlinear_add_broadcasting(dtype, a_shape, b_shape, rng, ort_run, make_model):
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max + 1, a_shape).astype(dtype)
    b = rng.integers(info.min, info.max + 1, b_shape).astype(dtype)
    zp = (lambda v: np.array(v, dtype))
    signed = dtype == np.int8
    inits = _inits(sa=np.float32(0.031), za=zp(3 if signed else 120), b=b, sb=np.float32(0.017),
                   zb=zp(-2 if signed else 130), sc=np.float32(0.044), zc=zp(1 if signed else 127))
    node = helper.make_node("QLinearAdd", ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], ["y"],
                            domain="com.microsoft")
    rank = len(np.broadcast_shapes(a_shape, b_shape))
    model = make_model([node], [("a", dtype, list(a_shape))], [("y", dtype, rank)], inits, microsoft=True)
    got = compile_model(model).run({"a": a}).outputs["y"]
    assert np.array_equal(got, ort_run(model, {"a": a})["y"])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_integer_max_pool_with_padding_and_ceil_mode(dtype, rng, ort_run, make_model):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max + 1, (2, 3, 9, 7)).astype(dtype)
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1],
                            ceil_mode=1)
    model = make_model([node], [("x", dtype, list(x.shape))], [("y", dtype, 4)])
    got = compile_model(model).run({"x": x}).outputs["y"]
    assert np.array_equal(got, ort_run(model, {"x": x})["y"])


@pytest.mark.parametrize("a_from_q", [False, True])
def test_add_with_an_int8_constant(a_from_q, rng, ort_run, make_model):
    """DQ(a) + DQ(int8 constant) -> Q: with `a` quantized by a QuantizeLinear onnxruntime moves `a` to
    uint8, the types no longer match and the Add runs in float; with `a` a graph input all three stay
    int8 and it becomes QLinearAdd.  Both are reproduced exactly."""
    a = rng.integers(-128, 128, (64, 30)).astype(np.int8)
    nodes = [helper.make_node("DequantizeLinear", ["a", "sa", "z"], ["af"]),
             helper.make_node("DequantizeLinear", ["b", "sb", "z"], ["bf"]),
             helper.make_node("Add", ["af", "bf"], ["s"]),
             helper.make_node("QuantizeLinear", ["s", "sc", "z"], ["y"])]
    inputs = [("a", np.int8, [64, 30])]
    feeds = {"a": a}
    if a_from_q:
        nodes.insert(0, helper.make_node("QuantizeLinear", ["x", "sa", "z"], ["a"]))
        inputs = [("x", np.float32, [64, 30])]
        feeds = {"x": (a.astype(np.float32) * np.float32(0.0213)).astype(np.float32)}
    inits = _inits(sa=np.float32(0.0213), sb=np.float32(0.0071), sc=np.float32(0.0305), z=np.int8(0),
                   b=rng.integers(-128, 128, 30).astype(np.int8))
    model = make_model(nodes, inputs, [("y", np.int8, 2)], inits)
    compiled = compile_model(model)
    ops = [s.op for s in compiled.steps]
    assert ops == (["QuantizeLinear", "DequantizeLinear", "Add", "QuantizeLinear"] if a_from_q
                   else ["QLinearAdd (QDQ)"])
    assert np.array_equal(compiled.run(feeds).outputs["y"], ort_run(model, feeds)["y"])


def _qdq_add(make_model, dtype, constant_b, scales, zps):
    """x, y -> QuantizeLinear -> DequantizeLinear -> Add -> QuantizeLinear -> DequantizeLinear, with
    inputs that quantize to every pair of codes (b a constant when `constant_b`)."""
    info = np.iinfo(dtype)
    codes = np.arange(info.min, info.max + 1).astype(dtype)
    inits = _inits(sa=scales[0], sb=scales[1], sc=scales[2], za=np.array(zps[0], dtype),
                   zb=np.array(zps[1], dtype), zc=np.array(zps[2], dtype))
    nodes = [helper.make_node("QuantizeLinear", ["x", "sa", "za"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "sa", "za"], ["xd"])]
    if constant_b:
        inits += _inits(bq=np.tile(codes, 256))
        nodes.append(helper.make_node("DequantizeLinear", ["bq", "sb", "zb"], ["bd"]))
    else:
        nodes += [helper.make_node("QuantizeLinear", ["y", "sb", "zb"], ["yq"]),
                  helper.make_node("DequantizeLinear", ["yq", "sb", "zb"], ["bd"])]
    nodes += [helper.make_node("Add", ["xd", "bd"], ["s"]),
              helper.make_node("QuantizeLinear", ["s", "sc", "zc"], ["sq"]),
              helper.make_node("DequantizeLinear", ["sq", "sc", "zc"], ["out"])]
    inputs = [("x", np.float32, [65536])] + ([] if constant_b else [("y", np.float32, [65536])])
    model = make_model(nodes, inputs, [("out", np.float32, [65536])], inits)
    x = ((np.repeat(codes, 256).astype(np.float32) - zps[0]) * scales[0]).astype(np.float32)
    y = ((np.tile(codes, 256).astype(np.float32) - zps[1]) * scales[1]).astype(np.float32)
    return model, ({"x": x} if constant_b else {"x": x, "y": y})


@pytest.mark.parametrize("dtype, zps", [(np.int8, (28, 5, 21)), (np.int8, (0, 0, 0)),
                                        (np.uint8, (92, 69, 85)), (np.uint8, (128, 128, 128))])
@pytest.mark.parametrize("constant_b", [False, True])
def test_qdq_add_follows_onnxruntimes_fusion(dtype, zps, constant_b, ort_run, make_model):
    """onnxruntime fuses the Add into QLinearAdd (on codes shifted to uint8 for int8 activations) unless
    an int8 constant operand keeps the types apart; then it adds in float.  All 65536 code pairs."""
    rng = np.random.default_rng(2)
    scales = rng.uniform(0.005, 0.05, 3).astype(np.float32)
    model, feeds = _qdq_add(make_model, dtype, constant_b, scales, zps)
    compiled = compile_model(model)
    fused = not (constant_b and dtype == np.int8)
    assert ("QLinearAdd (QDQ)" in [s.op for s in compiled.steps]) == fused
    assert np.array_equal(compiled.run(feeds).outputs["out"], ort_run(model, feeds)["out"])
