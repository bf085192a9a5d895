"""The sweep engine end to end (in-process and with a process pool): outputs, failed points,
resume, strategies and the multi-fidelity stage with a stand-in expensive evaluator."""

import csv
import json
import re

import pytest

from gemmini_gen.config import GemminiConfig
from gemmini_gen.dse import EvaluatorError, SpecError, SweepError, load_spec, run_sweep
from gemmini_gen.dse.store import ResultsStore
from gemmini_gen.perf import estimate, load_workload


def sweep(spec_path, out, **options):
    options.setdefault("workers", 1)
    return run_sweep(load_spec(spec_path), out, progress=False, **options)


def strip_times(records):
    return [{k: v for k, v in r.items() if k != "wall_time_s"} for r in records]


def point_records(out, stage="analytic"):
    store = ResultsStore(out / "results.jsonl")
    store.open()
    records = sorted(store.records("point", stage), key=lambda r: r["index"])
    store.close()
    return records


def test_grid_sweep_writes_every_output(make_spec, tmp_path):
    out = tmp_path / "out"
    summary = sweep(make_spec(), out)
    assert (summary.points, summary.evaluated, summary.failed) == (12, 12, 4)
    for name in ("results.jsonl", "results.csv", "results.json", "report.html", "pareto.png",
                 "utilization_per_layer.png", "cycles_by_dim_dataflow.png"):
        assert (out / name).stat().st_size > 0, name

    doc = json.loads((out / "results.json").read_text())
    points = doc["points"]
    assert [p["index"] for p in points] == list(range(12))
    failed = [p for p in points if p["status"] == "failed"]
    assert {p["params"]["sp_capacity_kib"] for p in failed} == {3}
    assert all(p["error"].startswith("scratchpad rows per bank") for p in failed)

    ok = [p for p in points if p["status"] == "ok"]
    for p in ok:
        config = GemminiConfig.from_dict({**p["config"]})
        assert config.content_hash() == p["config_hash"]
        direct = estimate(load_workload("digits_cnn"), config, mode="gemmini")
        assert p["workloads"]["digits"]["totals"]["cycles"] == direct.total_cycles
        assert p["totals"]["cycles"] == sum(w["totals"]["cycles"]
                                            for w in p["workloads"].values())
        assert p["area"] is None and p["fmax_mhz"] is None and p["area_proxy_mtr"] > 0
        assert p["pareto_rank"] is not None
    assert any(p["pareto_rank"] == 0 for p in ok)
    assert doc["provenance"]["versions"]["numpy"]
    assert "git_sha" in doc["provenance"]

    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    # Per ok point: digits 3 layers + TOTAL, gemms 2 layers + TOTAL, one ALL row; failed: 1 row.
    assert len(rows) == 8 * (4 + 3 + 1) + 4
    all_rows = [r for r in rows if r["workload"] == "ALL"]
    assert len(all_rows) == 8 and all(r["area"] == "" and r["area_proxy_mtr"] for r in all_rows)
    assert {r["dataflow"] for r in rows} == {"OS", "WS"}          # the swept parameter column
    failed_rows = [r for r in rows if r["status"] == "failed"]
    assert len(failed_rows) == 4 and all(r["error"] for r in failed_rows)


def test_resume_skips_finished_points(make_spec, tmp_path):
    out = tmp_path / "out"
    sweep(make_spec(), out)
    first = point_records(out)
    again = sweep(make_spec(), out, resume=True)
    assert again.evaluated == 0
    assert point_records(out) == first
    with pytest.raises(SweepError, match="already holds a sweep"):
        sweep(make_spec(), out)


def test_resume_refuses_a_different_spec(make_spec, tmp_path):
    out = tmp_path / "out"
    sweep(make_spec(), out)
    changed = make_spec().read_text().replace('mode = "gemmini"', 'mode = "scalesim"')
    (tmp_path / "spec.toml").write_text(changed)
    with pytest.raises(SweepError, match="different spec, different workloads"):
        sweep(tmp_path / "spec.toml", out, resume=True)


def test_process_pool_gives_the_same_records(make_spec, tmp_path):
    sweep(make_spec(), tmp_path / "one", workers=1)
    sweep(make_spec(), tmp_path / "two", workers=2)
    assert strip_times(point_records(tmp_path / "one")) == \
        strip_times(point_records(tmp_path / "two"))


def test_random_strategy_is_seeded(make_spec, tmp_path):
    spec = make_spec('kind = "random"\nsamples = 5\nseed = 7')
    ids = [[r["id"] for r in (sweep(spec, tmp_path / f"r{i}") and
                              point_records(tmp_path / f"r{i}"))] for i in (1, 2)]
    assert len(ids[0]) == 5 and ids[0] == ids[1]
    other = make_spec('kind = "random"\nsamples = 5\nseed = 8')
    sweep(other, tmp_path / "r3")
    assert [r["id"] for r in point_records(tmp_path / "r3")] != ids[0]


