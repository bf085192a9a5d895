"""`BackendGemmExecutor` on the golden backend: bit for bit the reference executor.

Single calls of every kind the compiler makes (matrix products with row or matrix bias, scaled / ReLU /
full-width / per-column read-outs, convolutions of rank 1 and 2 with strides, asymmetric padding,
dilation and a folded pad value) on three configs, then whole compiled models: every digits model on
the 540 test images, through `CompiledModel.run`, equal to the reference executor in every output.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from gemmini_gen.backend import BackendError, get_backend
from gemmini_gen.compiler import (CompilerError, ConvGeometry, GemmCall, GemmExecutor, ReferenceGemmExecutor,
                                  Requant, compile_model, quantize)
from gemmini_gen.compiler.backend_executor import BackendGemmExecutor, BackendRunError
from gemmini_gen.compiler.geometry import Window, extract_windows
from gemmini_gen.config import preset
from gemmini_gen.isa import IllegalInstruction

CONFIGS = ["default", "small", "medium"]
INT8_MODELS = [f"digits_{net}_int8_{form}" for net in ("cnn", "mlp", "mlp_mm")
               for form in ("qdq", "qop", "qop_u8asym")]


def _golden(name: str) -> BackendGemmExecutor:
    return BackendGemmExecutor(get_backend("golden", preset(name)))


def _same(call: GemmCall, config: str) -> GemmExecutor:
    executor = _golden(config)
    ours = executor.run(call)
    reference = ReferenceGemmExecutor(preset(config)).run(call)
    assert ours.output.dtype == reference.output.dtype
    assert np.array_equal(ours.output, reference.output)
    assert ours.cycles is None                        # the golden model does not model time
    assert ours.counters["macs_useful"] == call.macs
    return executor


def _operands(rng, m, n, k):
    return (rng.integers(-128, 128, (m, k)).astype(np.int8), rng.integers(-128, 128, (k, n)).astype(np.int8))


def test_is_a_gemm_executor():
    executor = _golden("default")
    assert isinstance(executor, GemmExecutor)
    assert executor.name == "golden" and executor.config == preset("default")


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("bias", [None, "row", "matrix"])
@pytest.mark.parametrize("readout", ["scaled", "relu", "full", "per_column"])
def test_matmul_calls_equal_the_reference(rng, config, bias, readout):
    m, n, k = 37, 21, 50
    a, b = _operands(rng, m, n, k)
    d = {None: None, "row": rng.integers(-30000, 30000, n).astype(np.int32),
         "matrix": rng.integers(-30000, 30000, (m, n)).astype(np.int32)}[bias]
    requant = {"scaled": Requant(np.float32(1 / 400)), "relu": Requant(np.float32(1 / 300), relu=True),
               "full": Requant(None),
               "per_column": Requant(rng.choice(np.float32([1 / 200, 1 / 300, 1 / 500]), n))}[readout]
    executor = _same(GemmCall("t", a, b, d, requant), config)
    if readout == "per_column":                       # one program per distinct scale
        assert executor.programs_run == len(np.unique(requant.scale)) == 3


def _conv_call(rng, *, shape, out_channels, kernel, strides, dilations, pads_begin, pads_end, pad_value,
               bias, requant):
    """A convolution call built the way `GemmLayer` builds it: im2col A, (C, *k) x OC B."""
    x = rng.integers(-128, 128, shape).astype(np.int8)
    w = rng.integers(-128, 128, (out_channels, shape[1], *kernel)).astype(np.int8)
    rank = len(kernel)
    window = Window(tuple(kernel), tuple(strides), tuple(dilations), tuple(pads_begin) + tuple(pads_end))
    resolved = window.resolve(shape[2:], "t")
    wins = extract_windows(x, window, resolved, np.int8(pad_value))
    a = np.moveaxis(wins, 1, 1 + rank).reshape(-1, shape[1] * int(np.prod(kernel)))
    b = w.reshape(out_channels, -1).T
    geometry = ConvGeometry(shape, tuple(kernel), tuple(strides), tuple(dilations), tuple(pads_begin),
                            tuple(pads_end), resolved.out_shape, 0, 1, pad_value)
    d = None if bias is None else {"row": rng.integers(-9000, 9000, out_channels).astype(np.int32),
                                   "matrix": rng.integers(-9000, 9000, (a.shape[0], out_channels))
                                   .astype(np.int32)}[bias]
    return GemmCall("conv", np.ascontiguousarray(a), np.ascontiguousarray(b), d, requant, geometry, x)


CONVS = {
    "2d_pad_stride": dict(shape=(2, 3, 9, 7), out_channels=10, kernel=(3, 3), strides=(2, 1), dilations=(1, 1),
                          pads_begin=(1, 0), pads_end=(2, 1), pad_value=-5),
    "2d_dilated": dict(shape=(1, 4, 10, 10), out_channels=6, kernel=(3, 2), strides=(1, 2), dilations=(2, 3),
                       pads_begin=(2, 1), pads_end=(0, 1), pad_value=7),
    "2d_pointwise": dict(shape=(2, 20, 5, 6), out_channels=9, kernel=(1, 1), strides=(1, 1), dilations=(1, 1),
                         pads_begin=(0, 0), pads_end=(0, 0), pad_value=0),
    "1d": dict(shape=(3, 5, 17), out_channels=8, kernel=(4,), strides=(2,), dilations=(1,), pads_begin=(3,),
               pads_end=(1,), pad_value=-128),
    "3d": dict(shape=(1, 2, 4, 5, 4), out_channels=3, kernel=(2, 2, 2), strides=(1, 2, 1), dilations=(1, 1, 1),
               pads_begin=(0, 1, 0), pads_end=(1, 0, 1), pad_value=3),
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("conv", sorted(CONVS))
@pytest.mark.parametrize("bias", [None, "row", "matrix"])
def test_conv_calls_equal_the_reference(rng, config, conv, bias):
    call = _conv_call(rng, **CONVS[conv], bias=bias, requant=Requant(np.float32(1 / 700), relu=True))
    executor = _same(call, config)
    built = next(iter(executor._cache))
    # rank 1 and 2 with a row bias (or none) use the tiler's convolution, the rest the im2col matmul
    native = conv != "3d" and bias != "matrix"
    assert built[0] == ("conv" if native else "matmul")


def test_conv_full_width_and_per_column(rng):
    full = _conv_call(rng, **CONVS["2d_pad_stride"], bias="row", requant=Requant(None))
    _same(full, "default")
    scales = rng.choice(np.float32([1 / 900, 1 / 1300]), 10)
    _same(_conv_call(rng, **CONVS["1d"] | {"out_channels": 10}, bias=None, requant=Requant(scales)), "small")


def test_programs_are_built_once_per_shape(rng):
    executor = _golden("default")
    a, b = _operands(rng, 40, 12, 30)
    for _ in range(3):
        executor.run(GemmCall("t", a, b, None, Requant(np.float32(0.01))))
    assert (executor.programs_built, executor.programs_run) == (1, 3)
    executor.run(GemmCall("t", a[:20], b, None, Requant(np.float32(0.01))))
    assert executor.programs_built == 2


def test_a_layer_no_tiling_fits_is_a_compiler_error(rng):
    tiny = preset("default").replace(name="tiny", acc_capacity_kib=1, acc_banks=1)
    executor = BackendGemmExecutor(get_backend("golden", tiny))
    a, b = _operands(rng, 8, 8, 8)
    with pytest.raises(CompilerError, match=r"layer 'fc' .* does not fit config 'tiny': no tiling fits"):
        executor.run(GemmCall("fc", a, b, None, Requant(np.float32(0.01))))


class _RefusingBackend:
    """A backend that fails every program the way `failure` says."""

    name = "refusing"

    def __init__(self, failure: Exception) -> None:
        self.config = preset("default")
        self.failure = failure

    def run(self, program, memory):
        raise self.failure


def test_backend_failures(rng):
    a, b = _operands(rng, 8, 8, 8)
    call = GemmCall("fc", a, b, None, Requant(np.float32(0.01)))
    refused = BackendGemmExecutor(_RefusingBackend(BackendError("memory_bytes 4096 cannot hold it")))
    with pytest.raises(CompilerError, match="layer 'fc' cannot run on backend 'refusing': memory_bytes"):
        refused.run(call)
    rejected = BackendGemmExecutor(_RefusingBackend(IllegalInstruction(7, "SEQUENCE", "rejected", "mvin")))
    with pytest.raises(BackendRunError, match="accelerator layer 'fc' on backend 'refusing': command 7"):
        rejected.run(call)


def test_malformed_calls_are_rejected(rng):
    a, b = _operands(rng, 4, 4, 4)
    with pytest.raises(CompilerError, match="bias must be int32"):
        _golden("default").run(GemmCall("t", a, b, np.zeros(3, np.int32), Requant(None)))


# ----------------------------------------------------------------------------------------------
# Whole models
# ----------------------------------------------------------------------------------------------
def _compare_models(compiled, x, config="default"):
    reference = compiled.run({"input": x})
    executor = _golden(config)
    ours = compiled.run({"input": x}, executor)
    for name, value in reference.outputs.items():
        assert ours.outputs[name].dtype == value.dtype
        assert np.array_equal(ours.outputs[name], value), name
    for ref_step, our_step in zip(reference.steps, ours.steps):
        assert (our_step.name, our_step.on, our_step.macs) == (ref_step.name, ref_step.on, ref_step.macs)
        if our_step.on == "accelerator":
            assert our_step.cycles is None and our_step.counters["macs_useful"] == our_step.macs
    return ours


@pytest.mark.parametrize("name", INT8_MODELS)
def test_digits_models_equal_the_reference(name, data_dir, digits_test):
    x, _ = digits_test
    compiled = compile_model(data_dir / "digits" / f"{name}.onnx")
    result = _compare_models(compiled, x)
    # all 540 images are one batch: one program per accelerator call
    assert sum(s.counters["programs"] for s in result.steps if s.on == "accelerator") == \
        sum(s.calls for s in result.steps if s.on == "accelerator") == 3


@pytest.mark.parametrize("net", ["cnn", "mlp"])
def test_per_channel_requantization_on_the_accelerator(net, data_dir, digits_test, digits_calibration):
    x, _ = digits_test
    model = quantize(data_dir / "digits" / f"digits_{net}_fp32.onnx", {"input": digits_calibration},
                     per_channel=True)
    for mode in ("host", "accelerator"):
        _compare_models(compile_model(model, per_channel_requant=mode), x[:64])


@pytest.mark.parametrize("config", ["small", "small_os", "paper_base"])
def test_other_configs_and_the_os_dataflow(config, data_dir, digits_test):
    x, _ = digits_test
    for name in ("digits_cnn_int8_qop", "digits_mlp_mm_int8_qop_u8asym"):
        compiled = compile_model(data_dir / "digits" / f"{name}.onnx", config=preset(config))
        _compare_models(compiled, x[:24], config=config)


def test_model_conv_layers_use_the_tilers_convolution(data_dir, digits_test):
    x, _ = digits_test
    compiled = compile_model(onnx.load(str(data_dir / "digits" / "digits_cnn_int8_qdq.onnx")))
    executor = _golden("default")
    compiled.run({"input": x[:5]}, executor)
    assert [key[0] for key in executor._cache] == ["conv", "conv", "matmul"]
