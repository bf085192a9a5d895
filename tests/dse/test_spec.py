"""Sweep specs: every form of range, and one-line errors that name the file and line."""

import re
from pathlib import Path

import pytest

from gemmini_gen.dse import SpecError, load_spec, parse_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "dse" / "example.toml"

GOOD = """\
name = "t"

[base]
preset = "small"
acc_capacity_kib = 16

[parameters]
dim = { min = 4, max = 32, scale = "pow2" }
dataflow = ["OS", "WS"]
sp_capacity_kib = { values = [64, 256] }
dma_bus_bits = { min = 64, max = 192, step = 64 }
max_in_flight = 4

[workloads]
r18 = "resnet18"
lstm = { source = "topo/LSTM.csv", symbols = { B = 8, H = 64, D = 32 }, skip_malformed = true }

[model]
mode = "scalesim"
dataflow = "IS"

[metrics]
minimize = ["cycles@r18", "area_proxy_mtr"]
maximize = ["utilization"]

[strategy]
kind = "multi_fidelity"
sampler = "random"
samples = 10
seed = 3
top_k = 2
evaluator = "pkg.mod:fn"
"""


def test_every_range_form(tmp_path):
    spec = parse_spec(GOOD, source="t.toml", base_dir=tmp_path)
    axes = {a.name: a.values for a in spec.axes}
    assert axes == {"dim": (4, 8, 16, 32), "dataflow": ("OS", "WS"),
                    "sp_capacity_kib": (64, 256), "dma_bus_bits": (64, 128, 192),
                    "max_in_flight": (4,)}
    assert spec.base_config().acc_capacity_kib == 16
    assert [w.label for w in spec.workloads] == ["r18", "lstm"]
    assert spec.workloads[0].source == "resnet18"
    assert spec.workloads[1].source == str(tmp_path / "topo" / "LSTM.csv")
    assert spec.workloads[1].symbols == (("B", 8), ("D", 32), ("H", 64))
    assert (spec.mode, spec.model_dataflow) == ("scalesim", "is")
    assert spec.objectives == (("cycles@r18", "min"), ("area_proxy_mtr", "min"),
                               ("utilization", "max"))
    s = spec.strategy
    assert (s.kind, s.sampler, s.samples, s.seed, s.top_k, s.evaluator) == \
        ("multi_fidelity", "random", 10, 3, 2, "pkg.mod:fn")
    assert spec.digest() == parse_spec(GOOD, source="elsewhere.toml", base_dir=tmp_path).digest()


def test_shipped_example_parses():
    spec = load_spec(EXAMPLE)
    assert {a.name for a in spec.axes} == {"dim", "dataflow", "sp_capacity_kib", "dma_bus_bits"}
    assert dict((a.name, a.values) for a in spec.axes)["dim"] == (4, 8, 16, 32)
    assert [w.source for w in spec.workloads] == ["resnet18", "digits_cnn"]


