"""The outer-tile steps of a tiled GEMM program and where each step's tiles live.

A step is one (i0, j0, k0) outer tile of one job.  Steps run job by job; inside a job the C tiles
go row by row (`order="ij"`: j0 inner) or column by column (`"ji"`), and k0 is innermost so a C tile
stays in the accumulator while its K range is summed.

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

from .tiles import TileShape

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


def iter_steps(dim: int, shapes: Sequence[tuple[int, int, int]], tiles: TileShape,
               order: str = "ij") -> Iterator[Step]:
    """The steps of a program running `shapes` (m, n, k) with `tiles`, in program order."""
    tm, tn, tk = tiles.tile_i * dim, tiles.tile_j * dim, tiles.tile_k * dim
    last_a = last_b = None
    a_slot = b_slot = acc_half = 1          # the first load / tile flips them to 0
    for job, (m, n, k) in enumerate(shapes):
        tiles_i, tiles_j, tiles_k = _blocks(m, tm), _blocks(n, tn), _blocks(k, tk)
        outer, inner = (tiles_i, tiles_j) if order == "ij" else (tiles_j, tiles_i)
        for o in range(outer):
            for q in range(inner):
                i0, j0 = (o, q) if order == "ij" else (q, o)
                acc_half ^= 1
                for k0 in range(tiles_k):
                    a_key, b_key = (job, i0, k0), (job, k0, j0)
                    load_a, load_b = a_key != last_a, b_key != last_b
                    if load_a:
                        a_slot ^= 1
                        last_a = a_key
                    if load_b:
                        b_slot ^= 1
                        last_b = b_key
                    yield Step(job=job, row0=i0 * tm, col0=j0 * tn, k_start=k0 * tk,
                               rows=min(tm, m - i0 * tm), cols=min(tn, n - j0 * tn),
                               depth=min(tk, k - k0 * tk), first_k=k0 == 0,
                               last_k=k0 == tiles_k - 1, load_a=load_a, load_b=load_b,
                               a_slot=a_slot, b_slot=b_slot, acc_half=acc_half)
