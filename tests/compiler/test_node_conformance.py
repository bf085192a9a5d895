"""ONNX backend node conformance cases (tests/data/onnx/node) through the compiler and the reference executor.

* Accelerator operators (QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger): placed on the
  accelerator, outputs equal to the expected outputs (and to onnxruntime) bit for bit.  Quantization
  parameters and weights are bound as constants, as the compiler requires.  The opset-10 cases are
  converted to opset 13 first (these operators did not change between 10 and 13).
* Integer and layout host operators: bit-exact.  Float host operators: ONNX backend-test tolerance.
* Float Conv/MatMul/Gemm: rejected unless allow_host_ops; on the host they match to tolerance; quantized
  with `quantize` (calibrated on the case's input) they run on the accelerator bit-exact with onnxruntime.
* Operator variants without a built-in implementation fail with UnsupportedOpError, or run through the
  onnxruntime fallback with allow_host_ops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import version_converter

from gemmini_gen.compiler import CompilerError, UnsupportedOpError, compile_model, quantize

NODE_CASES = Path(__file__).resolve().parents[1] / "data" / "onnx" / "node"
ALL_CASES = sorted(p.name for p in NODE_CASES.iterdir() if p.is_dir())


def _cases(*prefixes: str, exclude: tuple[str, ...] = ()) -> list[str]:
    return [c for c in ALL_CASES if c.startswith(prefixes) and not any(x in c for x in exclude)]


ACCELERATOR = _cases("test_qlinearconv", "test_qlinearmatmul", "test_matmulinteger", "test_convinteger")
HOST_EXACT = _cases("test_add", "test_clip", "test_relu", "test_flatten", "test_reshape", "test_transpose",
                    "test_maxpool", "test_quantizelinear", "test_dequantizelinear",
                    exclude=("with_argmax", "int4"))
HOST_FLOAT = _cases("test_averagepool", "test_globalaveragepool", "test_softmax", "test_batchnorm",
                    exclude=("training_mode",))
FLOAT_GEMM = _cases("test_basic_conv", "test_conv_", "test_gemm", "test_matmul_")
FALLBACK_ONLY = _cases("test_maxpool_with_argmax", "test_batchnorm_epsilon_training",
                       "test_batchnorm_example_training")


def test_case_lists_cover_every_copied_case():
    listed = set(ACCELERATOR + HOST_EXACT + HOST_FLOAT + FLOAT_GEMM + FALLBACK_ONLY)
    assert listed | {"test_dequantizelinear_int4"} == set(ALL_CASES)


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    # onnx backend test defaults
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-3, atol=1e-7)


@pytest.mark.parametrize("case", ACCELERATOR)
def test_accelerator_cases_are_bit_exact(case, node_case, ort_run):
    model, feeds, expected = node_case(case)
    if model.opset_import[0].version < 13:
        model = version_converter.convert_version(model, 13)
    data = next(iter(feeds))
    constants = {k: v for k, v in feeds.items() if k != data}
    compiled = compile_model(model, constants=constants)
    assert [s.on for s in compiled.steps] == ["accelerator"]
    got = compiled.run({data: feeds[data]}).outputs[model.graph.output[0].name]
    assert got.dtype == expected[0].dtype and np.array_equal(got, expected[0])
    if case != "test_convinteger_with_padding":          # onnxruntime rejects its per-channel w_zero_point
        assert np.array_equal(got, next(iter(ort_run(model, feeds).values())))


@pytest.mark.parametrize("case", HOST_EXACT)
def test_integer_and_layout_host_cases_are_bit_exact(case, node_case):
    model, feeds, expected = node_case(case)
    compiled = compile_model(model)
    assert {s.on for s in compiled.steps} == {"host"}
    result = compiled.run(feeds)
    for out, want in zip(model.graph.output, expected):
        got = result.outputs[out.name]
        assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("case", HOST_FLOAT)
def test_float_host_cases_match_to_tolerance(case, node_case):
    model, feeds, expected = node_case(case)
    result = compile_model(model).run(feeds)
    assert all(_close(result.outputs[o.name], e) for o, e in zip(model.graph.output, expected))


@pytest.mark.parametrize("case", FLOAT_GEMM)
def test_float_gemm_cases_need_host_ops_or_quantization(case, node_case, ort_run):
    model, feeds, expected = node_case(case)
    op = model.graph.node[0].op_type
    with pytest.raises(UnsupportedOpError, match=rf"unsupported operators: {op} \("):
        compile_model(model)
    result = compile_model(model, allow_host_ops=True).run(feeds)
    assert _close(result.outputs[model.graph.output[0].name], expected[0])

    data = next(iter(feeds))
    weights = {k: v for k, v in feeds.items() if k != data}
    quantized = quantize(model, {data: feeds[data]}, constants=weights)
    compiled = compile_model(quantized, allow_host_ops=True)
    got = compiled.run({data: feeds[data]}).outputs[model.graph.output[0].name]
    want = next(iter(ort_run(quantized, {data: feeds[data]}).values()))
    assert np.array_equal(got, want)
    # onnxruntime keeps a Gemm with alpha != 1 and a bias in float; everything else is one layer
    expect_layer = case not in ("test_gemm_all_attributes", "test_gemm_alpha")
    assert [s.on for s in compiled.steps].count("accelerator") == (1 if expect_layer else 0)


@pytest.mark.parametrize("case", FALLBACK_ONLY)
def test_unimplemented_variants_fall_back_to_onnxruntime(case, node_case):
    model, feeds, expected = node_case(case)
    with pytest.raises(UnsupportedOpError, match="not supported"):
        compile_model(model)
    result = compile_model(model, allow_host_ops=True).run(feeds)
    for out, want in zip(model.graph.output, expected):
        assert _close(result.outputs[out.name].astype(np.float64), want.astype(np.float64))


def test_types_nobody_implements_are_reported(node_case):
    model, feeds, _ = node_case("test_dequantizelinear_int4")
    with pytest.raises(UnsupportedOpError, match="DequantizeLinear"):
        compile_model(model)
    fallback = compile_model(model, allow_host_ops=True)
    with pytest.raises(CompilerError, match=r"DequantizeLinear .* failed in onnxruntime: "):
        fallback.run(feeds)
