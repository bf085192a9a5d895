"""Calibration scaffolding, on synthetic measurements: cycles from the model itself with known
"true" parameters (exact, then with noise).  The real measurements come from the RTL backend."""

import dataclasses

import numpy as np
import pytest

from gemmini_gen import backend
from gemmini_gen.config import preset
from gemmini_gen.perf import GemminiModel, GemminiModelParams, Layer, load_workload
from gemmini_gen.perf.calibration import (CalibrationSample, fit_params, measure_cycles,
                                          split_samples)
from gemmini_gen.perf.estimate import ModelError

TRUTH = GemminiModelParams(read_latency=70, write_latency=25, request_overhead=5,
                           command_cycles=2, step_overhead=30, program_overhead=100)
CONFIGS = (preset("small"), preset("medium").replace(max_in_flight=4), preset("default"))


def synthetic_samples(noise: float = 0.0, seed: int = 0) -> list[CalibrationSample]:
    model = GemminiModel(TRUTH)
    rng = np.random.default_rng(seed)
    layers = load_workload("resnet18").layers[:12:2] + load_workload("digits_cnn").layers
    samples = []
    for config in CONFIGS:
        for layer in layers:
            cycles = model.layer_cycles(layer, config, "ws")
            samples.append(CalibrationSample(layer, config, round(
                cycles * (1 + rng.uniform(-noise, noise)))))
    return samples


def test_exact_measurements_recover_the_parameters():
    training, validation = split_samples(synthetic_samples(), validation_fraction=0.3, seed=2)
    result = fit_params(training, validation=validation, label="synthetic")
    assert result.validation_error < 1e-4 and result.training_error < 1e-4
    fitted = result.params
    assert (fitted.command_cycles, fitted.step_overhead, fitted.program_overhead) == (2, 30, 100)
    # Bursts hold their slot for latency + overhead: only the sums are seen in mid-layer, the
    # latencies alone in the prologue and epilogue.
    assert fitted.read_latency + fitted.request_overhead == 75
    assert fitted.write_latency + fitted.request_overhead == 30
    assert fitted.calibration.startswith("synthetic: 19 layers")
    report = result.report()
    for sample in validation:
        assert sample.layer.name in report
    assert "validation: 8 layers" in report


def test_noisy_measurements_generalize():
    training, validation = split_samples(synthetic_samples(noise=0.03, seed=5),
                                         validation_fraction=0.3, seed=1)
    default_fit = fit_params(training, validation=validation, max_evaluations=1)
    result = fit_params(training, validation=validation)
    assert result.validation_error < 0.03 < default_fit.validation_error
    assert len(result.validation) == len(validation)
    for fit in result.validation:
        assert fit.error == (fit.modelled - fit.measured) / fit.measured


def test_fit_only_some_parameters_and_save(tmp_path):
    samples = synthetic_samples()
    start = dataclasses.replace(TRUTH, command_cycles=1)
    result = fit_params(samples, start=start, fit=("command_cycles",))
    assert result.params == dataclasses.replace(TRUTH, calibration=result.params.calibration)
    result.params.save(tmp_path / "cal.json")
    assert GemminiModelParams.load(tmp_path / "cal.json") == result.params


def test_split_is_seeded_and_keeps_training_samples():
    samples = synthetic_samples()
    first = split_samples(samples, validation_fraction=0.25, seed=3)
    assert first == split_samples(samples, validation_fraction=0.25, seed=3)
    assert len(first[1]) == round(0.25 * len(samples))
    assert sorted(map(id, first[0] + first[1])) == sorted(map(id, samples))
    assert len(split_samples(samples[:1], validation_fraction=0.9)[0]) == 1


def test_errors():
    layer = Layer.gemm("g", 8, 8, 8)
    with pytest.raises(ModelError, match="measured cycles must be a positive integer"):
        CalibrationSample(layer, preset("small"), 0)
    with pytest.raises(ModelError, match="at least one training sample"):
        fit_params([])
    with pytest.raises(ModelError, match="unknown parameter"):
        fit_params([CalibrationSample(layer, preset("small"), 100)], fit=("bogus",))
    with pytest.raises(ModelError, match="validation_fraction"):
        split_samples([], validation_fraction=1.0)


class CountingBackend:
    """A stand-in for the RTL backend: the golden run, with 3 cycles per command."""

    name = "counting"

    def __init__(self, config):
        self.config = config
        self.golden = backend.get_backend("golden", config)

    def run(self, program, memory):
        result = self.golden.run(program, memory)
        return dataclasses.replace(result, cycles=3 * len(program.commands))


def test_measure_cycles_runs_the_layers_program(monkeypatch):
    monkeypatch.setitem(backend._REGISTRY, "counting",
                        f"{CountingBackend.__module__}:CountingBackend")
    layer = Layer.gemm("g", 40, 24, 72)
    config = preset("small")
    cycles = measure_cycles(layer, config, backend="counting")
    plan_commands = GemminiModel().layer_estimate(layer, config, "ws").details["commands"]
    assert cycles == 3 * plan_commands
    with pytest.raises(ModelError, match="does not count cycles"):
        measure_cycles(layer, config, backend="golden")
