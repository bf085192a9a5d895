"""The RTL as a multi-fidelity sweep's expensive evaluator (`evaluator = "rtl"`).

One DIM-4 point (the `small` preset, whose Verilator build the RTL regression shares) on two GEMMs:
the sweep records, per layer, the cycles the accelerator counted, which must equal a separate run of
the same layer's program with other random operands (the accelerator's timing does not depend on
the data), and the analytic model's error against them.
"""

import json

import pytest

from gemmini_gen import preset
from gemmini_gen.dse import load_spec, run_sweep
from gemmini_gen.perf.calibration import measure_cycles
from gemmini_gen.perf.workload import load_workload

SPEC = """\
name = "rtl-evaluator"

[base]
preset = "small"

[parameters]
dataflow = ["WS", "OS"]

[workloads]
gemms = "gemms.toml"

[model]
mode = "gemmini"
dataflow = "os"

[area]
model = "none"

[metrics]
minimize = ["cycles"]

[strategy]
kind = "multi_fidelity"
top_k = 1
evaluator = "rtl"
"""


def test_rtl_evaluator_measures_each_layer(make_spec, tmp_path):
    spec = make_spec(text=SPEC)
    summary = run_sweep(load_spec(spec), tmp_path / "out", progress=False, workers=1)
    assert summary.expensive == 1
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    (point,) = [p for p in doc["points"] if "expensive" in p]
    assert point["status"] == "ok", point.get("error")
    workload = load_workload(tmp_path / "gemms.toml")
    config = preset("small").replace(dataflow=point["params"]["dataflow"])
    layers = point["workloads"]["gemms"]["layers"]
    assert [layer["name"] for layer in layers] == ["square", "skinny"]
    for layer, spec_layer in zip(layers, workload.layers):
        again = measure_cycles(spec_layer, config, dataflow="os", seed=99)
        assert layer["measured_cycles"] == again
        assert layer["model_error"] == pytest.approx(
            (layer["cycles"] - again) / again)
