"""Generator speed: `gemmini-gen` emit time per DIM, and Verilator build time of the mesh.

* emit: `gemmini_gen.emit.write_design` (what `gemmini-gen` does) of --top (default: the full
  accelerator, as `gemmini-gen`) for the default config at each DIM, followed by a garbage
  collection (part of its cost), best of --repeat runs in this process (the wasmtime cache of Yosys
  is warm after the first), with the CPU time (this process plus its child processes: the forked
  conversion and Yosys) and the Verilog size; then ``gemmini-gen --dim D --top T`` as a fresh
  command for the largest DIM (wall clock, including Python start-up).
* phases (``--phases``): where the CPU time of one emission goes when it is done in this process
  (`emit.convert`), per DIM, best of --repeat: building the component, `rtlil.convert` of the top
  and of its separately converted modules (Python's cyclic GC paused, as `emit.convert` does), the
  Yosys child (start-up included), and the garbage collection that frees the netlists afterwards
  (`write_design` converts in a forked child, which skips it).  The Verilog made this way is
  checked against `write_design`'s (sha256), so the phases are the same work.
* build: `sim_runner.build` of the ``mesh`` top at DIM 8 and 16 into an empty cache directory,
  cold (ccache disabled), again into an empty cache directory with ccache warm (skipped without
  ccache), and then cached (unchanged sources: the build directory is reused).

    python benchmarks/bench_generator.py [--top accelerator|mesh|...] [--dims 4 8 16 32 64]
                                         [--build-dims 8 16] [--repeat 2] [--phases]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amaranth.back import rtlil, verilog

from gemmini_gen.config import GemminiConfig
from gemmini_gen.emit import DEFAULT_TOP, TOPS, _ports, build_top, convert, write_design
from gemmini_gen.sim_runner import build


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (Yosys runs as a child process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def emit_times(top: str, dims: list[int], repeat: int, work: Path) -> None:
    print(f"emit (write_design: {top}.v + gemmini_params.h + gemmini.h + config.json)")
    print(f"{'DIM':>4} {'wall s':>7} {'cpu s':>6} {top + '.v':>12}")
    for dim in dims:
        cfg = GemminiConfig().with_dim(dim)
        best_wall = best_cpu = float("inf")
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), _cpu_seconds()
            write_design(cfg, work / f"dim{dim}", top=top)
            gc.collect()        # (any garbage it left is part of its cost)
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, _cpu_seconds() - cpu)
        size = (work / f"dim{dim}" / f"{top}.v").stat().st_size
        print(f"{dim:>4} {best_wall:>7.2f} {best_cpu:>6.2f} {size / 1e6:>10.2f} MB")
    script = shutil.which("gemmini-gen", path=str(Path(sys.executable).parent))
    start = time.perf_counter()
    subprocess.run([script, "--dim", str(max(dims)), "--top", top, "--out", str(work / "cli")],
                   check=True, capture_output=True)
    print(f"`gemmini-gen --dim {max(dims)} --top {top}` as a command: "
          f"{time.perf_counter() - start:.1f} s wall")


def _emission_phases(config: GemminiConfig, top: str) -> tuple[dict[str, float], str]:
    """CPU seconds of each phase of one emission of `top`, and the sha256 of its Verilog."""
    times, clock = {}, _cpu_seconds()

    def lap(phase: str) -> None:
        nonlocal clock
        now = _cpu_seconds()
        times[phase] = now - clock
        clock = now

    component = build_top(config, top)
    modules = sorted(getattr(component, "verilog_modules", dict)().items())
    lap("build")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        parts = [rtlil.convert(component, name=top, ports=_ports(component), emit_src=False)]
        lap("top")
        parts += [rtlil.convert(unit, name=name, ports=_ports(unit), emit_src=False)
                  for name, unit in modules if not isinstance(unit, str)]
        lap("modules")
        text = verilog._convert_rtlil_text("".join(parts), strip_internal_attrs=True)
        text += "".join(unit for _, unit in modules if isinstance(unit, str))
        lap("yosys")
    finally:
        if was_enabled:
            gc.enable()
    del component, modules, parts
    gc.collect()
    lap("gc")
    return times, hashlib.sha256(text.encode()).hexdigest()


def phase_times(top: str, dims: list[int], repeat: int, work: Path) -> None:
    phases = ("build", "top", "modules", "yosys", "gc")
    print(f"\nemission phases of {top} (CPU s, best of {repeat} each; Yosys: the child process)")
    print(f"{'DIM':>4} " + " ".join(f"{p:>7}" for p in phases) + f" {'sum':>6}")
    for dim in dims:
        cfg = GemminiConfig().with_dim(dim)
        best, digest = {p: float("inf") for p in phases}, None
        for _ in range(repeat):
            times, digest = _emission_phases(cfg, top)
            best = {p: min(best[p], times[p]) for p in phases}
        manifest = work / f"dim{dim}" / "config.json"
        if manifest.exists() and json.loads(manifest.read_text())["verilog"]["sha256"] != digest:
            raise SystemExit(f"DIM {dim}: the phases' Verilog differs from write_design's")
        print(f"{dim:>4} " + " ".join(f"{best[p]:>7.2f}" for p in phases)
              + f" {sum(best.values()):>6.2f}")


def build_times(dims: list[int], work: Path) -> None:
    print("\nVerilator build of the mesh top (sim_runner.build)")
    print(f"{'DIM':>4} {'cold s':>7} {'ccache s':>9} {'cached s':>9}")
    have_ccache = shutil.which("ccache") is not None
    for dim in dims:
        cfg = GemminiConfig().with_dim(dim)
        src = work / f"build{dim}" / "mesh.v"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(convert(build_top(cfg, "mesh"), "mesh"))
        times = []
        for ccache in (False, True):
            if ccache and not have_ccache:
                times.append(None)
                continue
            cache = Path(tempfile.mkdtemp(dir=work))
            os.environ["GEMMINI_SIM_CACHE"] = str(cache)
            if ccache:
                os.environ.pop("CCACHE_DISABLE", None)
            else:
                os.environ["CCACHE_DISABLE"] = "1"
            start = time.perf_counter()
            build("mesh", [src])
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        cached = build("mesh", [src])
        times.append(time.perf_counter() - start)
        assert cached.cached
        cells = " ".join(f"{t:>9.3f}" if t is not None else f"{'n/a':>9}" for t in times)
        print(f"{dim:>4} {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", choices=sorted(TOPS), default=DEFAULT_TOP)
    parser.add_argument("--dims", type=int, nargs="*", default=[4, 8, 16, 32, 64])
    parser.add_argument("--build-dims", type=int, nargs="*", default=[8, 16])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--phases", action="store_true",
                        help="also break each DIM's emission down into its phases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.dims:
            emit_times(args.top, args.dims, args.repeat, work)
        if args.dims and args.phases:
            phase_times(args.top, args.dims, args.repeat, work)
        if args.build_dims:
            build_times(args.build_dims, work)


if __name__ == "__main__":
    main()