@pytest.mark.parametrize("edit, message", [
    (("dataflow = [\"OS\", \"WS\"]", "dataflw = [1]"),
     "t.toml:9: unknown parameter 'dataflw': not a GemminiConfig field or dim"),
    (("scale = \"pow2\"", "scale = \"log\""), "t.toml:8: parameter dim: scale must be"),
    (("min = 4, max = 32", "min = 40, max = 32"), "t.toml:8: parameter dim: range min 40 > max"),
    (("min = 4, max = 32", "min = 33, max = 63"), "t.toml:8: parameter dim: no power of two"),
    (("{ values = [64, 256] }", "{ values = [] }"), "t.toml:10: parameter sp_capacity_kib: `values`"),
    (("[\"OS\", \"WS\"]", "[\"OS\", \"OS\"]"), "t.toml:9: parameter dataflow lists a value twice"),
    (("step = 64", "step = 0"), "t.toml:11: parameter dma_bus_bits: step must be a positive"),
    (("acc_capacity_kib = 16", "acc_capacity_kib = 3"), "t.toml:3: accumulator"),
    (("preset = \"small\"", "preset = \"tiny\""), "t.toml:3: unknown preset 'tiny'"),
    (("mode = \"scalesim\"", "mode = \"rtl\""), "t.toml:19: model mode must be gemmini or scalesim"),
    (("dataflow = \"IS\"", "dataflow = \"XS\""), "t.toml:20: scalesim model dataflow must be"),
    (("mode = \"scalesim\"", "mode = \"gemmini\""), "t.toml:20: gemmini model dataflow must be one "
                                                    "of os, ws, got 'IS'"),
    (("\"cycles@r18\"", "\"area@r18\""), "t.toml:23: metric 'area@r18': area is per design "
                                             "point"),
    (("\"cycles@r18\"", "\"latency\""), "t.toml:23: unknown metric 'latency' (choose from"),
    (("\"cycles@r18\"", "\"cycles@r50\""), "t.toml:23: metric 'cycles@r50' names an unknown"),
    (("kind = \"multi_fidelity\"", "kind = \"anneal\""), "t.toml:27: strategy kind must be one"),
    (("samples = 10", "samples = -1"), "t.toml:29: strategy samples must be a non-negative"),
    (("evaluator = \"pkg.mod:fn\"", "evaluator = \"\""), "t.toml:26: multi_fidelity needs evaluator"),
    (("top_k = 2", "top_k = 0"), "t.toml:26: multi_fidelity needs top_k"),
    (("seed = 3", "seed = 3\nretries = 2"), "t.toml:31: unknown [strategy] key 'retries'"),
    (("r18 = \"resnet18\"", "r18 = 5"), "t.toml:15: workload r18: expected a built-in name"),
    (("skip_malformed = true", "skip = true"), "t.toml:16: workload lstm: a table needs"),
    (("name = \"t\"", "title = \"t\""), "t.toml:1: unknown top-level key 'title'"),
    (("minimize = [\"cycles@r18\", \"area_proxy_mtr\"]", "minimize = []"),
     "t.toml:22: [metrics] needs at least one objective"),
    (("[workloads]", "[loads]"), "t.toml:14: unknown top-level key 'loads'"),
    (("mode = \"scalesim\"", "mode = \"scalesim\"\nfast = true"), "t.toml:20: unknown [model] key 'fast'"),
    (("max_in_flight = 4", "max_in_flight = ["), "t.toml: malformed TOML"),
])
def test_errors_name_file_and_line(tmp_path, edit, message):
    text = GOOD.replace(*edit, 1)
    if edit[1] == "minimize = []":
        text = text.replace('maximize = ["utilization"]', "maximize = []")
    with pytest.raises(SpecError) as error:
        parse_spec(text, source="t.toml", base_dir=tmp_path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unreadable_spec(tmp_path):
    with pytest.raises(SpecError, match="cannot read sweep spec"):
        load_spec(tmp_path / "none.toml")


def test_random_needs_samples(tmp_path):
    text = GOOD.replace('kind = "multi_fidelity"', 'kind = "random"').replace("samples = 10\n", "")
    with pytest.raises(SpecError, match="random sampling needs samples"):
        parse_spec(text, source="t.toml")


@pytest.mark.parametrize("area, message", [
    ('model = "none"', "metric area needs an area model"),
    ('model = "magic"', "area model must be one of auto, yosys, none"),
    ('components = ["mesh", "fpu"]', "area components must be a non-empty list"),
    ('model = "yosys"\nsynthesize = true', "unknown [area] key 'synthesize'"),
])
def test_area_errors(tmp_path, area, message):
    text = GOOD.replace('"area_proxy_mtr"]', '"area"]') + f"\n[area]\n{area}\n"
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec(text, source="t.toml", base_dir=tmp_path)


def test_area_settings_and_components_match_the_area_package(tmp_path):
    from gemmini_gen.area import COMPONENTS
    spec = parse_spec(GOOD, source="t.toml", base_dir=tmp_path)
    assert (spec.area_model, spec.area_components) == ("auto", COMPONENTS)
    text = GOOD + '\n[area]\nmodel = "pkg.mod:area"\ncomponents = ["mesh"]\n'
    spec = parse_spec(text, source="t.toml", base_dir=tmp_path)
    assert (spec.area_model, spec.area_components) == ("pkg.mod:area", ("mesh",))
    assert spec.digest() != parse_spec(GOOD, source="t.toml", base_dir=tmp_path).digest()
