"""Full-accelerator RTL benchmark: a 512x512x512 int8 GEMM on the Verilator model.

* The program comes from the tiler (`tiling.tiled_matmul_auto`: weight stationary, bias row, RELU,
  fp32 output scale), run on the default config with the HDL memory model at 40 cycles of read
  (and write) latency.
* Utilization = MACs / (DIM^2 x cycles from the first command to the last write acknowledged).
* What explains the rest: the harness's per-unit busy cycles and bus beats, and the accelerator's
  own performance counters (two runs of the same program, eight events each, read after a FENCE).
* Simulated cycles per wall second and per CPU-second of the simulator process (Python idle), with
  the load average, and RTL result == golden result.
* Verilator build of the DIM-16 harness: cold (fresh cache, ccache disabled), cold with a warm
  ccache (fresh cache), and cached; split into Verilog emission, Verilator and C++ compilation.

    python benchmarks/bench_rtl.py [--size 512] [--latency 40] [--config default]
                                   [--tiles I J K] [--no-build-timing]

`--tiles` overrides the tiler's tile shape (in DIM blocks) to compare command orders.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from gemmini_gen import preset
from gemmini_gen.backend import get_backend
from gemmini_gen.hw.ctrl.counters import Event
from gemmini_gen.isa import Program, counter_configure, counter_read, encode, fence
from gemmini_gen.rtl.build import harness_build
from gemmini_gen.rtl.harness import HarnessParams
from gemmini_gen.tiling import tiled_matmul_auto

EVENT_GROUPS = (
    (Event.EXECUTE_ACTIVE, Event.LOAD_ACTIVE, Event.STORE_ACTIVE, Event.LOAD_DMA_WAIT,
     Event.EXECUTE_DEP_WAIT, Event.EXECUTE_OVERLAP_WAIT, Event.RS_FULL, Event.FRONTEND_BLOCKED),
    (Event.READ_DMA_BUS_WAIT, Event.STORE_DMA_WAIT, Event.SPAD_A_WAIT, Event.SPAD_P_WAIT,
     Event.SPAD_X_WAIT, Event.LOAD_SPAD_WAIT, Event.ONLY_EX, Event.LD_EX),
)


def with_counters(program: Program, events) -> Program:
    """`program` framed by counter configuration (before) and counter reads after a FENCE."""
    head = [encode("counter", reset=1, snapshot_reset=1)]
    head += [counter_configure(i, int(e)) for i, e in enumerate(events)]
    tail = [fence()] + [counter_read(i) for i in range(len(events))]
    return Program(head + list(program.commands) + tail, program.regions, name=program.name)


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def build_timing(cfg, params) -> None:
    """Cold (no cache, no ccache), cold with ccache, and cached builds of the harness."""
    saved = {k: os.environ.get(k) for k in ("GEMMINI_SIM_CACHE", "CCACHE_DISABLE")}
    try:
        for label, ccache in (("cold, ccache disabled", False), ("cold, ccache warm", True)):
            with tempfile.TemporaryDirectory(prefix="bench-rtl-cache-") as tmp:
                os.environ["GEMMINI_SIM_CACHE"] = tmp
                if ccache:
                    os.environ.pop("CCACHE_DISABLE", None)
                else:
                    os.environ["CCACHE_DISABLE"] = "1"
                start, cpu = time.monotonic(), _cpu_seconds()
                sim = harness_build(cfg, params)
                total = time.monotonic() - start
                own, tools = (now - before for now, before in zip(_cpu_seconds(), cpu))
                print(f"build {label}: {total:.1f} s wall (Verilog emit {sim.emit_seconds:.1f} s, "
                      f"Verilator {sim.verilate_seconds:.1f} s, C++ compile and link "
                      f"{sim.build_seconds - sim.verilate_seconds:.1f} s); CPU {own:.1f} s in "
                      f"this process, {tools:.1f} s in child processes (the forked Verilog "
                      f"conversion, Yosys, Verilator, the compiler); load average "
                      f"{os.getloadavg()[0]:.1f}")
                start = time.monotonic()
                again = harness_build(cfg, params)
                print(f"build cached: {time.monotonic() - start:.2f} s (cached={again.cached})")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--latency", type=int, default=40)
    ap.add_argument("--config", default="default")
    ap.add_argument("--tiles", type=int, nargs=3, metavar=("I", "J", "K"),
                    help="tile shape in DIM blocks (default: the tiler's choice)")
    ap.add_argument("--no-build-timing", action="store_true")
    args = ap.parse_args()
    cfg = preset(args.config)
    n = args.size

    tp = tiled_matmul_auto(cfg, n, n, n, bias="row", activation="relu", scale=1.0 / 1024,
                           tiles=tuple(args.tiles) if args.tiles else None)
    rng = np.random.default_rng(0)
    inputs = {"A": rng.integers(-128, 128, (n, n)), "B": rng.integers(-128, 128, (n, n)),
              "D": rng.integers(-5000, 5000, n)}
    memory = tp.memory.copy()
    for name, array in inputs.items():
        tp.inputs[name].write(memory, array)
    counts = tp.program.counts()
    print(f"config {cfg.name}: DIM {cfg.dim}, bus {cfg.dma_bus_bits} bit, read/write latency "
          f"{args.latency}; program {len(tp.program)} commands {counts}; "
          f"{tp.program.comment}")

    backend = get_backend("rtl", cfg, read_latency=args.latency, watchdog_cycles=100000)
    jobs = [(with_counters(tp.program, events), memory) for events in EVENT_GROUPS]
    start = time.monotonic()
    results = backend.run_many(jobs)
    total = time.monotonic() - start
    build = backend.last_build
    print(f"simulator: build {'cached' if build.cached else f'{build.build_seconds:.1f} s'}, "
          f"whole run {total:.1f} s for {len(jobs)} runs")

    golden = get_backend("golden", cfg).run(tp.program, memory)
    expected = golden.memory.read_array("C", (n, n), np.int8)
    macs = n ** 3
    load = os.getloadavg()[0]
    for result, events, wall, cpu in zip(results, EVENT_GROUPS, backend.last_wall_seconds,
                                         backend.last_cpu_seconds):
        c = result.counters
        got = result.memory.read_array("C", (n, n), np.int8)
        cycles = c["last_write"]
        print(f"\nRTL result == golden: {np.array_equal(got, expected)}")
        print(f"cycles first command -> last write: {cycles}; utilization "
              f"{100 * macs / (cfg.dim ** 2 * cycles):.2f} % ({macs} MACs)")
        print(f"simulated {c['cycles']} cycles in {wall:.2f} s wall, {cpu:.2f} s CPU of the "
              f"simulator: {c['cycles'] / wall / 1e3:.0f}k cycles/s wall, "
              f"{c['cycles'] / cpu / 1e3:.0f}k cycles per CPU-second (load average {load:.1f})")
        for name in ("busy", "status_load", "status_execute", "status_store", "status_dma_read",
                     "status_dma_write", "status_rs", "status_frontend", "cmd_stalled"):
            print(f"  harness {name:17s} {c[name]:9d}  {100 * c[name] / c['cycles']:6.2f} %")
        print(f"  bus: read {c['read_beats'] * cfg.bus_bytes} B in {c['read_beats']} beats "
              f"({100 * c['read_beats'] / c['cycles']:.1f} % of cycles), write {c['write_bytes']} "
              f"B in {c['write_beats']} beats")
        values = result.responses[-len(events):]
        for event, value in zip(events, values):
            print(f"  event {int(event):2d} {event.name:22s} {value:9d}  "
                  f"{100 * value / c['cycles']:6.2f} %")

    if not args.no_build_timing:
        print()
        build_timing(cfg, HarnessParams(memory_bytes=backend.last_memory_bytes,
                                        read_latency=args.latency, write_latency=args.latency))


if __name__ == "__main__":
    main()
