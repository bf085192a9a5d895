"""Golden-model throughput: a 512x512x512 int8 GEMM program on the default config.

The program is built by hand the way a weight-stationary tiler would emit it:
* C is computed in 128x128 blocks (8x8 DIM tiles: the whole accumulator); for each block row the A
  block (128 x 512) stays in the scratchpad while the B blocks (512 x 128) stream through;
* every mvin moves 4 DIM-wide blocks (64 bytes, MAX_BLOCK_LEN) with block stride DIM;
* a bias row is broadcast into the accumulator with MVIN3 and dram_stride 0;
* per (j, k): one PRELOAD of the B tile + COMPUTE_PRELOADED, then 7 COMPUTE_ACCUMULATED chains,
  all accumulating into the accumulator;
* results leave through MVOUT with the fp32 accumulator scale and RELU (4 blocks per mvout).

Prints the program size by kind, the golden-model run time (best of --repeat) and whether the result
matches a numpy int64 reference with the same requantization.

    python benchmarks/bench_golden.py [--size 512] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gemmini_gen import GemminiConfig, arith
from gemmini_gen.backend import get_backend
from gemmini_gen.isa import (
    GARBAGE, Program, acc, compute_accumulated, compute_preloaded, config_ex, config_ld, config_st,
    mvin, mvin2, mvin3, mvout, preload, sp,
)
from gemmini_gen.memory import Memory

SCALE = 1.0 / 512


def build_gemm(cfg: GemminiConfig, size: int, mem: Memory) -> Program:
    dim = cfg.dim
    tiles = size // dim                       # DIM tiles per matrix edge
    block = min(tiles, int((cfg.acc_rows // dim) ** 0.5))     # C block edge in tiles
    group = cfg.max_block_len                 # DIM blocks per mvin / mvout
    A, B, D, C = (mem.region(n) for n in ("A", "B", "D", "C"))
    a_base, b_base = 0, block * tiles * dim   # A block then B block in the scratchpad
    cmds = [
        config_ex("WS", act=0),
        config_ld(size, block_stride=dim, id=0),                  # A rows
        config_ld(size, block_stride=dim, id=1),                  # B rows
        config_ld(0, block_stride=dim, id=2),                     # bias: every row = row 0
        config_st(size, act=1, scale=SCALE),
    ]
    for i0 in range(0, tiles, block):
        for i in range(block):                # A block: rows of i0.., all of K
            for k in range(0, tiles, group):
                cmds.append(mvin(A.base + ((i0 + i) * dim * size + k * dim),
                                 sp(a_base + (i * tiles + k) * dim), group * dim, dim))
        for j0 in range(0, tiles, block):
            for k in range(tiles):            # B block: all of K, columns of j0..
                for j in range(0, block, group):
                    cmds.append(mvin2(B.base + k * dim * size + (j0 + j) * dim,
                                      sp(b_base + (k * block + j) * dim), group * dim, dim))
            for i in range(block):            # bias into every accumulator tile (overwrite)
                for j in range(block):
                    cmds.append(mvin3(D.base + (j0 + j) * dim * 4, acc((i * block + j) * dim),
                                      dim, dim))
            for j in range(block):
                for k in range(tiles):
                    b_tile = sp(b_base + (k * block + j) * dim)
                    for i in range(block):
                        c_tile = acc((i * block + j) * dim, accumulate=True)
                        a_tile = sp(a_base + (i * tiles + k) * dim)
                        if i == 0:
                            cmds.append(preload(b_tile, c_tile, dim, dim, dim, dim))
                            cmds.append(compute_preloaded(a_tile, GARBAGE, dim, dim, dim, dim))
                        else:
                            cmds.append(preload(GARBAGE, c_tile, dim, dim, dim, dim))
                            cmds.append(compute_accumulated(a_tile, GARBAGE, dim, dim, dim, dim))
            for i in range(block):
                for j in range(0, block, group):
                    cmds.append(mvout(C.base + (i0 + i) * dim * size + (j0 + j) * dim,
                                      acc((i * block + j) * dim), group * dim, dim))
    return Program(cmds, mem.regions, name=f"gemm_{size}", comment="bench_golden WS GEMM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="M = N = K (multiple of 64)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    args = parser.parse_args()
    cfg = GemminiConfig()
    size = args.size
    if size % (cfg.dim * cfg.max_block_len) or size < 128:
        parser.error(f"--size must be a multiple of {cfg.dim * cfg.max_block_len} and >= 128")

    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (size, size), dtype=np.int8)
    b = rng.integers(-128, 128, (size, size), dtype=np.int8)
    bias = rng.integers(-5000, 5000, size, dtype=np.int32)
    mem = Memory()
    for name, array in (("A", a), ("B", b), ("D", bias)):
        mem.alloc(name, array.nbytes)
        mem.write_array(name, array)
    mem.alloc("C", size * size)

    t0 = time.perf_counter()
    program = build_gemm(cfg, size, mem)
    build_s = time.perf_counter() - t0
    backend = get_backend("golden", cfg)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = backend.run(program, mem)
        times.append(time.perf_counter() - t0)

    sums = a.astype(np.int64) @ b.astype(np.int64) + bias
    expected = np.maximum(arith.scale_to_int(arith.wrap(sums, 32), SCALE, 8), 0).astype(np.int8)
    got = result.memory.read_array("C", (size, size), np.int8)
    stats = result.stats
    print(f"config: {cfg}")
    print(f"program: {size}x{size}x{size} int8 GEMM, {len(program)} commands "
          f"(built in {build_s:.2f} s)")
    for name, count in program.counts().items():
        print(f"  {name:<22} {count:>7}")
    print(f"golden run time: best {min(times):.3f} s of {args.repeat} "
          f"(all: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"  {len(program) / min(times) / 1e3:.1f} k commands/s, "
          f"{stats.macs_useful / min(times) / 1e9:.2f} GMAC/s useful")
    print(f"  DRAM read {stats.dram_bytes_read} B, written {stats.dram_bytes_written} B, "
          f"MACs useful {stats.macs_useful}, array {stats.macs_array}")
    print(f"matches numpy reference: {np.array_equal(got, expected)}")


if __name__ == "__main__":
    main()
