"""ONNX models as performance-model workloads (`gemmini_gen.compiler.perf_lowering`)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from gemmini_gen.cli.estimate import main as estimate_main
from gemmini_gen.config import preset
from gemmini_gen.perf import LayerKind, WorkloadError, estimate, load_workload


def _shapes(workload):
    return [(layer.kind, layer.M, layer.N, layer.K, layer.groups, layer.conv) for layer in workload.layers]


@pytest.mark.parametrize("form", ["int8_qdq", "int8_qop", "int8_qop_u8asym", "fp32"])
def test_digits_cnn_matches_the_builtin_layer_list(data_dir, form):
    workload = load_workload(data_dir / "digits" / f"digits_cnn_{form}.onnx")
    builtin = load_workload("digits_cnn")
    assert _shapes(workload) == _shapes(builtin)
    assert workload.name == f"digits_cnn_{form}"
    assert estimate(workload, preset("default")).total_cycles == estimate(builtin, preset("default")).total_cycles


def test_symbols_set_the_batch(data_dir):
    workload = load_workload(data_dir / "digits" / "digits_cnn_int8_qdq.onnx", symbols={"N": 8})
    conv1, conv2, fc = workload.layers
    assert (conv1.M, conv1.conv.batch, conv2.M, fc.M) == (8 * 64, 8, 8 * 16, 8)
    assert workload.macs == 8 * load_workload("digits_cnn").macs


def test_mlp_layers(data_dir):
    workload = load_workload(data_dir / "digits" / "digits_mlp_mm_int8_qop.onnx")
    assert [(l.kind, l.M, l.N, l.K) for l in workload.layers] == [
        (LayerKind.GEMM, 1, 128, 64), (LayerKind.GEMM, 1, 64, 128), (LayerKind.GEMM, 1, 10, 64)]


def _grouped_conv_model(make_model, groups: int, channels: int, filters: int):
    w = np.ones((filters, channels // groups, 3, 3), np.int8)
    inits = [numpy_helper.from_array(np.array(v, t), n) for n, v, t in (
        ("xs", 0.1, np.float32), ("xz", 0, np.int8), ("ws", 0.1, np.float32), ("wz", 0, np.int8),
        ("ys", 0.5, np.float32), ("yz", 0, np.int8))] + [numpy_helper.from_array(w, "w")]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"], name="conv",
                            group=groups, pads=[1, 0, 1, 0], strides=[2, 1])
    return make_model([node], [("x", np.int8, ["N", channels, 9, 6])], [("y", np.int8, ["N", filters, 5, 4])],
                      inits)


def test_depthwise_and_grouped_convolutions(make_model, tmp_path):
    path = tmp_path / "depthwise.onnx"
    onnx.save(_grouped_conv_model(make_model, 8, 8, 16), str(path))
    (layer,) = load_workload(path, symbols={"N": 2}).layers
    assert (layer.kind, layer.M, layer.N, layer.K, layer.groups) == (LayerKind.DEPTHWISE, 2 * 5 * 4, 2, 9, 8)
    assert (layer.conv.ifmap_h, layer.conv.ofmap_h, layer.conv.pad_h, layer.conv.pad_w, layer.conv.stride_h) == \
        (9, 5, 1, 0, 2)
    path = tmp_path / "grouped.onnx"
    onnx.save(_grouped_conv_model(make_model, 2, 8, 6), str(path))
    (layer,) = load_workload(path).layers
    assert (layer.kind, layer.M, layer.N, layer.K, layer.groups, layer.conv.channels) == \
        (LayerKind.CONV, 20, 3, 36, 2, 4)


def test_gemmini_estimate_reads_onnx(data_dir, capsys):
    assert estimate_main([str(data_dir / "digits" / "digits_cnn_int8_qop.onnx"), "--json", "--symbol", "N=4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [layer["M"] for layer in report["layers"]] == [256, 64, 4]
    assert report["workload"] == "digits_cnn_int8_qop"


def test_errors_are_workload_errors(make_model, tmp_path, capsys):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(WorkloadError, match="cannot parse"):
        load_workload(path)
    relu = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", np.float32, [4])], [("y", np.float32, [4])])
    onnx.save(relu, str(tmp_path / "relu.onnx"))
    with pytest.raises(WorkloadError, match="has no layer the accelerator runs"):
        load_workload(tmp_path / "relu.onnx")
    assert estimate_main([str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
