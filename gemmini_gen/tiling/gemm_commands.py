"""The explicit commands of one GEMM step: its loads, its PRELOAD/COMPUTE pairs and its stores.

Local layout of a step with bi x bj x bk blocks (block = DIM rows; a partial block still takes DIM):

    A block (i, k) at a_base + (i*bk + k)*DIM       (stored transposed: a_base + (k*bi + i)*DIM)
    B block (k, j) at b_base + (k*bj + j)*DIM       (stored transposed: b_base + (j*bk + k)*DIM)
    C block (i, j) at c_base + (i*bj + j)*DIM       (accumulator)

so the blocks one DRAM row spans are DIM rows apart: every MVIN (block stride DIM) and MVOUT moves
up to MAX_BLOCK_LEN of them at once (MAX_BLOCK_LEN_ACC for an acc-width bias, one for a full-width
output).  Loads are grouped by MAX_BLOCK_LEN k-blocks, in k order, so computes on the first k-blocks
can start while the rest is still arriving.

Weight stationary: k, then j, then i, innermost; each B block is preloaded once
(COMPUTE_PRELOADED) and reused by every row block of the tile (COMPUTE_ACCUMULATED), and every
compute adds into its C block in the accumulator.  Output stationary: one chain per C block over k
(the PEs hold the sum), written to the accumulator by the chain's last compute only.  A C block is
overwritten by its first write unless a bias was loaded into it (then everything accumulates).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from ..config import GemminiConfig
from ..isa import (
    GARBAGE, Command, acc, compute_accumulated, compute_preloaded, mvin, mvin2, mvin3, mvout,
    preload, sp,
)
from .gemm_spec import GemmJob, GemmSpec
from .steps import Step

__all__ = ["GemmEmitter", "Pair"]

Pair = tuple[Command, Command]       # a PRELOAD and its COMPUTE, never separated

# PRELOAD/COMPUTE commands repeat across steps (the slots alternate): encode each once.
_preload = lru_cache(maxsize=1 << 16)(preload)
_compute_preloaded = lru_cache(maxsize=1 << 16)(compute_preloaded)
_compute_accumulated = lru_cache(maxsize=1 << 16)(compute_accumulated)


def _extent(total: int, first_block: int, blocks: int, dim: int) -> int:
    """Elements covered by `blocks` blocks from block `first_block` of a `total`-element range."""
    return min(total, (first_block + blocks) * dim) - first_block * dim


class GemmEmitter:
    """Builds the commands of each step of one program (explicit mode)."""

    def __init__(self, cfg: GemminiConfig, spec: GemmSpec, jobs: Sequence[GemmJob]) -> None:
        self.spec, self.jobs = spec, list(jobs)
        self.dim = cfg.dim
        self.half_sp, self.half_acc = cfg.sp_rows // 2, cfg.acc_rows // 2
        self.es = cfg.input_bytes
        self.dsz = cfg.input_bytes if spec.bias_elem else cfg.acc_bytes
        self.csz = cfg.acc_bytes if spec.full_output else cfg.input_bytes
        self.group = cfg.max_block_len                       # blocks per elem-width mvin
        self.bias_group = cfg.max_block_len if spec.bias_elem else cfg.max_block_len_acc
        self.out_group = 1 if spec.full_output else cfg.max_block_len

    # ------------------------------------------------------------------------------------------
    # Geometry
    # ------------------------------------------------------------------------------------------
    def blocks(self, step: Step) -> tuple[int, int, int]:
        d = self.dim
        return -(-step.rows // d), -(-step.cols // d), -(-step.depth // d)

    def bases(self, step: Step) -> tuple[int, int, int]:
        """First scratchpad row of the A and B tiles, first accumulator row of the C tile."""
        bi, bj, bk = self.blocks(step)
        return (step.a_slot * self.half_sp, (step.b_slot + 1) * self.half_sp - bk * bj * self.dim,
                step.acc_half * self.half_acc)

    def k_groups(self, step: Step) -> int:
        return -(-self.blocks(step)[2] // self.group)

    def group_start(self, step: Step, group: int) -> int:
        """Index of the first pair that needs load group `group` (weight stationary order)."""
        bi, bj, _ = self.blocks(step)
        return group * self.group * bj * bi

    # ------------------------------------------------------------------------------------------
    # Loads
    # ------------------------------------------------------------------------------------------
    def load_groups(self, step: Step) -> list[list[Command]]:
        """The MVINs of the step's A and B tiles (those not already in place), one list per group
        of MAX_BLOCK_LEN k-blocks."""
        groups: list[list[Command]] = [[] for _ in range(self.k_groups(step))]
        if step.load_a:
            self._a_loads(step, groups)
        if step.load_b:
            self._b_loads(step, groups)
        return groups

    def _a_loads(self, step: Step, groups: list[list[Command]]) -> None:
        spec, job, d, g = self.spec, self.jobs[step.job], self.dim, self.group
        bi, _, bk = self.blocks(step)
        a_base = self.bases(step)[0]
        for n, out in enumerate(groups):
            k_lo = n * g
            k_hi = min(bk, k_lo + g)
            if spec.a_transpose:               # stored K x M: DRAM rows run along k
                for k in range(k_lo, k_hi):
                    rows = _extent(step.depth, k, 1, d)
                    for i_lo in range(0, bi, g):
                        dram = job.a + ((step.k_start + k * d) * spec.a_stride + step.row0
                                        + i_lo * d) * self.es
                        out.append(mvin(dram, sp(a_base + (k * bi + i_lo) * d),
                                        _extent(step.rows, i_lo, g, d), rows))
            else:
                cols = _extent(step.depth, k_lo, k_hi - k_lo, d)
                for i in range(bi):
                    dram = job.a + ((step.row0 + i * d) * spec.a_stride + step.k_start
                                    + k_lo * d) * self.es
                    out.append(mvin(dram, sp(a_base + (i * bk + k_lo) * d), cols,
                                    _extent(step.rows, i, 1, d)))

    def _b_loads(self, step: Step, groups: list[list[Command]]) -> None:
        spec, job, d, g = self.spec, self.jobs[step.job], self.dim, self.group
        _, bj, bk = self.blocks(step)
        b_base = self.bases(step)[1]
        for n, out in enumerate(groups):
            k_lo = n * g
            k_hi = min(bk, k_lo + g)
            if spec.b_transpose:               # stored N x K: DRAM rows run along k
                cols = _extent(step.depth, k_lo, k_hi - k_lo, d)
                for j in range(bj):
                    dram = job.b + ((step.col0 + j * d) * spec.b_stride + step.k_start
                                    + k_lo * d) * self.es
                    out.append(mvin2(dram, sp(b_base + (j * bk + k_lo) * d), cols,
                                     _extent(step.cols, j, 1, d)))
            else:
                for k in range(k_lo, k_hi):
                    rows = _extent(step.depth, k, 1, d)
                    for j_lo in range(0, bj, g):
                        dram = job.b + ((step.k_start + k * d) * spec.b_stride + step.col0
                                        + j_lo * d) * self.es
                        out.append(mvin2(dram, sp(b_base + (k * bj + j_lo) * d),
                                         _extent(step.cols, j_lo, g, d), rows))

    def bias_loads(self, step: Step) -> list[Command]:
        """MVIN3s of the bias into the step's C tile (overwriting it); none without a bias or when
        the step continues a C tile."""
        if not self.spec.bias or not step.first_k:
            return []
        spec, job, d, g = self.spec, self.jobs[step.job], self.dim, self.bias_group
        bi, bj, _ = self.blocks(step)
        c_base = self.bases(step)[2]
        out = []
        for i in range(bi):
            rows = _extent(step.rows, i, 1, d)
            for j_lo in range(0, bj, g):
                dram = job.d + ((step.row0 + i * d) * spec.d_stride + step.col0
                                + j_lo * d) * self.dsz
                out.append(mvin3(dram, acc(c_base + (i * bj + j_lo) * d),
                                 _extent(step.cols, j_lo, g, d), rows))
        return out

    # ------------------------------------------------------------------------------------------
    # Computes and stores
    # ------------------------------------------------------------------------------------------
    def pairs(self, step: Step) -> list[Pair]:
        """The step's PRELOAD/COMPUTE pairs in execution order."""
        return self._ws_pairs(step) if self.spec.is_ws else self._os_pairs(step)

    def _ws_pairs(self, step: Step) -> list[Pair]:
        d = self.dim
        bi, bj, bk = self.blocks(step)
        a_base, b_base, c_base = self.bases(step)
        a_t, b_t = self.spec.a_transpose, self.spec.b_transpose
        overwrite_first = step.first_k and not self.spec.bias
        out = []
        for k in range(bk):
            kk = _extent(step.depth, k, 1, d)
            for j in range(bj):
                cj = _extent(step.cols, j, 1, d)
                b_row = b_base + ((j * bk + k) if b_t else (k * bj + j)) * d
                for i in range(bi):
                    ri = _extent(step.rows, i, 1, d)
                    a_row = a_base + ((k * bi + i) if a_t else (i * bk + k)) * d
                    c = acc(c_base + (i * bj + j) * d, accumulate=not (overwrite_first and k == 0))
                    if i == 0:
                        out.append((_preload(sp(b_row), c, cj, kk, cj, ri),
                                    _compute_preloaded(sp(a_row), GARBAGE, kk, ri, d, d)))
                    else:
                        out.append((_preload(GARBAGE, c, cj, kk, cj, ri),
                                    _compute_accumulated(sp(a_row), GARBAGE, kk, ri, d, d)))
        return out

    def _os_pairs(self, step: Step) -> list[Pair]:
        d = self.dim
        bi, bj, bk = self.blocks(step)
        a_base, b_base, c_base = self.bases(step)
        a_t, b_t = self.spec.a_transpose, self.spec.b_transpose
        accumulate = not (step.first_k and not self.spec.bias)
        out = []
        for i in range(bi):
            ri = _extent(step.rows, i, 1, d)
            for j in range(bj):
                cj = _extent(step.cols, j, 1, d)
                c_last = acc(c_base + (i * bj + j) * d, accumulate=accumulate)
                for k in range(bk):
                    kk = _extent(step.depth, k, 1, d)
                    a_row = a_base + ((k * bi + i) if a_t else (i * bk + k)) * d
                    b_row = b_base + ((j * bk + k) if b_t else (k * bj + j)) * d
                    c = c_last if k == bk - 1 else GARBAGE
                    compute = _compute_preloaded if k == 0 else _compute_accumulated
                    out.append((_preload(GARBAGE, c, cj, ri, cj, ri),
                                compute(sp(a_row), sp(b_row), kk, ri, cj, kk)))
        return out

    def stores(self, step: Step) -> list[Command]:
        """MVOUTs of the finished C tile (none unless the step completes it)."""
        if not step.last_k:
            return []
        spec, job, d, g = self.spec, self.jobs[step.job], self.dim, self.out_group
        bi, bj, _ = self.blocks(step)
        c_base = self.bases(step)[2]
        out = []
        for i in range(bi):
            rows = _extent(step.rows, i, 1, d)
            for j_lo in range(0, bj, g):
                dram = job.c + ((step.row0 + i * d) * spec.c_stride + step.col0
                                + j_lo * d) * self.csz
                out.append(mvout(dram, acc(c_base + (i * bj + j_lo) * d,
                                           read_full=spec.full_output),
                                 _extent(step.cols, j_lo, g, d), rows))
        return out
