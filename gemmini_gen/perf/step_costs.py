"""Per-step work of a tiled layer, counted from the tiler's plan: what every outer tile step loads,
computes and stores, in units the hardware spends cycles on.  Nothing here depends on the model's
free parameters, so a layer's `StepCosts` is computed once and re-timed cheaply (calibration).

Per step (arrays over the plan's steps, in program order), four command streams (`Transfers`):

* `a`, `b`: the MVIN / MVIN2 of its own A and B tiles when not already resident, `bias`: the MVIN3s
  of the bias of a new C tile, `stores`: the MVOUTs of the finished C tile -- each with its
  commands, DMA requests, bus beats and AXI bursts (`dma_traffic`), and the local rows the load
  controller writes (one scratchpad or accumulator row per cycle) or the accumulator blocks the
  store controller reads (one per cycle).  A bias row is broadcast with DRAM stride 0, and the load
  controller reads such a row once per command, not once per local row;
* the PRELOAD/COMPUTE pairs (one block of DIM rows through the mesh each, one block per DIM cycles,
  `MeshWithDelays.block_cycles`) and those whose two scratchpad reads hit one bank
  (`bank_conflicts`): the scratchpad serves one read per bank per cycle, so such a pair takes
  as many more cycles as the shorter of its two blocks has rows.

Plus what the schedule model needs to place and order the streams (block counts, the first and
last K step of a C tile, the accumulator half).  The local row counts equal the golden model's
`ExecStats` row counters, the requests, beats and bursts what the RTL's DMA counts (the tests check
both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import GemminiConfig
from .bank_conflicts import conflict_cycles
from .dma_traffic import BusGeometry, stream_costs
from .layer_plan import LayerPlan

__all__ = ["StepCosts", "Transfers", "step_costs"]


@dataclass(frozen=True)
class Transfers:
    """One command stream of every step (int64 arrays over the steps): `commands` (MVINs or
    MVOUTs), DMA `requests`, bus `beats`, AXI `bursts`, and local `rows` written (loads) or
    accumulator blocks read (stores)."""

    commands: np.ndarray
    requests: np.ndarray
    beats: np.ndarray
    bursts: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class StepCosts:
    """Work per outer tile step (int64 arrays of length `steps`) and layer totals."""

    dim: int
    dataflow: str                     # "ws" or "os"
    blocks_i: np.ndarray              # the step's C tile in DIM blocks (rows, columns) ...
    blocks_j: np.ndarray
    blocks_k: np.ndarray              # ... and its depth
    first_k: np.ndarray               # 1 where the step starts a C tile
    last_k: np.ndarray                # 1 where the step completes a C tile
    acc_half: np.ndarray              # accumulator half of the step's C tile
    pairs: np.ndarray                 # PRELOAD/COMPUTE pairs
    conflict_cycles: np.ndarray       # execute cycles scratchpad bank conflicts add ...
    conflict_first: np.ndarray        # ... on the pairs from this one (in the step's order)
    conflict_end: np.ndarray          # ... to before this one
    a: Transfers
    b: Transfers
    bias: Transfers
    stores: Transfers
    sp_rows_read: int
    sp_rows_written: int
    acc_rows_read: int
    acc_rows_written: int

    @property
    def steps(self) -> int:
        return len(self.pairs)

    @property
    def commands(self) -> np.ndarray:
        """Commands the step's work takes (its pairs count two)."""
        return (2 * self.pairs + self.a.commands + self.b.commands + self.bias.commands
                + self.stores.commands)

    def load_totals(self) -> tuple[int, int, int]:
        """(requests, beats, bursts) of every load of the layer."""
        streams = (self.a, self.b, self.bias)
        return tuple(int(sum(getattr(s, f).sum() for s in streams))
                     for f in ("requests", "beats", "bursts"))

    def store_totals(self) -> tuple[int, int, int]:
        """(requests, beats, bursts) of every store of the layer."""
        return tuple(int(getattr(self.stores, f).sum()) for f in ("requests", "beats", "bursts"))


def _ceil(a, b):
    return -(-a // b)


def step_costs(lowered: LayerPlan, cfg: GemminiConfig) -> StepCosts:
    plan, d = lowered.plan, cfg.dim
    fields = np.array([(s.step.job, s.step.row0, s.step.col0, s.step.k_start, s.step.rows,
                        s.step.cols, s.step.depth, s.step.first_k, s.step.last_k,
                        s.step.load_a, s.step.load_b, s.step.a_slot, s.step.b_slot,
                        s.step.acc_half, s.counts.get("mvin", 0), s.counts.get("mvin2", 0),
                        s.counts.get("mvin3", 0), s.counts.get("mvout", 0))
                       for s in plan.step_plans], dtype=np.int64)
    (job, row0, col0, k0, rows, cols, depth, first_k, last_k, load_a, load_b, a_slot, b_slot,
     acc_half, n_a, n_b, n_bias, n_store) = fields.T
    bi, bj, bk = _ceil(rows, d), _ceil(cols, d), _ceil(depth, d)
    geo = BusGeometry.of(cfg)
    g = cfg.max_block_len
    g_out = 1 if lowered.full_output else g

    def transfers(layout, piece_blocks, offsets, lengths, first, count, commands, local_rows):
        offsets = np.asarray(layout.job_offsets, dtype=np.int64)[job] + offsets
        requests, beats, bursts = stream_costs(geo, layout.pitch, piece_blocks * d * layout.elem,
                                               offsets, lengths, first, count)
        return Transfers(commands, requests, beats, bursts, local_rows)

    a, b, c, bias = lowered.a, lowered.b, lowered.c, lowered.d
    a_rows, b_rows = rows * bk * load_a, depth * bj * load_b
    bias_rows = rows * bj * first_k if bias is not None else np.zeros_like(rows)
    a_in = transfers(a, g, k0 * a.elem, depth * a.elem, row0, rows * load_a, n_a, a_rows)
    b_in = transfers(b, g, col0 * b.elem, cols * b.elem, k0, depth * load_b, n_b, b_rows)
    if bias is None:
        zero = np.zeros_like(rows)
        bias_in = Transfers(zero, zero, zero, zero, zero)
    else:       # one DRAM row per block row (stride 0: read once per MVIN3), broadcast
        bias_in = transfers(bias, cfg.max_block_len_acc, col0 * bias.elem, cols * bias.elem, 0,
                            bi * first_k, n_bias, bias_rows)
    store_blocks = rows * bj * last_k
    stores = transfers(c, g_out, col0 * c.elem, cols * c.elem, row0, rows * last_k, n_store,
                       store_blocks)

    ws = plan.dataflow == "WS"
    pairs = bi * bj * bk
    conflicts, conflict_first, conflict_end = conflict_cycles(cfg, ws, a_slot, b_slot, rows,
                                                              depth, bi, bj, bk)
    a_reads = rows * bj * bk
    b_reads = depth * bj if ws else depth * bi * bj
    acc_writes = rows * bj * (bk if ws else 1)
    return StepCosts(
        dim=d, dataflow=plan.dataflow.lower(), blocks_i=bi, blocks_j=bj, blocks_k=bk,
        first_k=first_k, last_k=last_k, acc_half=acc_half, pairs=pairs,
        conflict_cycles=conflicts, conflict_first=conflict_first, conflict_end=conflict_end,
        a=a_in, b=b_in, bias=bias_in, stores=stores,
        sp_rows_read=int((a_reads + b_reads).sum()),
        sp_rows_written=int((a_rows + b_rows).sum()),
        acc_rows_read=int(store_blocks.sum()),
        acc_rows_written=int((acc_writes + bias_rows).sum()))
