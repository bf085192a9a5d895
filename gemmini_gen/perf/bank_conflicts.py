"""Scratchpad bank conflicts of a step's PRELOAD/COMPUTE pairs: the execute cycles they add.

An execute op reads, row by row, its A block and its second scratchpad operand (the preloaded B
block in WS -- only the op that preloads it, the first of each (k, j) --, the streamed B block in
OS).  A bank serves one read per cycle, so where the two blocks sit in one bank the reads of the
shorter one come on top of the other's: the op takes min(A rows, B rows) more cycles (the RTL
counts them as SPAD_X/P_WAIT).  A full block has DIM rows; the edge blocks of a tile fewer (the
last row block of A holds what is left of the tile's rows, the last k block of B what is left of
its depth) -- a GEMM of one or two rows conflicts for one or two cycles per op, not DIM.

Where the blocks live (`gemmini_gen.tiling.gemm_commands`): A block (i, k) at row
a_base + (i * bk + k) * DIM, B block (k, j) at b_base + (k * bj + j) * DIM, where A slot s starts at
the bottom of scratchpad half s and B slot s ends at its top.  A block never straddles a bank (bank
sizes are multiples of DIM rows).  The layers the model lowers never transpose A or B.

The count is exact per block and depends on the step's tile shape and slots only, so it is
computed once per distinct (slots, shape) and looked up.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..config import GemminiConfig

__all__ = ["conflict_cycles"]


def _block_rows(extent: int, blocks: int, dim: int) -> np.ndarray:
    """Rows of each of the `blocks` DIM-row blocks covering `extent` rows."""
    rows = np.full(blocks, dim)
    rows[-1] = extent - (blocks - 1) * dim
    return rows


@lru_cache(maxsize=1 << 14)
def _count(sp_rows: int, bank_rows: int, dim: int, ws: bool, a_slot: int, b_slot: int, rows: int,
           depth: int, bi: int, bj: int, bk: int) -> tuple[int, int, int]:
    """(cycles, first, end): the cycles the step's conflicts add, and the pairs (in the step's
    order) from the first that conflicts to one past the last."""
    half = sp_rows // 2
    a_base = a_slot * half
    b_base = (b_slot + 1) * half - bk * bj * dim
    k = np.arange(bk)
    bank_b = (b_base + (k[:, None] * bj + np.arange(bj)[None, :]) * dim) // bank_rows   # [k, j]
    rows_a, rows_b = _block_rows(rows, bi, dim), _block_rows(depth, bk, dim)
    if ws:
        # pairs in (k, j, i) order; the preloading op of (k, j), pair (k * bj + j) * bi, streams
        # A block (0, k)
        bank_a = (a_base + k * dim) // bank_rows
        extra = (bank_b == bank_a[:, None]) * np.minimum(rows_a[0], rows_b)[:, None]  # [k, j]
        if not extra.any():
            return 0, 0, 0
        where = np.flatnonzero(extra) * bi
    else:
        # pairs in (i, j, k) order; op (i, j, k) reads A (i, k) and B (k, j)
        bank_a = (a_base + (np.arange(bi)[:, None] * bk + k[None, :]) * dim) // bank_rows
        extra = ((bank_a[:, None, :] == bank_b.T[None, :, :])
                 * np.minimum(rows_a[:, None], rows_b[None, :])[:, None, :])          # [i, j, k]
        if not extra.any():
            return 0, 0, 0
        where = np.flatnonzero(extra)
    return int(extra.sum()), int(where[0]), int(where[-1]) + 1


def conflict_cycles(cfg: GemminiConfig, ws: bool, a_slot, b_slot, rows, depth, blocks_i,
                    blocks_j, blocks_k) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per step (int64 arrays): the execute cycles bank conflicts add, and the pairs they fall
    on, from the first conflicting pair to one past the last, in the step's pair order (the
    schedule puts the cycles there: output stationary, the row blocks of A that reach B's bank
    come last in a step, `conv5x5_pad` on DIM 16)."""
    geometry = (cfg.sp_rows, cfg.sp_bank_rows, cfg.dim, ws)
    per_step = zip(*(np.asarray(a).tolist() for a in (a_slot, b_slot, rows, depth, blocks_i,
                                                       blocks_j, blocks_k)))
    counts = np.array([_count(*geometry, *step) for step in per_step],
                      dtype=np.int64).reshape(-1, 3)
    return counts[:, 0], counts[:, 1], counts[:, 2]
