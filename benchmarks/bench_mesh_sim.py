"""Simulated cycles per second of `MeshWithDelays` on Verilator + cocotb (sim/mesh/bench_mesh.py).

* Python idle: top ``mesh_bench`` (sim/mesh/mesh_bench_top.py) generates a new beat every cycle on
  chip and folds every result row into a checksum; its clock runs in HDL (Verilator ``--timing``);
  Python awaits one Timer of --cycles cycles, then checks the checksum against the numpy model.
* Python driving: top ``mesh``; the cocotb driver presents a beat and samples the result every
  cycle (about --drive-cycles cycles of back-to-back blocks), checking every row.

Builds are cached (`sim_runner`), so only the first run pays for them.

    python benchmarks/bench_mesh_sim.py [--dims 8 16] [--cycles 2000000] [--drive-cycles 20000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from gemmini_gen.config import GemminiConfig, preset
from gemmini_gen.emit import build_top, convert
from gemmini_gen.sim_runner import build

SIM_DIR = Path(__file__).resolve().parents[1] / "sim" / "mesh"


def _sources(cfg: GemminiConfig, mode: str, work: Path) -> tuple[str, list[Path]]:
    """The top module and Verilog files of the benchmark design for `mode`."""
    if mode == "drive":
        src = work / f"mesh_{cfg.dim}.v"
        src.write_text(convert(build_top(cfg, "mesh"), "mesh"))
        return "mesh", [src]
    sys.path.insert(0, str(SIM_DIR))
    from mesh_bench_top import MeshBench, clocked_wrapper
    src = work / f"mesh_bench_{cfg.dim}.v"
    src.write_text(convert(MeshBench(cfg), "mesh_bench"))
    wrapper = work / "mesh_bench_clocked.v"
    wrapper.write_text(clocked_wrapper("mesh_bench"))
    return "mesh_bench_clocked", [wrapper, src]


def run(cfg: GemminiConfig, mode: str, cycles: int, work: Path) -> dict:
    top, sources = _sources(cfg, mode, work)
    # (the wheel's verilated.mk lacks the flag g++ needs for the coroutines of --timing)
    extra = ["--timing", "-CFLAGS", "-fcoroutines"] if mode == "idle" else []
    sim = build(top, sources, name=f"{top}-dim{cfg.dim}", extra_args=extra)
    out = work / f"{mode}_{cfg.dim}.json"
    setup = {"config": cfg.to_dict(), "mode": mode, "cycles": cycles, "out": str(out)}
    sim.run("bench_mesh", test_dir=SIM_DIR, extra_env={"MESH_BENCH": json.dumps(setup)})
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="*", default=[8, 16])
    parser.add_argument("--cycles", type=int, default=2_000_000)
    parser.add_argument("--drive-cycles", type=int, default=20_000)
    parser.add_argument("--preset", default="default", help="base config (DIM is overridden)")
    args = parser.parse_args()
    print(f"{'DIM':>4} {'mode':>15} {'cycles':>9} {'seconds':>8} {'cycles/s':>10} "
          f"{'per CPU s':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for dim in args.dims:
            cfg = preset(args.preset).with_dim(dim)
            for mode, cycles in (("idle", args.cycles), ("drive", args.drive_cycles)):
                r = run(cfg, mode, cycles, Path(tmp))
                label = "Python idle" if mode == "idle" else "Python driving"
                print(f"{dim:>4} {label:>15} {r['cycles']:>9} {r['seconds']:>8.2f} "
                      f"{r['cycles_per_second']:>10,.0f} {r['cycles'] / r['cpu_seconds']:>10,.0f}")


if __name__ == "__main__":
    main()
