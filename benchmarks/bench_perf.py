"""Benchmarks of the performance model and the DSE sweep engine (figures for BENCHMARKS.md).

    python benchmarks/bench_perf.py [--repeat 50] [--workers 2]
        [--scalesim-python /work/scalesim-venv/bin/python] [--scalesim-workload resnet18]
        [--scalesim-array 32x32] [--scalesim-dataflow ws] [--only model|sweep|scalesim]

Prints:
  1. model time for ResNet-50 on one config, per mode (median of --repeat runs after a warm-up;
     gemmini mode also cold: its tiler plans, cached per layer shape, computed afresh -- and
     where that time goes: the tiler's plans, their step costs, the schedule);
  2. sweep throughput in points per minute for a 1728-point grid on ResNet-18 + the digits CNN, with
     1 and --workers processes (the evaluation stage, and the whole `run_sweep` with reports);
  3. with --scalesim-python (a Python that has `scalesim` installed, see tests/data/scalesim/
     SOURCE.md): the real SCALE-Sim and our scalesim mode on the same layers, in one run: their
     times, the speed ratio, and whether every layer's cycles agree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import textwrap
import time
from importlib import resources
from pathlib import Path

from gemmini_gen.config import preset
from gemmini_gen.dse import load_spec, run_sweep
from gemmini_gen.perf import estimate, get_model, load_workload
from gemmini_gen.perf.gemmini_model import NOT_TILING, clear_plan_cache, layer_shape
from gemmini_gen.perf.layer import Layer
from gemmini_gen.perf.layer_plan import plan_layer
from gemmini_gen.perf.pipeline_timing import layer_timing
from gemmini_gen.perf.step_costs import step_costs
from gemmini_gen.perf.workload import BUILTIN_PACKAGE

ROOT = Path(__file__).resolve().parents[1]

SWEEP = """\
name = "bench"
[base]
preset = "default"
[parameters]
dim = [4, 8, 16, 32]
dataflow = ["OS", "WS"]
sp_capacity_kib = [64, 128, 256]
dma_bus_bits = [64, 128, 256]
max_in_flight = [4, 8, 16, 32]
acc_capacity_kib = [16, 32, 64]
dma_max_bytes = [64, 128]
[workloads]
resnet18 = "resnet18"
digits = "digits_cnn"
[model]
mode = "{mode}"
[area]
model = "none"
"""

SCALESIM_DRIVER = """\
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {data!r})
from record_reference import run_one
started = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    records = run_one(Path({topology!r}), False, {rows}, {cols}, {dataflow!r}, Path(tmp))
print(json.dumps({{"seconds": time.perf_counter() - started,
                  "cycles": [r["total_cycles"] for r in records]}}))
