"""Tile sizes of a tiled GEMM: the capacity formulas, Gemmini's `tiled_matmul_auto` growth
heuristic, and how a tile size cuts an axis into outer tiles.

A GEMM C[M,N] = A[M,K] @ B[K,N] is cut into outer tiles of at most `tile_i` x `tile_j` x `tile_k`
DIM x DIM blocks.  Every outer tile is double buffered, so one tile must fit in HALF of each memory:

    scratchpad:  (tile_i * tile_k + tile_k * tile_j) * DIM  <=  SP_ROWS / 2     (A tile + B tile)
    accumulator:  tile_i * tile_j * DIM                      <=  ACC_ROWS / 2    (C tile)

(a partial block still takes DIM rows).  These are exactly the LOOP_WS capacity rule (ISA.md
section 8), so the same tiles serve the explicit schedule and LOOP_WS.

An axis of `blocks` blocks and tile size `tile` has `ceil(blocks / tile)` outer tiles, cut as
evenly as possible (`split_blocks`): their sizes differ by at most one block, the larger ones
first, so no step is a thin remainder (32 blocks at tile 5: 5,5,5,5,4,4,4, not 5,5,5,5,5,5,2).

Gemmini's heuristic (`gemmini_tiles`, its double-buffered case): start from a square C tile of
`isqrt(ACC_ROWS / 2 / DIM)` blocks per side and `tile_k = (SP_ROWS / 4 / DIM) // that side`, each
clipped to the problem; then, while anything changes, try to grow tile_j, then tile_i, then tile_k
by one block (never beyond the problem), keeping each growth that still fits.  Each size is then
the smallest one giving the same number of outer tiles (`ceil(blocks / ceil(blocks / tile))`;
it only shrinks, so it still fits).  `tile_choice.choose_tiles` starts from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import TilingError

if TYPE_CHECKING:
    from ..config import GemminiConfig

__all__ = ["TileShape", "check_tiles", "gemmini_tiles", "split_blocks", "tile_acc_rows",
           "tile_sp_rows"]


@dataclass(frozen=True)
class TileShape:
    """Largest outer tile in DIM x DIM blocks along I (rows of A and C), J (cols of B and C) and
    K; every axis is cut into as few outer tiles of at most this size as possible."""

    tile_i: int
    tile_j: int
    tile_k: int

    def count(self, blocks_i: int, blocks_j: int, blocks_k: int) -> int:
        """Number of outer tiles covering a blocks_i x blocks_j x blocks_k problem."""
        return (-(-blocks_i // self.tile_i)) * (-(-blocks_j // self.tile_j)) * \
            (-(-blocks_k // self.tile_k))

    def as_tuple(self) -> tuple[int, int, int]:
        return self.tile_i, self.tile_j, self.tile_k


def split_blocks(blocks: int, tile: int) -> list[int]:
    """The sizes of the `ceil(blocks / tile)` outer tiles of an axis, as equal as possible (they
    differ by at most one block), larger first: `split_blocks(32, 5) == [5, 5, 5, 5, 4, 4, 4]`."""
    count = -(-blocks // tile)
    size, larger = divmod(blocks, count)
    return [size + 1] * larger + [size] * (count - larger)


def tile_sp_rows(dim: int, ti: int, tj: int, tk: int) -> int:
    """Scratchpad rows one buffer of A and B tiles needs."""
    return (ti * tk + tk * tj) * dim


def tile_acc_rows(dim: int, ti: int, tj: int) -> int:
    """Accumulator rows one C tile needs."""
    return ti * tj * dim


def _fits(cfg: "GemminiConfig", ti: int, tj: int, tk: int) -> bool:
    return (tile_sp_rows(cfg.dim, ti, tj, tk) <= cfg.sp_rows // 2
            and tile_acc_rows(cfg.dim, ti, tj) <= cfg.acc_rows // 2)


def check_tiles(cfg: "GemminiConfig", tiles) -> TileShape:
    """`tiles` (a TileShape or an (i, j, k) tuple) as a TileShape, if it fits the memories."""
    try:
        ti, tj, tk = (tiles.as_tuple() if isinstance(tiles, TileShape) else tuple(tiles))
    except (TypeError, ValueError):
        raise TilingError(f"tiles must be (tile_i, tile_j, tile_k) in DIM blocks, "
                          f"got {tiles!r}") from None
    for name, value in (("tile_i", ti), ("tile_j", tj), ("tile_k", tk)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TilingError(f"{name} must be a positive integer, got {value!r}")
    if not _fits(cfg, ti, tj, tk):
        raise TilingError(
            f"tiles {ti}x{tj}x{tk} do not fit half the memories: A+B need "
            f"{tile_sp_rows(cfg.dim, ti, tj, tk)} of {cfg.sp_rows // 2} scratchpad rows, C needs "
            f"{tile_acc_rows(cfg.dim, ti, tj)} of {cfg.acc_rows // 2} accumulator rows")
    return TileShape(ti, tj, tk)


def check_blocks(blocks_i: int, blocks_j: int, blocks_k: int) -> None:
    """A problem size in blocks must be positive along every axis."""
    for name, value in (("blocks_i", blocks_i), ("blocks_j", blocks_j), ("blocks_k", blocks_k)):
        if value < 1:
            raise TilingError(f"{name} must be at least 1, got {value}")


def gemmini_tiles(cfg: "GemminiConfig", blocks_i: int, blocks_j: int,
                  blocks_k: int) -> TileShape:
    """Gemmini's double-buffered tile heuristic for a problem of blocks_i x blocks_j x blocks_k
    DIM blocks (see the module docstring).  Raises `TilingError` when even a 1x1x1 tile does not
    fit (a scratchpad of fewer than 4 DIM x DIM blocks)."""
    check_blocks(blocks_i, blocks_j, blocks_k)
    dim = cfg.dim
    half_sp_blocks = cfg.sp_rows // 2 // dim
    half_acc_blocks = cfg.acc_rows // 2 // dim
    side = max(1, math.isqrt(half_acc_blocks))
    depth = max(1, (half_sp_blocks // 2) // side)
    ti, tj, tk = min(blocks_i, side), min(blocks_j, side), min(blocks_k, depth)
    if not _fits(cfg, ti, tj, tk):       # the start fits whenever a 1x1x1 tile does
        raise TilingError(
            f"no tiling fits: one double-buffered DIM x DIM tile of A, B and C needs "
            f"{4 * dim} scratchpad and {2 * dim} accumulator rows, the config has "
            f"{cfg.sp_rows} and {cfg.acc_rows}")
    grown = True
    while grown:
        grown = False
        if tj < blocks_j and _fits(cfg, ti, tj + 1, tk):
            tj += 1
            grown = True
        if ti < blocks_i and _fits(cfg, ti + 1, tj, tk):
            ti += 1
            grown = True
        if tk < blocks_k and _fits(cfg, ti, tj, tk + 1):
            tk += 1
            grown = True
    return TileShape(_fewest(blocks_i, ti), _fewest(blocks_j, tj), _fewest(blocks_k, tk))


def _fewest(blocks: int, tile: int) -> int:
    """The smallest tile giving as many outer tiles over `blocks` as `tile` does."""
    return -(-blocks // -(-blocks // tile))
