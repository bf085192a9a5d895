"""Provisional tile choice for the `gemmini` performance model.

Gemmini's software (`tiled_matmul_auto`) cuts a matmul into outer tiles of tile_I x tile_J x
tile_K DIM-blocks that fit HALF of the scratchpad (A and B) and HALF of the accumulator (C), so the
next tile can load while the current one computes (double buffering, ISA.md section 8), starting
from a square-ish guess and then growing J, I and K while they still fit.  This module reproduces
that policy from first principles so the model has tiles before the project's tiler exists.

Extension point: `GemminiModel(tiler=...)` accepts any `Tiler` -- a callable
`(config, blocks_i, blocks_j, blocks_k) -> TilePlan` -- so the real tiler (gemmini_gen.tiling) can
replace `choose_tiles` without touching the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..config import GemminiConfig

__all__ = ["TilePlan", "Tiler", "choose_tiles"]


@dataclass(frozen=True)
class TilePlan:
    """Outer tile size in DIM x DIM blocks along I (rows of A/C), J (cols of B/C) and K."""

    tile_i: int
    tile_j: int
    tile_k: int

    def count(self, blocks_i: int, blocks_j: int, blocks_k: int) -> int:
        """Number of outer tiles covering a blocks_i x blocks_j x blocks_k problem."""
        return (-(-blocks_i // self.tile_i)) * (-(-blocks_j // self.tile_j)) * \
            (-(-blocks_k // self.tile_k))


Tiler = Callable[[GemminiConfig, int, int, int], TilePlan]


def choose_tiles(config: GemminiConfig, blocks_i: int, blocks_j: int, blocks_k: int) -> TilePlan:
    """Largest double-buffered tile, grown greedily in the order J, I, K."""
    dim = config.dim
    spad_rows = config.sp_rows // 2            # one half of the scratchpad per tile
    acc_rows = config.acc_rows // 2            # one half of the accumulator per tile
    max_ij = max(1, math.isqrt(acc_rows // dim))
    max_k = max(1, (config.sp_rows // 4 // dim) // max_ij)

    def fits(ti: int, tj: int, tk: int) -> bool:
        return (ti * tk + tk * tj) * dim <= spad_rows and ti * tj * dim <= acc_rows

    ti, tj, tk = min(blocks_i, max_ij), min(blocks_j, max_ij), min(blocks_k, max_k)
    grown = True
    while grown:
        grown = False
        if tj < blocks_j and fits(ti, tj + 1, tk):
            tj += 1
            grown = True
        if ti < blocks_i and fits(ti + 1, tj, tk):
            ti += 1
            grown = True
        if tk < blocks_k and fits(ti, tj, tk + 1):
            tk += 1
            grown = True
    return TilePlan(ti, tj, tk)
