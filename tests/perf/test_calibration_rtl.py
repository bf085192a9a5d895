"""The shipped calibration of `gemmini` mode against the RTL.

* The parameters `gemmini` mode loads by default are the shipped, RTL-fitted ones, with their
  provenance, and they reproduce the errors the calibration recorded from the shipped measurements
  (no simulator: this catches a model change that was not recalibrated).
* On the CI design points of DIM 4 and DIM 8 (the RTL regression's builds: `small_os`, `small_ws`,
  `medium`, with its 1 MiB memory and the default 40-cycle memory latency), a handful of
  validation layers -- layers the fit never saw -- run on the RTL now: the model's cycles must be
  within the validation bound of the measured ones, and its DMA counts must be the RTL's exactly.

Recalibrating: `python benchmarks/calibrate.py` (docs/perf.md, "Calibration against the RTL").
"""

from __future__ import annotations

import pytest

from gemmini_gen.config import preset
from gemmini_gen.perf import GemminiModel, GemminiModelParams
from gemmini_gen.perf.calibration import CalibrationSample, fit_params
from gemmini_gen.perf.calibration_layers import TARGETS, validation_layers
from gemmini_gen.perf.gemmini_model import layer_work
from gemmini_gen.perf.model_params import CALIBRATED, FITTABLE, MEASURED, SHIPPED
from gemmini_gen.perf.rtl_measurements import load_measurements, measure_layers

MEASUREMENTS = SHIPPED.parent / "rtl_measurements.json"
#: Worst per-layer |error| on the validation set over every calibrated design point, rounded up
#: (4.72 %: BENCHMARKS.md, "Performance model and DSE"), and the mean the CI layers must stay within.
PER_LAYER_BOUND = 0.05
MEAN_BOUND = 0.05
#: Validation layers of a few thousand cycles each: a GEMM with edge blocks, one of two rows, a
#: padded 3x3 convolution, a strided 1x1 one and a depthwise one.
CI_LAYERS = ("gemm_odd2", "fc_2rows", "conv3x3_b", "conv1x1_s2_b", "dw5x5")
CI_TARGETS = (("small_os", "os"), ("small_ws", "ws"), ("medium", "ws"), ("medium", "os"))
MEMORY_BYTES = 1 << 20          # tests/rtl/conftest.py: the regression's builds


def test_gemmini_mode_loads_the_shipped_calibration():
    params = GemminiModelParams.shipped()
    assert GemminiModel().params == params
    assert params.calibration.startswith("rtl: ") and params != GemminiModelParams(
        calibration=params.calibration)
    provenance = GemminiModelParams.load_provenance()
    assert {"date", "git_sha", "command", "targets", "rtl_sources", "errors"} <= set(provenance)
    assert provenance["targets"] == [f"{name}:{dataflow}" for name, dataflow in TARGETS]
    # the write path's parameters are measured, not fitted: the memory's write latency and the
    # slot overhead the waveforms show (`model_params.MEASURED`)
    assert set(MEASURED) == set(FITTABLE) - set(CALIBRATED)
    assert (params.write_latency, params.write_overhead) == (
        provenance["memory_latency"], GemminiModelParams().write_overhead)


def test_shipped_errors_are_reproduced_from_the_shipped_measurements():
    measurements = load_measurements(MEASUREMENTS)
    assert {(m.preset, m.dataflow) for m in measurements} == set(TARGETS)

    def samples(set_name):
        return [CalibrationSample(m.layer, m.config, m.cycles, m.dataflow)
                for m in measurements if m.set == set_name]
    result = fit_params(samples("calibration"), validation=samples("validation"),
                        start=GemminiModelParams.shipped(), max_evaluations=1)
    recorded = GemminiModelParams.load_provenance()["errors"]
    for set_name, config, dataflow, layers, mean, worst in result.summary():
        entry = recorded[f"{set_name}/{config}:{dataflow}"]
        assert entry["layers"] == layers
        assert entry["mean_abs_error"] == pytest.approx(mean, abs=1e-5)
        assert entry["max_abs_error"] == pytest.approx(worst, abs=1e-5)
    assert max(abs(fit.error) for fit in result.validation) <= PER_LAYER_BOUND


@pytest.mark.parametrize("name,dataflow", CI_TARGETS, ids=[f"{n}-{d}" for n, d in CI_TARGETS])
def test_model_matches_the_rtl_on_validation_layers(name, dataflow):
    pytest.importorskip("cocotbext.axi")
    cfg = preset(name)
    layers = [layer for layer in validation_layers(cfg.dim) if layer.name in CI_LAYERS]
    assert len(layers) == len(CI_LAYERS)
    results = measure_layers(layers, cfg, dataflow, memory_bytes=MEMORY_BYTES)
    model = GemminiModel()
    errors = {}
    for layer, result in zip(layers, results):
        costs = layer_work(layer, cfg, dataflow).costs
        counters = result.counters
        assert (counters["read_beats"], counters["read_bursts"]) == costs.load_totals()[1:], \
            layer.name
        assert (counters["write_beats"], counters["write_bursts"]) == costs.store_totals()[1:], \
            layer.name
        modelled = model.layer_cycles(layer, cfg, dataflow)
        errors[layer.name] = (modelled - result.cycles) / result.cycles
    report = ", ".join(f"{n} {100 * e:+.1f} %" for n, e in errors.items())
    assert max(map(abs, errors.values())) <= PER_LAYER_BOUND, report
    assert sum(map(abs, errors.values())) / len(errors) <= MEAN_BOUND, report
