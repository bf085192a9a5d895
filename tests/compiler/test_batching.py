"""`plan_batches`: how samples are split into model runs and how the outputs are joined back."""

from __future__ import annotations

import numpy as np
import pytest

from gemmini_gen.compiler import InputError
from gemmini_gen.compiler.batching import plan_batches
from gemmini_gen.compiler.graph import ValueInfo

DYNAMIC_IN = [ValueInfo("x", np.dtype(np.float32), ("N", 3))]
DYNAMIC_OUT = [ValueInfo("y", np.dtype(np.float32), ("N", 2))]
STATIC_IN = [ValueInfo("x", np.dtype(np.float32), (1, 3))]
STATIC_OUT = [ValueInfo("y", np.dtype(np.float32), (1, 2))]


def _model(x: np.ndarray) -> dict[str, np.ndarray]:
    """A stand-in model: per row, the sum and the max of the three values."""
    return {"y": np.stack([x.sum(axis=1), x.max(axis=1)], axis=1)}


def _run(batches):
    runs = list(batches.runs())
    return runs, batches.join([_model(inputs["x"]) for _, inputs in runs])


def test_batch_axis_is_split_and_concatenated():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    batches = plan_batches(DYNAMIC_IN, DYNAMIC_OUT, {"x": x}, 4)
    runs, out = _run(batches)
    assert (batches.samples, batches.batch, batches.stacked) == (10, 4, False)
    assert [count for count, _ in runs] == [4, 4, 2]
    assert [inputs["x"].shape for _, inputs in runs] == [(4, 3), (4, 3), (2, 3)]
    assert np.array_equal(out["y"], _model(x)["y"])


def test_stacked_samples_are_concatenated_when_the_batch_axis_is_symbolic():
    x = np.arange(60, dtype=np.float32).reshape(10, 2, 3)          # 10 samples of 2 rows each
    batches = plan_batches(DYNAMIC_IN, DYNAMIC_OUT, {"x": x}, 3)
    runs, out = _run(batches)
    assert (batches.samples, batches.stacked, batches.concatenate) == (10, True, True)
    assert [inputs["x"].shape for _, inputs in runs] == [(6, 3), (6, 3), (6, 3), (2, 3)]
    assert out["y"].shape == (10, 2, 2)
    assert np.array_equal(out["y"], np.stack([_model(s)["y"] for s in x]))


def test_stacked_samples_of_a_static_model_run_one_at_a_time():
    x = np.arange(15, dtype=np.float32).reshape(5, 1, 3)
    batches = plan_batches(STATIC_IN, STATIC_OUT, {"x": x}, 64)
    runs, out = _run(batches)
    assert batches.batch == 1 and len(runs) == 5
    assert np.array_equal(out["y"], np.stack([_model(s)["y"] for s in x]))


def test_a_single_input_is_one_run():
    x = np.ones((1, 3), np.float32)
    batches = plan_batches(STATIC_IN, STATIC_OUT, {"x": x}, 8)
    runs, out = _run(batches)
    assert batches.samples == 1 and len(runs) == 1 and out["y"].shape == (1, 2)


def test_outputs_without_the_batch_axis_make_one_run():
    outputs = [ValueInfo("y", np.dtype(np.float32), (2,))]
    batches = plan_batches(DYNAMIC_IN, outputs, {"x": np.zeros((9, 3), np.float32)}, 4)
    assert batches.batch == 9 and len(list(batches.runs())) == 1


@pytest.mark.parametrize("arrays, batch, message", [
    ({"x": np.zeros((4, 3)), "z": np.zeros(3)}, 2, "unknown input 'z'; the model's inputs are x"),
    ({}, 2, "missing input 'x'"),
    ({"x": np.zeros(3)}, 2, r"input 'x' has shape \(3,\); the model expects \(N, 3\), optionally with a leading"),
    ({"x": np.zeros((0, 3))}, 2, "the inputs hold no samples"),
    ({"x": np.zeros((4, 3))}, 0, "the batch size must be at least 1"),
])
def test_bad_inputs(arrays, batch, message):
    with pytest.raises(InputError, match=message):
        plan_batches(DYNAMIC_IN, DYNAMIC_OUT, arrays, batch)


def test_inputs_must_agree_on_the_samples():
    inputs = DYNAMIC_IN + [ValueInfo("w", np.dtype(np.float32), ("N", 1))]
    with pytest.raises(InputError, match="different numbers of samples: x: 4, w: 5"):
        plan_batches(inputs, DYNAMIC_OUT, {"x": np.zeros((4, 3)), "w": np.zeros((5, 1))}, 2)
    with pytest.raises(InputError, match="either every input or none has an extra leading sample axis"):
        plan_batches(inputs, DYNAMIC_OUT, {"x": np.zeros((4, 1, 3)), "w": np.zeros((4, 1))}, 2)
