"""Choosing the tile size of a GEMM: Gemmini's growth heuristic is the starting point, then the
tile shape that cuts the block grid most evenly without moving more data or taking more steps.

Why: on the RTL a step's computes hide the loads of the next step.  Gemmini's 5x6x32-block tile
for a 512^3 GEMM leaves the 32x32 block grid with edge tiles of 2 blocks, whose few computes
cannot hide the full-size loads that follow, which cost 1.7 % utilization (BENCHMARKS.md, "Full
accelerator (RTL)"); 4x8x32 divides the grid and also loads A fewer times.

The rule (`choose_tiles`):

1. G = `gemmini_tiles` (Gemmini's `tiled_matmul_auto`, the module docstring of `tiles`).
2. Candidates: every tile shape that fits half of each memory, named by its outer-tile counts
   (n_i, n_j, n_k) with sizes `ceil(blocks / n)`, whose DRAM traffic and number of steps are both
   at most G's, so no candidate loses reuse or adds steps.
3. Among them, in order: the fewest axes whose count does not divide their blocks (an axis that
   does not divide is still cut evenly, `tiles.split_blocks`, but its steps differ by a block);
   then the least traffic; then the fewest steps; then the sizes closest to G's (sum of the
   differences); then the larger tile_j, then tile_i (Gemmini grows J first).

Traffic is the A and B blocks loaded (a partial block counted whole), as the planner's order
choice sees it: with K in one tile, `min(A + n_i * B, B + n_j * A)` ("ij" keeps each A tile for a
row of C tiles, "ji" each B tile for a column), otherwise `n_j * A + n_i * B` (every step loads
its tiles).  Bias and output traffic are the same for every tiling.  Only the two smallest useful
K counts per (n_i, n_j) are candidates -- the fewest steps, and the fewest that divide -- since
any other K count is worse on every key before the tie-breaks.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .tiles import TileShape, check_blocks, gemmini_tiles

if TYPE_CHECKING:
    from ..config import GemminiConfig

__all__ = ["choose_tiles", "tile_traffic"]


def tile_traffic(blocks: tuple[int, int, int], counts: tuple[int, int, int]) -> int:
    """A and B blocks a GEMM of `blocks` (I, J, K) loads with `counts` outer tiles per axis."""
    (bi, bj, bk), (ni, nj, nk) = blocks, counts
    a, b = bi * bk, bk * bj
    return min(a + ni * b, b + nj * a) if nk == 1 else nj * a + ni * b


def choose_tiles(cfg: "GemminiConfig", blocks_i: int, blocks_j: int,
                 blocks_k: int) -> TileShape:
    """The tile shape for a problem of blocks_i x blocks_j x blocks_k DIM blocks (the module
    docstring has the rule).  Raises `TilingError` when even a 1x1x1 tile does not fit."""
    check_blocks(blocks_i, blocks_j, blocks_k)
    return _choose(cfg, blocks_i, blocks_j, blocks_k)


def _counts(blocks: int, limit: int) -> np.ndarray:
    """Every distinct number of outer tiles of at most `limit` blocks over `blocks`, ascending."""
    return np.unique(-(-blocks // np.arange(1, min(blocks, limit) + 1)))


@lru_cache(maxsize=4096)
def _choose(cfg: "GemminiConfig", bi: int, bj: int, bk: int) -> TileShape:
    start = gemmini_tiles(cfg, bi, bj, bk)
    start_counts = (-(-bi // start.tile_i), -(-bj // start.tile_j), -(-bk // start.tile_k))
    half_sp = cfg.sp_rows // 2 // cfg.dim            # blocks in half of each memory
    half_acc = cfg.acc_rows // 2 // cfg.dim
    ni, nj = np.meshgrid(_counts(bi, min(half_acc, half_sp - 1)),
                         _counts(bj, min(half_acc, half_sp - 1)), indexing="ij")
    si, sj = -(-bi // ni), -(-bj // nj)
    ok = (si * sj <= half_acc) & (si + sj < half_sp)
    ni, nj, si, sj = ni[ok], nj[ok], si[ok], sj[ok]
    fewest_k = -(-bk // np.minimum(bk, half_sp // (si + sj)))
    small = np.arange(1, math.isqrt(bk) + 1)
    divisors = np.unique(np.concatenate([small[bk % small == 0], bk // small[bk % small == 0]]))
    dividing_k = divisors[np.searchsorted(divisors, fewest_k)]
    ni = np.concatenate([ni, ni, [start_counts[0]]])
    nj = np.concatenate([nj, nj, [start_counts[1]]])
    nk = np.concatenate([fewest_k, dividing_k, [start_counts[2]]])
    si, sj, sk = -(-bi // ni), -(-bj // nj), -(-bk // nk)

    a, b = bi * bk, bk * bj
    traffic = np.where(nk == 1, np.minimum(a + ni * b, b + nj * a), nj * a + ni * b)
    steps = ni * nj * nk
    uneven = (bi % ni != 0).astype(np.int64) + (bj % nj != 0) + (bk % nk != 0)
    distance = abs(si - start.tile_i) + abs(sj - start.tile_j) + abs(sk - start.tile_k)
    allowed = (traffic <= tile_traffic((bi, bj, bk), start_counts)) & \
        (steps <= math.prod(start_counts))
    ranked = np.lexsort((-si, -sj, distance, steps, traffic, uneven))
    best = ranked[allowed[ranked]][0]
    return TileShape(int(si[best]), int(sj[best]), int(sk[best]))
