"""`quantize`: onnxruntime static quantization of float models, then compilation."""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from gemmini_gen.compiler import compile_model, quantize


def test_batch_norm_before_quantization_is_folded_into_the_conv(rng, make_model, ort_run):
    c = 6
    inits = [numpy_helper.from_array(v, k) for k, v in dict(
        w=rng.standard_normal((c, 3, 3, 3)).astype(np.float32) * 0.3,
        b=rng.standard_normal(c).astype(np.float32) * 0.1,
        gamma=rng.uniform(0.5, 1.5, c).astype(np.float32), beta=rng.standard_normal(c).astype(np.float32),
        mean=rng.standard_normal(c).astype(np.float32) * 0.1, var=rng.uniform(0.5, 2, c).astype(np.float32),
        fc=rng.standard_normal((c * 25, 4)).astype(np.float32) * 0.1).items()]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"]),
             helper.make_node("Relu", ["n"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"]),
             helper.make_node("MatMul", ["f", "fc"], ["y"])]
    model = make_model(nodes, [("x", np.float32, ["N", 3, 5, 5])], [("y", np.float32, ["N", 4])], inits)
    calibration = rng.standard_normal((32, 3, 5, 5)).astype(np.float32)
    quantized = quantize(model, {"x": calibration}, per_channel=True)
    assert "BatchNormalization" not in {n.op_type for n in quantized.graph.node}
    compiled = compile_model(quantized)
    assert [s.op for s in compiled.steps if s.on == "accelerator"] == ["Conv (QDQ)", "MatMul (QDQ)"]
    x = rng.standard_normal((16, 3, 5, 5)).astype(np.float32)
    assert np.array_equal(compiled.run({"x": x}).outputs["y"], ort_run(quantized, {"x": x})["y"])
    # and it still computes the float model, up to quantization error
    reference = ort_run(model, {"x": x})["y"]
    assert np.abs(compiled.run({"x": x}).outputs["y"] - reference).max() < 0.1 * np.abs(reference).max()


def test_uint8_asymmetric_activations(data_dir, digits_test, digits_calibration, ort_run):
    x, _ = digits_test
    quantized = quantize(data_dir / "digits" / "digits_cnn_fp32.onnx", {"input": digits_calibration},
                         activation_type="uint8", symmetric_activations=False)
    compiled = compile_model(quantized)
    assert any(s.layer.host_requant for s in compiled.steps if s.on == "accelerator")
    assert np.array_equal(compiled.run({"input": x}).outputs["logits"],
                          ort_run(quantized, {"input": x})["logits"])
