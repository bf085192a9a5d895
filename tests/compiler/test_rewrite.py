"""The exact rewrites: layout/MaxPool sinking, elementwise chains as tables, table fusion into layers."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper

from gemmini_gen.compiler import compile_model
from gemmini_gen.compiler.lut import Lut


def _inits(**values):
    return [numpy_helper.from_array(np.asarray(v), k) for k, v in values.items()]


def _conv_then(make_model, rng, tail_nodes, tail_inits, out_dtype=np.float32, out_rank=4):
    """QLinearConv (int8, zp 0) followed by float nodes written as in onnxruntime's QOperator models."""
    w = rng.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8)
    inits = _inits(xs=np.float32(0.02), xz=np.int8(0), w=w, ws=np.float32(0.01), wz=np.int8(0),
                   ys=np.float32(0.05), yz=np.int8(0), **tail_inits)
    nodes = [helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["c"],
                              pads=[1, 1, 1, 1], name="conv")] + tail_nodes
    return make_model(nodes, [("x", np.int8, [2, 2, 6, 6])], [("y", out_dtype, out_rank)], inits)


def test_relu_and_pooling_move_into_the_integer_domain(make_model, rng, ort_run):
    tail = [helper.make_node("DequantizeLinear", ["c", "ys", "yz"], ["cf"]),
            helper.make_node("Relu", ["cf"], ["r"]),
            helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
            helper.make_node("Flatten", ["p"], ["f"]),
            helper.make_node("QuantizeLinear", ["f", "ps", "yz"], ["y"])]
    model = _conv_then(make_model, rng, tail, dict(ps=np.float32(0.05)), out_dtype=np.int8, out_rank=2)
    x = rng.integers(-128, 128, (2, 2, 6, 6)).astype(np.int8)
    compiled = compile_model(model)
    assert [s.op for s in compiled.steps] == ["QLinearConv", "MaxPool", "Flatten"]
    assert compiled.steps[0].layer.relu
    assert np.array_equal(compiled.run({"x": x}).outputs["y"], ort_run(model, {"x": x})["y"])


def test_a_general_table_stays_on_the_host(make_model, rng, ort_run):
    tail = [helper.make_node("DequantizeLinear", ["c", "ys", "yz"], ["cf"]),
            helper.make_node("Clip", ["cf", "lo", "hi"], ["r"]),
            helper.make_node("QuantizeLinear", ["r", "s2", "yz"], ["q"]),
            helper.make_node("DequantizeLinear", ["q", "s2", "yz"], ["y"])]
    model = _conv_then(make_model, rng, tail, dict(lo=np.float32(-0.3), hi=np.float32(0.9),
                                                   s2=np.float32(0.013)))
    x = rng.integers(-128, 128, (2, 2, 6, 6)).astype(np.int8)
    compiled = compile_model(model)
    assert [s.op for s in compiled.steps] == ["QLinearConv", "Lut", "DequantizeLinear"]
    assert not compiled.steps[0].layer.relu
    assert np.array_equal(compiled.run({"x": x}).outputs["y"], ort_run(model, {"x": x})["y"])


def test_a_layer_output_that_is_also_a_graph_output_is_not_fused(make_model, rng, ort_run):
    tail = [helper.make_node("DequantizeLinear", ["c", "ys", "yz"], ["cf"]),
            helper.make_node("Relu", ["cf"], ["r"]),
            helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["y"])]
    model = _conv_then(make_model, rng, tail, {}, out_dtype=np.int8)
    model.graph.output.append(helper.make_tensor_value_info("c", 3, ["a", "b", "c", "d"]))
    x = rng.integers(-128, 128, (2, 2, 6, 6)).astype(np.int8)
    compiled = compile_model(model)
    assert [s.op for s in compiled.steps] == ["QLinearConv", "Lut"]
    got, want = compiled.run({"x": x}).outputs, ort_run(model, {"x": x})
    assert np.array_equal(got["y"], want["y"]) and np.array_equal(got["c"], want["c"])
    assert (got["c"] < 0).any() and (got["y"] >= 0).all()


def test_constant_dequantization_is_folded(data_dir):
    compiled = compile_model(data_dir / "digits" / "digits_mlp_mm_int8_qdq.onnx")
    ops = [s.op for s in compiled.steps]
    # the three bias DequantizeLinear nodes are constants now; each float Add island stays exact on the host
    assert ops.count("DequantizeLinear") == 4 and ops.count("Add") == 3 and ops.count("Lut") == 2


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_lut_classification(dtype):
    info = np.iinfo(dtype)
    codes = np.arange(info.min, info.max + 1).astype(dtype)
    zp = 0 if dtype == np.int8 else 128
    assert Lut(codes.copy(), np.dtype(dtype)).is_identity()
    relu = Lut(np.maximum(codes, np.asarray(zp).astype(dtype)), np.dtype(dtype))
    assert relu.is_relu(zp) and not relu.is_identity() and relu.is_monotone()
    flipped = Lut(codes[::-1].copy(), np.dtype(dtype))
    assert not flipped.is_monotone() and not flipped.is_relu(zp)
    assert np.array_equal(relu.apply(np.array([info.min, zp + 1], dtype)), [zp, zp + 1])
