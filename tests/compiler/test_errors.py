"""Bad input gets a dedicated exception with a one-line message naming the problem."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from gemmini_gen.compiler import (CompilerError, InputError, ModelError, UnsupportedOpError, compile_model,
                                  quantize)
from gemmini_gen.config import preset


def _one_line(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message and message
    return message


@pytest.fixture
def digits_cnn(data_dir):
    return data_dir / "digits" / "digits_cnn_int8_qop.onnx"


def test_missing_file():
    with pytest.raises(ModelError) as e:
        compile_model("/nonexistent/model.onnx")
    assert "does not exist" in _one_line(e)


def test_garbage_bytes(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07 definitely not a protobuf \xff\xfe")
    with pytest.raises(ModelError) as e:
        compile_model(path)
    assert "broken.onnx" in _one_line(e)


def test_checker_failure(make_model):
    model = make_model([helper.make_node("Relu", ["nowhere"], ["y"])], [("x", np.float32, [2])],
                       [("y", np.float32, [2])])
    with pytest.raises(ModelError) as e:
        compile_model(model)
    assert _one_line(e).startswith("invalid ONNX model")


def test_old_opset(make_model):
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", np.float32, [2])],
                       [("y", np.float32, [2])], opset=11)
    with pytest.raises(ModelError) as e:
        compile_model(model)
    assert "opset 11" in _one_line(e) and ">= 13" in str(e.value)


def test_unsupported_ops_are_listed_with_node_names(make_model):
    nodes = [helper.make_node("Sin", ["x"], ["a"], name="sine"),
             helper.make_node("Cos", ["a"], ["b"], name="cosine"),
             helper.make_node("Sin", ["b"], ["y"], name="sine2")]
    model = make_model(nodes, [("x", np.float32, [3])], [("y", np.float32, [3])])
    with pytest.raises(UnsupportedOpError) as e:
        compile_model(model)
    message = _one_line(e)
    assert "Sin ('sine', 'sine2')" in message and "Cos ('cosine')" in message
    assert "allow_host_ops=True" in message
    x = np.array([0.1, 1.0, -2.0], np.float32)
    got = compile_model(model, allow_host_ops=True).run({"x": x}).outputs["y"]
    assert np.allclose(got, np.sin(np.cos(np.sin(x))), rtol=1e-6)


def test_quantization_parameters_must_be_constants(make_model):
    node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"], name="mm")
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(
        za=np.int8(0), b=np.ones((4, 2), np.int8), sb=np.float32(1), zb=np.int8(0), sy=np.float32(1),
        zy=np.int8(0)).items()]
    model = make_model([node], [("a", np.int8, [3, 4]), ("sa", np.float32, [])], [("y", np.int8, [3, 2])],
                       inits)
    with pytest.raises(ModelError) as e:
        compile_model(model)
    assert "'sa' must be a constant" in _one_line(e) and "constants=" in str(e.value)
    compiled = compile_model(model, constants={"sa": np.array(0.5, np.float32)})
    assert compiled.run({"a": np.full((3, 4), 2, np.int8)}).outputs["y"].tolist() == [[4, 4]] * 3


def test_binding_checks_names_and_types(digits_cnn):
    with pytest.raises(ModelError) as e:
        compile_model(digits_cnn, constants={"weights": np.zeros(3, np.float32)})
    assert "'weights'" in _one_line(e) and "input" in str(e.value)
    with pytest.raises(ModelError) as e:
        compile_model(digits_cnn, constants={"input": np.zeros((1, 1, 8, 8), np.float64)})
    assert "float64" in _one_line(e)


@pytest.mark.parametrize("feeds, match", [
    ({}, "missing input 'input'"),
    ({"input": np.zeros((2, 1, 8, 8), np.float32), "extra": np.zeros(1)}, "unknown input 'extra'"),
    ({"input": np.zeros((2, 1, 8, 8), np.float64)}, "dtype float64, the model expects float32"),
    ({"input": np.zeros((2, 8, 8), np.float32)}, r"shape \(2, 8, 8\), the model expects \(N, 1, 8, 8\)"),
    ({"input": np.zeros((2, 3, 8, 8), np.float32)}, r"shape \(2, 3, 8, 8\)"),
])
def test_bad_inputs_at_run_time(digits_cnn, feeds, match):
    compiled = compile_model(digits_cnn)
    with pytest.raises(InputError, match=match) as e:
        compiled.run(feeds)
    _one_line(e)


def test_bad_options(digits_cnn):
    with pytest.raises(CompilerError, match="per_channel_requant must be one of host, accelerator"):
        compile_model(digits_cnn, per_channel_requant="sometimes")
    with pytest.raises(CompilerError, match="int8 input type"):
        compile_model(digits_cnn, config=preset("default").replace(input_dtype="int16"))


def test_layer_needing_full_width_without_it(data_dir):
    config = preset("default").replace(acc_read_full_width=False)
    compile_model(data_dir / "digits" / "digits_cnn_int8_qop.onnx", config=config)     # all on-chip requant
    with pytest.raises(CompilerError) as e:
        compile_model(data_dir / "digits" / "digits_cnn_int8_qop_u8asym.onnx", config=config)
    assert "acc_read_full_width" in _one_line(e)


@pytest.mark.parametrize("calibration, error, match", [
    ({}, InputError, "no array for input 'input'"),
    ({"input": np.zeros((4, 1, 8, 8), np.float64)}, InputError, "dtype float64"),
    ({"input": np.zeros((4, 8, 8), np.float32)}, InputError, "leading sample axis"),
    ({"input": np.zeros((4, 1, 8, 8), np.float32), "other": np.zeros(4)}, InputError, "'other'"),
    ("/nonexistent/calibration.npz", InputError, "does not exist"),
])
def test_bad_calibration(data_dir, calibration, error, match):
    with pytest.raises(error, match=match) as e:
        quantize(data_dir / "digits" / "digits_cnn_fp32.onnx", calibration)
    _one_line(e)


def test_calibration_from_npz(data_dir, tmp_path, digits_calibration):
    path = tmp_path / "cal.npz"
    np.savez(path, input=digits_calibration[:20])
    quantized = quantize(data_dir / "digits" / "digits_mlp_fp32.onnx", path)
    assert isinstance(quantized, onnx.ModelProto)
    assert sum(n.op_type == "QuantizeLinear" for n in quantized.graph.node) > 0
