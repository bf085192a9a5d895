"""The outer-tile steps of a tiled GEMM program and where each step's tiles live.

A step is one (i0, j0, k0) outer tile of one job.  Steps run job by job; inside a job the C tiles
go row by row (`order="ij"`: j0 inner) or column by column (`"ji"`), and k0 is innermost so a C tile
stays in the accumulator while its K range is summed.  Each axis is cut into `ceil(blocks / tile)`
outer tiles whose sizes differ by at most one block (`tiles.split_blocks`), so no step is a thin
remainder; a partial DIM block, if any, ends the last one.

Double buffering: the scratchpad has two A slots and two B slots and the accumulator two halves.
A step loads A only when its (job, i0, k0) differs from the previous step's, into the other A slot
(likewise B with (job, k0, j0)); with K in one piece, "ij" therefore keeps each A tile for a whole
row of C tiles and "ji" keeps each B tile for a column.  Each new C tile takes the other accumulator
half.  Slot s of A starts at the bottom of scratchpad half s and slot s of B ends at the top of
half s (LOOP_WS's spad-id placement), so an A and a B tile never overlap whatever their slots, and
with the default four banks they sit in different banks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from .tiles import TileShape, split_blocks

__all__ = ["Step", "choose_order", "iter_steps"]


@dataclass(frozen=True)
class Step:
    """One outer tile: element offsets and extents in C (rows, cols) and K, and its buffers."""

    job: int
    row0: int
    col0: int
    k_start: int
    rows: int
    cols: int
    depth: int
    first_k: bool          # k0 == 0: the C tile starts here
    last_k: bool           # k0 == K0 - 1: the C tile is complete after this step
    load_a: bool           # this step's A tile is not already in its slot
    load_b: bool
    a_slot: int            # 0 or 1
    b_slot: int
    acc_half: int          # 0 or 1


def _blocks(n: int, size: int) -> int:
    return -(-n // size)


def choose_order(dim: int, shapes: Sequence[tuple[int, int, int]], tiles: TileShape) -> str:
    """"ij" unless walking C tiles column by column moves fewer A+B bytes (it can only differ when
    K is one tile: "ij" loads A once and B once per row of C tiles, "ji" the other way round)."""
    row_major = col_major = 0
    for m, n, k in shapes:
        tiles_i = _blocks(m, tiles.tile_i * dim)
        tiles_j = _blocks(n, tiles.tile_j * dim)
        if _blocks(k, tiles.tile_k * dim) == 1:
            row_major += m * k + tiles_i * k * n
            col_major += k * n + tiles_j * m * k
    return "ji" if col_major < row_major else "ij"


def _pieces(total: int, dim: int, tile: int) -> list[tuple[int, int]]:
    """(first element, extent) of each outer tile of an axis of `total` elements, tile in blocks."""
    pieces, block = [], 0
    for size in split_blocks(_blocks(total, dim), tile):
        start = block * dim
        block += size
        pieces.append((start, min(block * dim, total) - start))
    return pieces


def iter_steps(dim: int, shapes: Sequence[tuple[int, int, int]], tiles: TileShape,
               order: str = "ij") -> Iterator[Step]:
    """The steps of a program running `shapes` (m, n, k) with `tiles`, in program order."""
    last_a = last_b = None
    a_slot = b_slot = acc_half = 1          # the first load / tile flips them to 0
    for job, (m, n, k) in enumerate(shapes):
        rows, cols = _pieces(m, dim, tiles.tile_i), _pieces(n, dim, tiles.tile_j)
        depths = _pieces(k, dim, tiles.tile_k)
        outer, inner = (len(rows), len(cols)) if order == "ij" else (len(cols), len(rows))
        for o in range(outer):
            for q in range(inner):
                i0, j0 = (o, q) if order == "ij" else (q, o)
                acc_half ^= 1
                for k0, (k_start, depth) in enumerate(depths):
                    a_key, b_key = (job, i0, k0), (job, k0, j0)
                    load_a, load_b = a_key != last_a, b_key != last_b
                    if load_a:
                        a_slot ^= 1
                        last_a = a_key
                    if load_b:
                        b_slot ^= 1
                        last_b = b_key
                    yield Step(job=job, row0=rows[i0][0], col0=cols[j0][0], k_start=k_start,
                               rows=rows[i0][1], cols=cols[j0][1], depth=depth,
                               first_k=k0 == 0, last_k=k0 == len(depths) - 1, load_a=load_a,
                               load_b=load_b, a_slot=a_slot, b_slot=b_slot, acc_half=acc_half)
