"""Kill a running `gemmini-dse` with SIGKILL, resume it, and check that no point is lost or
duplicated and that the results equal those of an uninterrupted sweep."""

import os
import signal
import subprocess
import sys
import time

from gemmini_gen.dse import load_spec, run_sweep
from gemmini_gen.dse.store import ResultsStore

SPEC = """\
name = "kill"

[base]
preset = "default"

[parameters]
dim = [4, 8, 16, 32]
dataflow = ["OS", "WS"]
sp_capacity_kib = [64, 128, 256]
dma_bus_bits = [64, 128, 256]
max_in_flight = [4, 8, 16, 32]
acc_capacity_kib = [32, 64]

[workloads]
r50 = "resnet50"
r18 = "resnet18"

[strategy]
kind = "grid"
"""
POINTS = 4 * 2 * 3 * 3 * 4 * 2


def analytic_records(out):
    store = ResultsStore(out / "results.jsonl")
    store.open()
    records = list(store.records("point", "analytic"))
    store.close()
    return records


def count_points(path):
    if not path.exists():
        return 0
    return path.read_bytes().count(b'"type":"point"')


def cli(*args):
    return [sys.executable, "-m", "gemmini_gen.cli.dse", *args]


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path):
    spec = tmp_path / "kill.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    proc = subprocess.Popen(cli(str(spec), "--out", str(out), "--workers", "1", "--no-progress"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while count_points(out / "results.jsonl") < 32:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep never started writing"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    partial = analytic_records(out)
    assert 32 <= len(partial) < POINTS, "the sweep was not killed mid-run"
    assert not (out / "results.csv").exists()          # reports come only at the end

    done = subprocess.run(cli(str(spec), "--out", str(out), "--workers", "2", "--resume",
                              "--no-progress"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{POINTS - len(partial)} evaluated now" in done.stderr

    records = analytic_records(out)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == POINTS
    # Every record written before the kill survived unchanged.
    by_id = {r["id"]: r for r in records}
    assert all(by_id[r["id"]] == r for r in partial)

    fresh = tmp_path / "fresh"
    run_sweep(load_spec(spec), fresh, workers=1, progress=False)
    assert strip_times(records) == strip_times(analytic_records(fresh))
    assert (out / "results.csv").read_text().count("\n") == \
        (fresh / "results.csv").read_text().count("\n")


def strip_times(records):
    return sorted(({k: v for k, v in r.items() if k != "wall_time_s"} for r in records),
                  key=lambda r: r["index"])
