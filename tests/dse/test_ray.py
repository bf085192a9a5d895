"""`--backend ray` on a local Ray instance gives the same records as the local process pool."""

import json

import pytest

from gemmini_gen.dse import load_spec, run_sweep
from gemmini_gen.dse.executors import ExecutorError, make_executor
from gemmini_gen.dse.store import ResultsStore

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'gemmini-gen[ray]'")


def records(out):
    store = ResultsStore(out / "results.jsonl")
    store.open()
    found = sorted(({k: v for k, v in r.items() if k != "wall_time_s"}
                    for r in store.records("point")), key=lambda r: (r["stage"], r["index"]))
    runs = list(store.records("run"))
    store.close()
    return found, runs


def test_ray_matches_local(make_spec, tmp_path):
    spec = load_spec(make_spec())
    run_sweep(spec, tmp_path / "local", backend="local", workers=2, progress=False)
    run_sweep(spec, tmp_path / "ray", backend="ray", workers=2, progress=False)
    local, _ = records(tmp_path / "local")
    remote, runs = records(tmp_path / "ray")
    assert remote == local
    assert [r["backend"] for r in runs] == ["ray"]
    assert not ray.is_initialized()             # the executor stopped the instance it started
    doc = json.loads((tmp_path / "ray" / "results.json").read_text())
    assert doc["provenance"]["backends"] == ["ray"]


def test_bad_worker_count():
    with pytest.raises(ExecutorError, match="--workers must be >= 1"):
        make_executor("ray", 0)
