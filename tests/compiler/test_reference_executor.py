"""The reference GemmExecutor: the accelerator's arithmetic on one 2-D problem, and its counters."""

from __future__ import annotations

import numpy as np
import pytest

from gemmini_gen.compiler import CompilerError, GemmCall, GemmExecutor, ReferenceGemmExecutor, Requant
from gemmini_gen.config import preset


def _problem(rng, m=37, n=21, k=50):
    a = rng.integers(-128, 128, (m, k)).astype(np.int8)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    return a, b


def _exact(a, b, bias):
    acc = a.astype(np.int64) @ b.astype(np.int64)
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    return ((acc + 2**31) % 2**32) - 2**31


def test_is_a_gemm_executor():
    assert isinstance(ReferenceGemmExecutor(), GemmExecutor)


@pytest.mark.parametrize("bias_kind", [None, "column", "full"])
def test_full_width_is_the_wrapped_exact_sum(rng, bias_kind):
    a, b = _problem(rng)
    bias = {None: None, "column": rng.integers(-2**31, 2**31, 21).astype(np.int32),
            "full": rng.integers(-2**31, 2**31, (37, 21)).astype(np.int32)}[bias_kind]
    result = ReferenceGemmExecutor().run(GemmCall("t", a, b, bias, Requant(None)))
    assert result.output.dtype == np.int32
    assert np.array_equal(result.output, _exact(a, b, bias))
    assert result.cycles is None and result.counters["macs"] == 37 * 21 * 50


@pytest.mark.parametrize("relu", [False, True])
def test_scaled_output_is_r2_then_relu(rng, relu):
    a, b = _problem(rng, k=200)
    scale = np.float32(1 / 300)
    result = ReferenceGemmExecutor().run(GemmCall("t", a, b, None, Requant(scale, relu=relu)))
    acc = _exact(a, b, None)
    expected = np.clip(np.rint((acc.astype(np.float32) * scale).astype(np.float32)), -128, 127)
    if relu:
        expected = np.maximum(expected, 0)
    assert result.output.dtype == np.int8
    assert np.array_equal(result.output, expected.astype(np.int8))
    assert (result.output == 127).any() and (result.output == (0 if relu else -128)).any()


def test_per_column_scales(rng):
    a, b = _problem(rng, k=100)
    scales = rng.uniform(1e-3, 1e-2, 21).astype(np.float32)
    result = ReferenceGemmExecutor().run(GemmCall("t", a, b, None, Requant(scales)))
    for col in range(21):
        single = ReferenceGemmExecutor().run(GemmCall("t", a, b[:, col:col + 1], None, Requant(scales[col])))
        assert np.array_equal(result.output[:, col:col + 1], single.output)
    assert result.counters["config_store_commands"] == result.counters["mvout_commands"] == 3 * 21


def test_counters_follow_the_config(rng):
    a, b = _problem(rng, m=40, n=70, k=9)
    cfg = preset("default").with_dim(8)
    per_tensor = ReferenceGemmExecutor(cfg).run(GemmCall("t", a, b, None, Requant(np.float32(0.01))))
    full = ReferenceGemmExecutor(cfg).run(GemmCall("t", a, b, None, Requant(None)))
    # DIM 8: an int8 mvout moves up to 8 blocks of 8 columns (2 per row tile of 70 columns), an int32
    # mvout up to 2 blocks (5 per row tile); 40 rows are 5 row tiles.
    assert per_tensor.counters["mvout_commands"] == 5 * 2
    assert full.counters["mvout_commands"] == 5 * 5
    assert full.counters["dram_write_bytes"] == 4 * per_tensor.counters["dram_write_bytes"] == 4 * 40 * 70


def test_accumulator_wraps_at_int32():
    a = np.full((1, 2), -128, np.int8)
    b = np.full((2, 1), -128, np.int8)
    bias = np.array([2**31 - 1], np.int32)
    result = ReferenceGemmExecutor().run(GemmCall("t", a, b, bias, Requant(None)))
    assert result.output[0, 0] == (2**31 - 1 + 2 * 16384) - 2**32


@pytest.mark.parametrize("bad", ["dtype", "shape", "bias", "scale"])
def test_rejects_malformed_calls(rng, bad):
    a, b = _problem(rng)
    bias, requant = None, Requant(np.float32(0.5))
    if bad == "dtype":
        a = a.astype(np.int16)
    elif bad == "shape":
        b = b[:-1]
    elif bad == "bias":
        bias = np.zeros(5, np.int32)
    else:
        requant = Requant(np.ones(3, np.float32))
    with pytest.raises(CompilerError, match="accelerator layer 't'"):
        ReferenceGemmExecutor().run(GemmCall("t", a, b, bias, requant))


def test_rejects_non_int8_configs():
    with pytest.raises(CompilerError, match="int8 input type"):
        ReferenceGemmExecutor(preset("default").replace(input_dtype="int16"))


def test_full_width_requant_cannot_have_relu():
    with pytest.raises(ValueError):
        Requant(None, relu=True)
