"""Quantized adds and global average pools on the accelerator, only where exact, against onnxruntime.

* QLinearAdd (and the QDQ adds onnxruntime fuses into it) goes to the residual add when some choice of
  scales reproduces onnxruntime's kernel on all 65,536 code pairs; otherwise it stays on the host with a
  note giving the reason.  Either way the result equals onnxruntime's on every element.
* QLinearGlobalAveragePool and the QDQ ``DQ -> GlobalAveragePool -> Q`` onnxruntime fuses into it run
  as a GEMM with a column of ones: equal to onnxruntime for any scales and zero points.
Both are checked with the reference executor and with the tiled programs on the golden backend.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from onnx import helper, numpy_helper

from gemmini_gen.backend import get_backend
from gemmini_gen.compiler import compile_model
from gemmini_gen.compiler.backend_executor import BackendGemmExecutor
from gemmini_gen.compiler.resadd import ResaddScales
from gemmini_gen.config import preset


def _params(dtype, names_values):
    inits = []
    for name, value in names_values:
        kind = np.float32 if name.startswith("s") else dtype
        inits.append(numpy_helper.from_array(np.array(value, kind), name))
    return inits


def _qlinear_add(make_model, dtype, sa, za, sb, zb, sc, zc, b_shape=("N", 7)):
    node = helper.make_node("QLinearAdd", ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], ["c"],
                            domain="com.microsoft", name="add")
    inits = _params(dtype, [("sa", sa), ("za", za), ("sb", sb), ("zb", zb), ("sc", sc), ("zc", zc)])
    return make_model([node], [("a", dtype, ["N", 7]), ("b", dtype, list(b_shape))], [("c", dtype, ["N", 7])],
                      inits, microsoft=True)


def _qdq_add(make_model, s):
    """Q(x), Q(y) -> DQ, DQ -> Add -> Q -> DQ on int8, which onnxruntime fuses into a uint8 QLinearAdd."""
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["qx"]),
             helper.make_node("QuantizeLinear", ["y", "s", "z"], ["qy"]),
             helper.make_node("DequantizeLinear", ["qx", "s", "z"], ["dx"]),
             helper.make_node("DequantizeLinear", ["qy", "s", "z"], ["dy"]),
             helper.make_node("Add", ["dx", "dy"], ["sum"], name="add"),
             helper.make_node("QuantizeLinear", ["sum", "s", "z"], ["qs"]),
             helper.make_node("DequantizeLinear", ["qs", "s", "z"], ["out"])]
    return make_model(nodes, [("x", np.float32, ["N", 6]), ("y", np.float32, ["N", 6])],
                      [("out", np.float32, ["N", 6])], _params(np.int8, [("s", s), ("z", 0)]))


def _check(compiled, feeds, expected):
    golden = BackendGemmExecutor(get_backend("golden", preset("default")))
    for executor in (None, golden):
        result = compiled.run(feeds, executor)
        for name, value in expected.items():
            assert result.outputs[name].dtype == value.dtype
            assert np.array_equal(result.outputs[name], value), name
    return result


@pytest.mark.parametrize("dtype, params, scales", [
    (np.int8, (0.05, 0, 0.05, 0, 0.05, 0), ResaddScales(1.0, 1.0, 1.0)),
    (np.int8, (0.05, 0, 0.05, 0, 0.1, 0), ResaddScales(1.0, 1.0, 0.5)),
    (np.uint8, (0.02, 128, 0.02, 128, 0.02, 128), ResaddScales(1.0, 1.0, 1.0)),
])
def test_exact_adds_run_on_the_residual_add(make_model, ort_run, rng, dtype, params, scales):
    model = _qlinear_add(make_model, dtype, *params)
    info = np.iinfo(dtype)
    feeds = {k: rng.integers(info.min, info.max + 1, (300, 7)).astype(dtype) for k in "ab"}
    compiled = compile_model(model)
    assert compiled.placement() == [("add", "QLinearAdd", "accelerator")] and compiled.notes == []
    assert compiled.steps[0].layer.scales == scales
    result = _check(compiled, feeds, ort_run(model, feeds))
    assert result.steps[0].macs == 0 and result.steps[0].calls == 1


def test_a_broadcast_operand_is_materialized(make_model, ort_run, rng):
    model = _qlinear_add(make_model, np.int8, 0.05, 0, 0.05, 0, 0.05, 0, b_shape=(7,))
    feeds = {"a": rng.integers(-128, 128, (40, 7)).astype(np.int8),
             "b": rng.integers(-128, 128, 7).astype(np.int8)}
    compiled = compile_model(model)
    assert compiled.steps[0].on == "accelerator"
    _check(compiled, feeds, ort_run(model, feeds))


@pytest.mark.parametrize("params, reason", [
    ((0.05, 0, 0.025, 0, 0.1, 0), r"would differ from onnxruntime's QLinearAdd on 20,480 of 65,536 code pairs"),
    ((0.05, 0, 0.05, 0, 0.05, 3), r"zero points \(0, 0, 3\) \(int8 domain\) are not all 0"),
])
def test_inexact_adds_stay_on_the_host_with_the_reason(make_model, ort_run, rng, params, reason):
    model = _qlinear_add(make_model, np.int8, *params)
    feeds = {k: rng.integers(-128, 128, (100, 7)).astype(np.int8) for k in "ab"}
    compiled = compile_model(model)
    assert compiled.placement() == [("add", "QLinearAdd", "host")]
    assert len(compiled.notes) == 1 and compiled.notes[0].startswith("add: QLinearAdd stays on the host")
    assert re.search(reason, compiled.notes[0])
    _check(compiled, feeds, ort_run(model, feeds))


def test_qdq_add_fused_by_onnxruntime_runs_on_the_residual_add(make_model, ort_run, rng):
    model = _qdq_add(make_model, 0.04)
    feeds = {k: rng.normal(0, 2, (64, 6)).astype(np.float32) for k in "xy"}
    compiled = compile_model(model)
    assert ("add", "QLinearAdd (QDQ)", "accelerator") in compiled.placement()
    _check(compiled, feeds, ort_run(model, feeds))


def test_digits_bias_adds_stay_on_the_host(data_dir):
    compiled = compile_model(data_dir / "digits" / "digits_mlp_mm_int8_qop.onnx")
    adds = [s for s in compiled.steps if s.op == "QLinearAdd"]
    assert len(adds) == 3 and all(s.on == "host" for s in adds)
    assert sum("QLinearAdd stays on the host" in n for n in compiled.notes) == 3


# ----------------------------------------------------------------------------------------------
# Global average pooling
# ----------------------------------------------------------------------------------------------
def _qdq_average(make_model, dtype, s1, z1, s2, z2, spatial):
    nodes = [helper.make_node("QuantizeLinear", ["x", "s1", "z1"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s1", "z1"], ["d"]),
             helper.make_node("GlobalAveragePool", ["d"], ["g"], name="gap"),
             helper.make_node("QuantizeLinear", ["g", "s2", "z2"], ["q2"]),
             helper.make_node("DequantizeLinear", ["q2", "s2", "z2"], ["y"])]
    inits = _params(dtype, [("s1", s1), ("z1", z1), ("s2", s2), ("z2", z2)])
    return make_model(nodes, [("x", np.float32, ["N", 8, *spatial])], [("y", np.float32, ["N", 8, 1, 1])],
                      inits)


@pytest.mark.parametrize("dtype, params", [
    (np.int8, (0.05, 0, 0.01, 0)), (np.int8, (0.031, -5, 0.0071, 11)),
    (np.uint8, (0.05, 128, 0.011, 128)), (np.uint8, (0.05, 100, 0.011, 90))])
@pytest.mark.parametrize("spatial", [(3, 4), (7, 7), (1, 9)])
def test_qdq_global_average_equals_onnxruntime(make_model, ort_run, rng, dtype, params, spatial):
    model = _qdq_average(make_model, dtype, *params, spatial)
    feeds = {"x": rng.normal(0, 2, (40, 8, *spatial)).astype(np.float32)}
    compiled = compile_model(model)
    assert ("gap", "GlobalAveragePool (QDQ)", "accelerator") in compiled.placement()
    _check(compiled, feeds, ort_run(model, feeds))


@pytest.mark.parametrize("dtype, params", [
    (np.uint8, (0.05, 128, 0.011, 128)), (np.uint8, (0.05, 100, 0.011, 90)),
    (np.int8, (0.05, 0, 0.01, 0)), (np.int8, (0.05, 3, 0.013, -7))])
@pytest.mark.parametrize("channels_last", [0, 1])
def test_qlinear_global_average_equals_onnxruntime(make_model, ort_run, rng, dtype, params, channels_last):
    shape = (6, 5, 5, 16) if channels_last else (6, 16, 5, 5)
    out = (6, 1, 1, 16) if channels_last else (6, 16, 1, 1)
    node = helper.make_node("QLinearGlobalAveragePool", ["x", "s1", "z1", "s2", "z2"], ["y"], name="gap",
                            domain="com.microsoft", channels_last=channels_last)
    inits = _params(dtype, [("s1", params[0]), ("z1", params[1]), ("s2", params[2]), ("z2", params[3])])
    model = make_model([node], [("x", dtype, shape)], [("y", dtype, out)], inits, microsoft=True)
    info = np.iinfo(dtype)
    feeds = {"x": rng.integers(info.min, info.max + 1, shape).astype(dtype)}
    compiled = compile_model(model)
    assert compiled.placement() == [("gap", "QLinearGlobalAveragePool", "accelerator")]
    result = _check(compiled, feeds, ort_run(model, feeds))
    assert result.steps[0].macs == 6 * 16 * 25          # one GEMM with a column of ones