"""


def median_time(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def min_cpu_time(fn, repeat: int) -> float:
    """The least CPU time of `repeat` runs (what the code costs, whatever else shares the
    cores)."""
    times = []
    for _ in range(repeat):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return min(times)


def bench_model(repeat: int) -> None:
    config = preset("default")
    parse = median_time(lambda: load_workload("resnet50"), repeat)
    workload = load_workload("resnet50")
    print(f"ResNet-50 ({len(workload.layers)} layers), config 'default' (DIM 16):")
    print(f"  parse resnet50.csv: {parse * 1e3:.2f} ms (median of {repeat})")
    for mode in ("scalesim", "gemmini"):
        model = get_model(mode)
        t = median_time(lambda: model.estimate(workload, config), repeat)
        print(f"  {mode:8s} mode: {t * 1e3:.2f} ms per network (median of {repeat})")

    def cold():
        clear_plan_cache()
        model.estimate(workload, config)
    runs = max(1, repeat // 5)
    t = median_time(cold, runs)
    cpu = min_cpu_time(cold, runs)
    print(f"  gemmini  mode, plans not cached: {t * 1e3:.2f} ms per network (median of {runs}; "
          f"CPU time, min of {runs}: {cpu * 1e3:.2f} ms)")
    cold_parts(workload, config, model.params, runs)


def cold_parts(workload, config, params, repeat: int) -> None:
    """Where a cold `gemmini` estimate goes: the tiler's plans, their step costs and the schedule
    of every distinct layer shape (CPU time, the minimum of `repeat` runs each)."""
    shapes = list(dict.fromkeys(layer_shape(layer) for layer in workload.layers))
    tiling = config.replace(**NOT_TILING)
    stages = (
        ("tiler plans", lambda _: [plan_layer(Layer("layer", *shape), tiling, "ws")
                                   for shape in shapes]),
        ("step costs", lambda plans: [step_costs(plan, config) for plan in plans]),
        ("schedule", lambda costs: [layer_timing(c, params, config) for c in costs]),
    )
    figures, results = [], [None]
    for name, stage in stages:
        best = float("inf")
        for _ in range(repeat):
            start = time.thread_time()
            out = stage(results[-1])
            best = min(best, time.thread_time() - start)
        figures.append(f"{name} {best * 1e3:.1f} ms")
        results.append(out)
    steps = sum(costs.steps for costs in results[2])
    print(f"    of which (CPU, min of {repeat}; {len(shapes)} distinct layer shapes, {steps} "
          f"steps): {', '.join(figures)}")


def bench_sweep(workers: int, runs: int = 3) -> None:
    print(f"Sweep throughput: 1728-point grid (DIM x dataflow x scratchpad x bus x in-flight x "
          f"accumulator x request size) on ResNet-18 + digits CNN (24 layers per point), best of "
          f"{runs} runs:")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("gemmini", "scalesim"):
            spec_path = Path(tmp) / f"{mode}.toml"
            spec_path.write_text(SWEEP.format(mode=mode))
            spec = load_spec(spec_path)
            for n in sorted({1, workers}):
                evaluation, whole = [], []
                for run in range(runs):
                    out = Path(tmp) / f"{mode}-{n}-{run}"
                    start = time.perf_counter()
                    summary = run_sweep(spec, out, workers=n, progress=False)
                    whole.append(time.perf_counter() - start)
                    evaluation.append(summary.evaluation_s)
                points = summary.points
                print(f"  {mode:8s} mode, {n} worker(s): evaluation {min(evaluation):.2f} s = "
                      f"{points / min(evaluation) * 60:,.0f} points/minute; with reports "
                      f"{min(whole):.2f} s = {points / min(whole) * 60:,.0f} points/minute")


def bench_scalesim(python: str, workload_name: str, rows: int, cols: int, dataflow: str,
                   repeat: int) -> None:
    with resources.as_file(resources.files(BUILTIN_PACKAGE) / f"{workload_name}.csv") as path:
        topology = Path(path)
    driver = SCALESIM_DRIVER.format(data=str(ROOT / "tests" / "data" / "scalesim"),
                                    topology=str(topology), rows=rows, cols=cols,
                                    dataflow=dataflow)
    done = subprocess.run([python, "-c", driver], capture_output=True, text=True, check=True)
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    version = subprocess.run([python, "-c", "import importlib.metadata as m; "
                              "print(m.version('scalesim'))"], capture_output=True, text=True,
                             check=True).stdout.strip()
    workload = load_workload(topology)
    config = preset("default")
    ours = median_time(lambda: estimate(workload, config, mode="scalesim", dataflow=dataflow,
                                        rows=rows, cols=cols), repeat)
    est = estimate(workload, config, mode="scalesim", dataflow=dataflow, rows=rows, cols=cols)
    expanded = [layer.cycles // layer.groups for layer in est.layers
                for _ in range(layer.groups)]
    agree = expanded == theirs["cycles"]
    print(f"SCALE-Sim {version} vs scalesim mode, {workload_name} ({len(workload.layers)} layers) "
          f"on {rows}x{cols} {dataflow.upper()}:")
    print(f"  SCALE-Sim: {theirs['seconds']:.1f} s   ours: {ours * 1e3:.3f} ms   "
          f"speed ratio: {theirs['seconds'] / ours:,.0f}x")
    print(f"  total cycles: SCALE-Sim {sum(theirs['cycles'])}, ours {est.total_cycles}; "
          f"every layer equal: {agree}")


def main() -> None:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__).splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scalesim-python", help="a Python with scalesim installed")
    parser.add_argument("--scalesim-workload", default="resnet18")
    parser.add_argument("--scalesim-array", default="32x32")
    parser.add_argument("--scalesim-dataflow", default="ws", choices=("os", "ws", "is"))
    parser.add_argument("--only", choices=("model", "sweep", "scalesim"),
                        help="run one section only")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    if args.only in (None, "model"):
        bench_model(args.repeat)
    if args.only in (None, "sweep"):
        bench_sweep(args.workers)
    if args.scalesim_python and args.only in (None, "scalesim"):
        rows, cols = (int(x) for x in args.scalesim_array.lower().split("x"))
        bench_scalesim(args.scalesim_python, args.scalesim_workload, rows, cols,
                       args.scalesim_dataflow, args.repeat)


if __name__ == "__main__":
    main()
