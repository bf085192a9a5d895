"""Tiler throughput: build the 512^3 int8 GEMM program with `tiled_matmul_auto` (default config,
weight stationary, explicit commands and LOOP_WS), plan it with `plan_matmul`, and run it on the
golden model.

Prints the tiling, the command counts by kind, the DRAM traffic, the build / plan / golden-run times
(best of --repeat) and whether the result matches the numpy int64 reference.

    python benchmarks/bench_tiling.py [--size 512] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gemmini_gen import GemminiConfig
from gemmini_gen.tiling import matmul_reference, plan_matmul, tiled_matmul_auto

OPTIONS = dict(bias="row", activation="relu", scale=1.0 / 512)


def best(repeat: int, call):
    """(best seconds, all seconds, last result) of `repeat` calls."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return min(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="M = N = K")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    args = parser.parse_args()
    if args.size < 1 or args.repeat < 1:
        parser.error("--size and --repeat must be positive")
    cfg, size = GemminiConfig(), args.size
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (size, size), dtype=np.int8)
    b = rng.integers(-128, 128, (size, size), dtype=np.int8)
    bias = rng.integers(-5000, 5000, size, dtype=np.int32)
    expected = matmul_reference(cfg, a, b, bias, activation="relu", scale=OPTIONS["scale"])
    print(f"config: {cfg}")
    print(f"{size}x{size}x{size} int8 GEMM, row bias, fp32 scale + RELU; best of {args.repeat}")

    plan_s, _, plan = best(args.repeat, lambda: plan_matmul(cfg, size, size, size, **OPTIONS))
    t = plan.tiles
    print(f"plan_matmul: {plan_s * 1e3:.2f} ms -> tiles {t.tile_i}x{t.tile_j}x{t.tile_k} blocks, "
          f"grid {plan.grids[0]}, order {plan.order}, {plan.steps} steps")
    for loop in (False, True):
        label = "LOOP_WS" if loop else "explicit"
        build_s, build_all, tp = best(args.repeat, lambda: tiled_matmul_auto(
            cfg, size, size, size, use_loop_ws=loop, **OPTIONS))
        run_s, run_all, run = best(args.repeat, lambda: tp.run("golden", A=a, B=b, D=bias))
        stats = run.result.stats
        print(f"\n[{label}] {len(tp.program)} commands, built in {build_s:.3f} s "
              f"(all: {', '.join(f'{x:.3f}' for x in build_all)})")
        for name, count in tp.program.counts().items():
            print(f"  {name:<26} {count:>7}")
        if loop:
            print(f"  executed after expansion: {stats.total_instructions} commands")
        print(f"  golden run {run_s:.3f} s (all: {', '.join(f'{x:.3f}' for x in run_all)}), "
              f"{stats.total_instructions / run_s / 1e3:.0f} k commands/s")
        print(f"  DRAM read {stats.dram_bytes_read} B, written {stats.dram_bytes_written} B; "
              f"MACs {stats.macs_useful}, array efficiency {plan.array_efficiency:.3f}")
        print(f"  plan agrees: counts {tp.program.counts() == tp.plan.counts}, "
              f"executed {stats.instructions == tp.plan.executed}, "
              f"bytes {stats.dram_bytes_read == tp.plan.dram_bytes_read}")
        print(f"  matches numpy reference: {np.array_equal(run.output, expected)}")


if __name__ == "__main__":
    main()
