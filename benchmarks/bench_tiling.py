"""Tiler: the tile choice against Gemmini's heuristic on a set of GEMM shapes, and the throughput of
building, planning and running the 512^3 int8 GEMM program.

Choice (default config, row bias): for the 512^3 GEMM, ResNet-50-like convolutions (as their
im2col GEMMs, batch 1) and the digits CNN layers (batches 64 and 16), Gemmini's tiles (forced with
`tiles=`) and the chosen ones: tiles, outer-tile grid, steps, DRAM bytes read, the smallest and
largest step (PRELOAD/COMPUTE pairs), and whether the chosen program's golden-model run is
bit-identical to the numpy int64 reference.

Throughput: `tiled_matmul_auto` (explicit commands and LOOP_WS), `plan_matmul` and the golden run
of the 512^3 GEMM (best of --repeat), with the command counts, traffic and reference check.

    python benchmarks/bench_tiling.py [--size 512] [--repeat 3] [--skip-choice] [--skip-throughput]
                                      [--no-golden]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gemmini_gen import GemminiConfig
from gemmini_gen.tiling import gemmini_tiles, matmul_reference, plan_matmul, tiled_matmul_auto

OPTIONS = dict(bias="row", activation="relu", scale=1.0 / 512)

#: (label, M, N, K): convolutions as im2col GEMMs (M = output pixels, N = out channels,
#: K = kernel height * width * in channels).
SHAPES = [
    ("GEMM 512^3", 512, 512, 512),
    ("ResNet-50 conv1 7x7/2, 3->64", 112 * 112, 64, 7 * 7 * 3),
    ("ResNet-50 res2 3x3, 64->64", 56 * 56, 64, 9 * 64),
    ("ResNet-50 res2 1x1, 64->256", 56 * 56, 256, 64),
    ("ResNet-50 res3 3x3, 128->128", 28 * 28, 128, 9 * 128),
    ("ResNet-50 res4 3x3, 256->256", 14 * 14, 256, 9 * 256),
    ("ResNet-50 res4 1x1, 1024->256", 14 * 14, 256, 1024),
    ("ResNet-50 res5 3x3, 512->512", 7 * 7, 512, 9 * 512),
    ("ResNet-50 res5 1x1, 512->2048", 7 * 7, 2048, 512),
    ("ResNet-50 fc, 2048->1000", 1, 1000, 2048),
    ("digits conv1, batch 64", 64 * 64, 16, 9),
    ("digits conv2, batch 64", 64 * 16, 32, 144),
    ("digits fc, batch 64", 64, 10, 128),
    ("digits conv1, batch 16", 16 * 64, 16, 9),
    ("digits conv2, batch 16", 16 * 16, 32, 144),
    ("digits fc, batch 16", 16, 10, 128),
]


def best(repeat: int, call):
    """(best seconds, all seconds, last result) of `repeat` calls."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return min(times), times, result


def _describe(plan) -> str:
    t, pairs = plan.tiles, [s.counts["preload"] for s in plan.step_plans]
    tiles, grid = f"{t.tile_i}x{t.tile_j}x{t.tile_k}", "x".join(map(str, plan.grids[0]))
    return (f"{tiles:>9s} {grid:>8s} {plan.steps:5d} {plan.dram_bytes_read:9d} "
            f"{f'{min(pairs)}-{max(pairs)}':>9s}")


def _ragged_smallest(blocks, tiles) -> int:
    """Pairs of the smallest step if every axis were cut into full tiles plus a remainder (the
    cut before `split_blocks`): the remainders' product."""
    return int(np.prod([b - (-(-b // t) - 1) * t for b, t in zip(blocks, tiles.as_tuple())]))


def _golden_exact(cfg: GemminiConfig, M: int, N: int, K: int, rng) -> bool:
    a = rng.integers(-128, 128, (M, K), dtype=np.int8)
    b = rng.integers(-128, 128, (K, N), dtype=np.int8)
    bias = rng.integers(-5000, 5000, N, dtype=np.int32)
    tp = tiled_matmul_auto(cfg, M, N, K, **OPTIONS)
    run = tp.run("golden", A=a, B=b, D=bias)
    stats = run.result.stats
    expected = matmul_reference(cfg, a, b, bias, activation="relu", scale=OPTIONS["scale"])
    return (np.array_equal(run.output, expected) and stats.instructions == tp.plan.executed
            and stats.dram_bytes_read == tp.plan.dram_bytes_read)


def choice(cfg: GemminiConfig, golden: bool) -> None:
    print(f"tile choice, config: {cfg}; row bias. Per side: tiles, grid, steps, DRAM bytes "
          f"read, PRELOAD/COMPUTE pairs per step (min-max); 'ragged': the smallest step if the "
          f"axes were cut into full tiles plus a remainder; 'bytes': chosen / Gemmini")
    print(f"{'shape (M x N x K)':46s} | {'Gemmini (tiles=)':44s} {'ragged':>6s} | {'chosen':44s} | "
          f"{'bytes':>5s} | golden exact")
    rng = np.random.default_rng(0)
    for label, M, N, K in SHAPES:
        blocks = [-(-x // cfg.dim) for x in (M, N, K)]
        start = plan_matmul(cfg, M, N, K, **OPTIONS, tiles=gemmini_tiles(cfg, *blocks))
        chosen = plan_matmul(cfg, M, N, K, **OPTIONS)
        exact = (_golden_exact(cfg, M, N, K, rng) if golden else "-")
        print(f"{label + f' ({M}x{N}x{K})':46s} | {_describe(start)} "
              f"{_ragged_smallest(blocks, start.tiles):6d} | {_describe(chosen)} | "
              f"{chosen.dram_bytes_read / start.dram_bytes_read:5.3f} | {exact}")


def throughput(cfg: GemminiConfig, size: int, repeat: int) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (size, size), dtype=np.int8)
    b = rng.integers(-128, 128, (size, size), dtype=np.int8)
    bias = rng.integers(-5000, 5000, size, dtype=np.int32)
    expected = matmul_reference(cfg, a, b, bias, activation="relu", scale=OPTIONS["scale"])
    print(f"\n{size}x{size}x{size} int8 GEMM, row bias, fp32 scale + RELU; best of {repeat}")

    plan_s, _, plan = best(repeat, lambda: plan_matmul(cfg, size, size, size, **OPTIONS))
    t = plan.tiles
    print(f"plan_matmul: {plan_s * 1e3:.2f} ms -> tiles {t.tile_i}x{t.tile_j}x{t.tile_k} blocks, "
          f"grid {plan.grids[0]}, order {plan.order}, {plan.steps} steps")
    for loop in (False, True):
        label = "LOOP_WS" if loop else "explicit"
        build_s, build_all, tp = best(repeat, lambda: tiled_matmul_auto(
            cfg, size, size, size, use_loop_ws=loop, **OPTIONS))
        run_s, run_all, run = best(repeat, lambda: tp.run("golden", A=a, B=b, D=bias))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="M = N = K of the throughput GEMM")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--skip-choice", action="store_true", help="skip the tile-choice table")
    parser.add_argument("--skip-throughput", action="store_true",
                        help="skip the build / plan / run timings")
    parser.add_argument("--no-golden", action="store_true",
                        help="tile-choice table without the golden runs")
    args = parser.parse_args()
    if args.size < 1 or args.repeat < 1:
        parser.error("--size and --repeat must be positive")
    cfg = GemminiConfig()
    if not args.skip_choice:
        choice(cfg, not args.no_golden)
    if not args.skip_throughput:
        throughput(cfg, args.size, args.repeat)


if __name__ == "__main__":
    main()
