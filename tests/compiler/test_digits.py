"""The digits CNN / MLP / MatMul-MLP on the 540-image test set, reference executor vs onnxruntime.

For every int8 model (QDQ, QOperator, uint8-asymmetric QOperator) and for the float models quantized with
`quantize` (per tensor and per channel), compared with a default onnxruntime session on the same model:
the final 8-bit tensor (the input of the last DequantizeLinear, exposed as an extra graph output) and the
dequantized float logits are equal element for element, so the accuracy is equal too.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from gemmini_gen.compiler import compile_model, quantize

INT8_MODELS = [f"digits_{net}_int8_{form}" for net in ("cnn", "mlp", "mlp_mm")
               for form in ("qdq", "qop", "qop_u8asym")]


def _expose_last_codes(model: onnx.ModelProto) -> tuple[onnx.ModelProto, str]:
    """Add the 8-bit input of the DequantizeLinear producing the logits as a second graph output."""
    model = onnx.shape_inference.infer_shapes(model)
    dq = next(n for n in model.graph.node if n.output[0] == "logits")
    assert dq.op_type == "DequantizeLinear"
    zp = next(i for i in model.graph.initializer if i.name == dq.input[2])
    model.graph.output.append(onnx.helper.make_tensor_value_info(dq.input[0], zp.data_type, ["N", 10]))
    return model, dq.input[0]


def _compare(model, x, y, ort_run, **options):
    model, codes = _expose_last_codes(model)
    expected = ort_run(model, {"input": x})
    compiled = compile_model(model, **options)
    result = compiled.run({"input": x})
    assert result.outputs[codes].dtype in (np.int8, np.uint8)
    assert np.array_equal(result.outputs[codes], expected[codes])
    assert np.array_equal(result.outputs["logits"], expected["logits"])
    accuracy = float((result.outputs["logits"].argmax(1) == y).mean())
    assert accuracy == float((expected["logits"].argmax(1) == y).mean())
    return compiled, result, accuracy


@pytest.mark.parametrize("name", INT8_MODELS)
def test_int8_models_equal_onnxruntime(name, data_dir, digits_test, ort_run):
    x, y = digits_test
    model = onnx.load(str(data_dir / "digits" / f"{name}.onnx"))
    compiled, result, accuracy = _compare(model, x, y, ort_run)
    report = json.loads((data_dir / "digits" / "report.json").read_text())
    net, form = name.split("_int8_")
    assert accuracy == pytest.approx(report[net][form]["acc"], abs=1e-12)
    layers = [s for s in compiled.steps if s.on == "accelerator"]
    assert len(layers) == 3
    assert sum(s.macs for s in result.steps) == sum(s.macs for s in result.steps if s.on == "accelerator") > 0
    if name.startswith("digits_cnn") and "u8asym" not in name:
        # ReLU folded into the convolutions, pooling on int8 codes: host work is Q, 2 pools, Flatten, DQ
        assert [s.op for s in compiled.steps if s.on == "host"] == [
            "QuantizeLinear", "MaxPool", "MaxPool", "Flatten", "DequantizeLinear"]
        assert [s.layer.relu for s in layers] == [True, True, False]


@pytest.mark.parametrize("net", ["cnn", "mlp", "mlp_mm"])
@pytest.mark.parametrize("per_channel", [False, True])
def test_float_models_through_quantize(net, per_channel, data_dir, digits_test, digits_calibration, ort_run):
    x, y = digits_test
    quantized = quantize(data_dir / "digits" / f"digits_{net}_fp32.onnx", {"input": digits_calibration},
                         per_channel=per_channel)
    for mode in ("host", "accelerator"):
        compiled, result, accuracy = _compare(quantized, x, y, ort_run, per_channel_requant=mode)
        assert accuracy > 0.96
        layers = [s.layer for s in compiled.steps if s.on == "accelerator"]
        assert len(layers) == 3
        # symmetric int8 activations: per-tensor layers requantize on the accelerator
        assert any(layer.host_requant for layer in layers) == (per_channel and mode == "host")
