"""Per-step work of a tiled layer, counted from the tiler's plan: what every outer tile step loads,
computes and stores, in units the hardware spends cycles on.  Nothing here depends on the model's
free parameters, so a layer's `StepCosts` is computed once and re-timed cheaply (calibration).

Per step (arrays over the plan's steps, in program order):

* loads (its own A and B tiles when not already resident, and the bias rows of a new C tile):
  DMA requests, bus beats and AXI bursts (`dma_traffic`), and local rows written -- the load
  controller writes one scratchpad or accumulator row per cycle;
* execute: PRELOAD/COMPUTE pairs, each one block of DIM rows through the mesh (one block per DIM
  cycles, `MeshWithDelays.block_cycles`), and the pairs whose second scratchpad read (the preloaded
  B block in WS, the streamed B block in OS) must share a bank with the A reads: the scratchpad
  serves one read per bank per cycle, so those pairs take another DIM cycles;
* stores (the finished C tile): DMA requests, beats and bursts, and accumulator blocks read -- the
  store controller reads one block per cycle;
* commands issued.

The local row counts equal the golden model's `ExecStats` row counters (the tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import GemminiConfig
from .dma_traffic import BusGeometry, stream_costs
from .layer_plan import LayerPlan

__all__ = ["StepCosts", "step_costs"]


@dataclass(frozen=True)
class StepCosts:
    """Work per outer tile step (int64 arrays of length `steps`) and layer totals."""

    dim: int
    dataflow: str                     # "ws" or "os"
    pairs: np.ndarray                 # PRELOAD/COMPUTE pairs
    conflict_pairs: np.ndarray        # pairs whose B read shares a bank with the A reads
    load_requests: np.ndarray
    load_beats: np.ndarray
    load_bursts: np.ndarray
    load_rows: np.ndarray             # scratchpad + accumulator rows written by loads
    bias_rows: np.ndarray             # of which accumulator rows (bias)
    store_requests: np.ndarray
    store_beats: np.ndarray
    store_bursts: np.ndarray
    store_blocks: np.ndarray          # accumulator blocks read by stores
    commands: np.ndarray
    sp_rows_read: int
    sp_rows_written: int
    acc_rows_read: int
    acc_rows_written: int

    @property
    def steps(self) -> int:
        return len(self.pairs)


def _ceil(a, b):
    return -(-a // b)


def step_costs(lowered: LayerPlan, cfg: GemminiConfig) -> StepCosts:
    plan, d = lowered.plan, cfg.dim
    fields = np.array([(s.step.job, s.step.row0, s.step.col0, s.step.k_start, s.step.rows,
                        s.step.cols, s.step.depth, s.step.first_k, s.step.last_k,
                        s.step.load_a, s.step.load_b, s.step.a_slot, s.step.b_slot,
                        sum(s.counts.values())) for s in plan.step_plans], dtype=np.int64)
    (job, row0, col0, k0, rows, cols, depth, first_k, last_k, load_a, load_b, a_slot, b_slot,
     commands) = fields.T
    bi, bj, bk = _ceil(rows, d), _ceil(cols, d), _ceil(depth, d)
    geo = BusGeometry.of(cfg)
    g = cfg.max_block_len
    g_out = 1 if lowered.full_output else g

    def traffic(layout, piece_blocks, offsets, lengths, first, count):
        offsets = np.asarray(layout.job_offsets, dtype=np.int64)[job] + offsets
        return stream_costs(geo, layout.pitch, piece_blocks * d * layout.elem, offsets,
                            lengths, first, count)

    a, b, c, bias = lowered.a, lowered.b, lowered.c, lowered.d
    loads = [traffic(a, g, k0 * a.elem, depth * a.elem, row0, rows * load_a),
             traffic(b, g, col0 * b.elem, cols * b.elem, k0, depth * load_b),
             traffic(bias, cfg.max_block_len_acc, col0 * bias.elem, cols * bias.elem, 0,
                     rows * first_k)]
    stores = traffic(c, g_out, col0 * c.elem, cols * c.elem, row0, rows * last_k)

    ws = plan.dataflow == "WS"
    pairs = bi * bj * bk
    second_reads = bk * bj if ws else pairs     # B blocks read next to the A reads
    conflict = _shares_bank(cfg, a_slot, bi * bk * d, b_slot, bk * bj * d)
    sp_in = rows * bk * load_a + depth * bj * load_b
    bias_rows = rows * bj * first_k
    a_reads = rows * bj * bk
    b_reads = depth * bj if ws else depth * bi * bj
    acc_writes = rows * bj * (bk if ws else 1)
    store_blocks = rows * bj * last_k
    return StepCosts(
        dim=d, dataflow=plan.dataflow.lower(), pairs=pairs,
        conflict_pairs=second_reads * conflict,
        load_requests=sum(t[0] for t in loads), load_beats=sum(t[1] for t in loads),
        load_bursts=sum(t[2] for t in loads), load_rows=sp_in + bias_rows, bias_rows=bias_rows,
        store_requests=stores[0], store_beats=stores[1], store_bursts=stores[2],
        store_blocks=store_blocks, commands=commands,
        sp_rows_read=int((a_reads + b_reads).sum()), sp_rows_written=int(sp_in.sum()),
        acc_rows_read=int(store_blocks.sum()),
        acc_rows_written=int((acc_writes + bias_rows).sum()))


def _shares_bank(cfg: GemminiConfig, a_slot, a_rows, b_slot, b_rows) -> np.ndarray:
    """1 where a step's A tile and B tile occupy a common scratchpad bank.  A slot s starts at
    the bottom of scratchpad half s, B slot s ends at its top (`gemmini_gen.tiling.steps`)."""
    half, bank = cfg.sp_rows // 2, cfg.sp_bank_rows
    a_lo = a_slot * half
    a_hi = a_lo + a_rows - 1
    b_hi = (b_slot + 1) * half - 1
    b_lo = b_hi - b_rows + 1
    overlap = np.maximum(a_lo // bank, b_lo // bank) <= np.minimum(a_hi // bank, b_hi // bank)
    return overlap.astype(np.int64)