def test_multi_fidelity_measures_the_top_k(make_spec, tmp_path, standin_path):
    spec = make_spec('kind = "multi_fidelity"\ntop_k = 3\nevaluator = "standin_evaluator:measure"')
    out = tmp_path / "mf"
    summary = sweep(spec, out)
    assert summary.expensive == 3
    doc = json.loads((out / "results.json").read_text())
    measured = [p for p in doc["points"] if "expensive" in p]
    assert len(measured) == 3
    ok = [p for p in doc["points"] if p["status"] == "ok"]
    front = [p for p in ok if p["pareto_rank"] == 0]
    # top-k takes the Pareto front first (the whole front when it has <= k points).
    assert {p["id"] for p in front} <= {p["id"] for p in measured} or len(front) > 3
    for p in measured:
        config = GemminiConfig.from_dict(p["config"])
        truth = estimate(load_workload("digits_cnn"), config, mode="scalesim", dataflow="ws")
        for layer, true_layer in zip(p["workloads"]["digits"]["layers"], truth.layers):
            assert layer["measured_cycles"] == true_layer.cycles
            assert layer["model_error"] == pytest.approx(
                (layer["cycles"] - true_layer.cycles) / true_layer.cycles)
    assert (out / "model_error.png").exists()
    with (out / "results.csv").open() as f:
        with_error = [r for r in csv.DictReader(f) if r["model_error"]]
    assert len(with_error) == 3 * (3 + 2)
    # Resuming re-runs neither stage.
    again = sweep(spec, out, resume=True)
    assert (again.evaluated, again.expensive) == (0, 0)


def test_failing_expensive_evaluator_is_recorded(make_spec, tmp_path, standin_path):
    spec = make_spec('kind = "multi_fidelity"\ntop_k = 2\nevaluator = "standin_evaluator:broken"')
    out = tmp_path / "broken"
    summary = sweep(spec, out)
    assert summary.expensive == 2
    records = point_records(out, "expensive")
    assert [r["status"] for r in records] == ["failed", "failed"]
    assert all(r["error"].startswith("RuntimeError: simulator crashed") for r in records)


def test_unknown_evaluator_fails_before_the_sweep(make_spec, tmp_path):
    spec = make_spec('kind = "multi_fidelity"\ntop_k = 2\nevaluator = "no_such_module:measure"')
    with pytest.raises(EvaluatorError, match="needs module no_such_module"):
        sweep(spec, tmp_path / "x")
    assert not (tmp_path / "x" / "results.jsonl").exists()


def test_area_model_fills_the_area_metric(make_spec, tmp_path, standin_path):
    text = make_spec().read_text().replace('model = "none"', 'model = "standin_evaluator:area"')
    text = text.replace('minimize = ["cycles", "area_proxy_mtr"]', 'minimize = ["cycles", "area"]')
    (tmp_path / "spec.toml").write_text(text)
    out = tmp_path / "area"
    sweep(tmp_path / "spec.toml", out)
    doc = json.loads((out / "results.json").read_text())
    ok = [p for p in doc["points"] if p["status"] == "ok"]
    for p in ok:
        config = GemminiConfig.from_dict(p["config"])
        assert p["area"] == config.dim ** 2 + config.sp_capacity_kib / 4
    with (out / "results.csv").open() as f:
        all_rows = [r for r in csv.DictReader(f) if r["workload"] == "ALL"]
    assert sorted(float(r["area"]) for r in all_rows) == sorted(p["area"] for p in ok)
    # The Pareto front is over cycles and the area model's figure.
    front = {p["id"] for p in ok if p["pareto_rank"] == 0}
    for p in ok:
        dominated = any(q["totals"]["cycles"] <= p["totals"]["cycles"] and q["area"] <= p["area"]
                        and (q["totals"]["cycles"], q["area"]) != (p["totals"]["cycles"],
                                                                   p["area"]) for q in ok)
        assert (p["id"] in front) == (not dominated)


def test_area_metric_without_yosys_is_refused(make_spec, tmp_path, monkeypatch):
    import gemmini_gen.area.yosys as yosys
    monkeypatch.setattr(yosys, "yosys_available", lambda: "no Yosys here")
    for model, message in (("auto", "[area] model: metric area needs the Yosys area model: no "
                                    "Yosys here"), ("yosys", "[area] model: metric area needs")):
        text = make_spec().read_text().replace('model = "none"', f'model = "{model}"')
        text = text.replace('"area_proxy_mtr"]', '"area"]')
        (tmp_path / "spec.toml").write_text(text)
        with pytest.raises(SpecError, match=re.escape(message)):
            sweep(tmp_path / "spec.toml", tmp_path / model)
        assert not (tmp_path / model).exists()
