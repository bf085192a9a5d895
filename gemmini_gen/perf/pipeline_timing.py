"""Cycles of one tiled layer from its `StepCosts`: the explicit schedule played through the
accelerator's queues as a fluid model.

The program is one command stream (docs/tiling.md, "The explicit schedule"): between the PRELOAD/
COMPUTE pairs of step s it carries the loads of step s+1 (A and B from a quarter of the step, the
bias over its second half), and the stores of the C tile step s-1 finished (from pair
`rs_entries_ex` to the middle); step 0 first loads its bias and its first k-group (all of them in
OS).  `_Schedule._walk` cuts each step into the segments between those boundaries; in each
segment every unit works through its share at its own rate:

* the front end issues one command per cycle (a pair is two, PRELOAD and COMPUTE), in program
  order, and stops when the queue of the next command is full: a queue entry lives until its
  command is complete (a pair's from its issue, `ISSUE_TO_FEED` before its feed), so it passes
  a segment only when all but the last `rs_entries_*` commands of each unit in it are done (the
  streams of one unit in a segment are interleaved, so those commands are a mix of all of them);
  while the load queue is full, the commands behind its next load wait too: no unit starts a
  segment with loads before the load queue has a free entry (RTL waveforms of `dw3x3_nobias`:
  the front end held by a full load queue, the computes behind it idle); within a segment, the
  pairs behind its last load or store, and the loads behind its last store, issue no earlier
  than that command enters its queue (`behind`: the 7x7 stem on DIM 4, its computes held by the
  next step's MVINs; `dw3x3_nobias`, by the stores);
* the commands of a stream are spread evenly over the pairs, but not their work: a k-group's A
  MVINs come before its B MVIN2s and a last, narrow k-group is bound by the read latency
  (`load_profile`), so a segment gets the work of the commands in it, and the load unit runs
  them in order where no other load is interleaved -- the front end waits for the last
  `rs_entries_ld` of them, light or heavy (the 7x7 stem and the 5x5 layers on DIM 4);
* the load unit needs, for a set of MVINs, the slowest of its bus beats, the local rows it writes,
  its request issue (one request per cycle, one more per command), its AXI bursts each holding
  one of `max_in_flight` slots for the read latency, the overhead and its beats, and its command
  window: the load controller holds only `UOP_BUFFER` MVINs between requesting a command's first
  row and writing its last, so short commands (a broadcast bias row: one request, DIM local rows)
  cannot hide the read latency; its commands are complete a read latency (+ `load_lag`) after
  the unit has issued them.  Interleaved A/B and bias MVINs share its stages; a response waits
  at the unit while its local rows are written (a bias row: DIM of them), and the read data of
  every burst in flight waits with it -- for all but one of its rows beyond the beats of the
  response behind it (the RTL's `read_stalled` counter, loads-only programs on DIM 4);
* the execute unit needs DIM cycles per pair, plus the cycles bank conflicts add -- in OS on the
  pairs they fall on (`bank_conflicts`: the row blocks of A that reach B's bank, the last ones of
  a step), in WS spread over the step; its results are complete `MeshWithDelays`' latency + DIM
  + the accumulator latency later;
* the store unit needs, for a set of MVOUTs, the slowest of its write beats (the DMA writer's W
  channel turns a row around in `WRITE_TURNAROUND` cycles over two rows: a two-beat row takes 3
  cycles, `unit_limits`), the accumulator blocks it reads, its requests and its write bursts'
  slots (write latency + overhead + beats).

Dependencies follow the rows they touch, in stream order ("trailing"): step s's computes start when
its bias and what its first pair reads are loaded (the first k-group's A and B's first k-block,
as a share of the stream's own work; in OS with B in place, A's first row block) and end no earlier
than the last load (in WS, with one bias command per row block, the last bias row) plus the
pairs from the first that needs it; the stores of a C tile trail its last computes; a
bias trails the stores of the tile that last used its accumulator half; loads into a scratchpad
slot wait for the computes of the step that last read it.  Where a step's computes overlap the
loading of its own bias, both write the same accumulator bank and the computes' results win: the
load unit loses the cycles the execute unit writes (in WS, those of the first k sweep's pairs: the
later sweeps come after the last bias row; where the stream gives bias commands after the B the
first pair needs and they are still out when its results come, the sweep over the row blocks whose
bias is in, `bias_lockout`).  The program ends when the last store's write
response is back (`program_overhead` covers the configuration commands and the end detection).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from types import SimpleNamespace

import numpy as np

from ..config import GemminiConfig
from .bias_conflict import BiasConflict
from .fluid_queue import NEVER, QueueUnit, StreamSpan
from .load_overlap import overlap_loads
from .load_profile import Profile, a_group_work, profile_runs, step_profile
from .model_params import GemminiModelParams
from .step_costs import StepCosts
from .unit_limits import (ISSUE_TO_FEED, WRITE_TURNAROUND, channel_limits, load_window,
                          mesh_timing, read_responses)

__all__ = ["LayerTiming", "layer_timing"]

BOUNDS = ("issue", "load", "compute", "store")


@dataclass(frozen=True)
class LayerTiming:
    cycles: int
    prologue: int         # cycles before the first compute starts
    epilogue: int         # cycles after the last compute ends
    execute: int          # the compute work alone (sum over pairs)
    load: int             # the load unit's work
    store: int            # the store unit's work
    issue: int            # commands issued
    bound: str            # the unit that held the front end up for most cycles


def _as_lists(costs: StepCosts) -> SimpleNamespace:
    """The per-step fields of `costs` the schedule reads, as lists of Python numbers."""
    fields = ("blocks_i", "blocks_j", "blocks_k", "last_k", "acc_half", "pairs")
    view = SimpleNamespace(steps=costs.steps, **{f: getattr(costs, f).tolist() for f in fields})
    for stream in ("a", "b", "bias", "stores"):
        setattr(view, stream, SimpleNamespace(commands=getattr(costs, stream).commands.tolist()))
    return view


def layer_timing(costs: StepCosts, params: GemminiModelParams, cfg: GemminiConfig
                 ) -> LayerTiming:
    return _Schedule(costs, params, cfg).run()


class _Schedule:
    """The fluid model of one layer's program (see the module docstring)."""

    def __init__(self, costs: StepCosts, params: GemminiModelParams, cfg: GemminiConfig):
        self.cfg = cfg
        mesh = mesh_timing(cfg)
        ws = costs.dataflow == "ws"
        self.ws = ws
        read = (params.read_latency, params.read_overhead, cfg.max_in_flight,
                (load_window(), params.load_lag))
        write = (params.write_latency, params.write_overhead, cfg.max_in_flight, None,
                 WRITE_TURNAROUND)
        limits = {"a": channel_limits(costs.a, *read), "b": channel_limits(costs.b, *read),
                  "bias": channel_limits(costs.bias, *read),
                  "stores": channel_limits(costs.stores, *write)}
        work = {kind: limit.max(axis=0) for kind, limit in limits.items()}
        execute = (mesh.block_cycles * costs.pairs + costs.conflict_cycles).astype(float)
        self.ex_lag = (mesh.latency_ws if ws else mesh.latency_os) + cfg.dim + cfg.acc_latency
        self.totals = {"execute": int(execute.sum()), "issue": int(costs.commands.sum()),
                       "load": int(round(sum(work[k].sum() for k in ("a", "b", "bias")))),
                       "store": int(round(work["stores"].sum()))}
        # A's work k-group by k-group (`load_profile`): a last, narrow group is latency-bound
        a_full, a_last = a_group_work(limits["a"], costs.blocks_k, cfg.max_block_len)
        groups = -(-costs.blocks_k // cfg.max_block_len)
        work["a"] = np.where(costs.a.commands > 0, (groups - 1) * a_full + a_last, 0.0)
        self.a_groups = list(zip(a_full.tolist(), a_last.tolist()))
        ab_work = work["a"] + work["b"]
        # Stage limits of all of a step's A/B ("ab") or bias loads, and their read responses
        # (`overlap_loads`: the R-channel stalls of a mix).
        ab_limits = limits["a"] + limits["b"]
        bias_limits = limits["bias"]
        self.responses = {"ab": read_responses(costs.a, costs.b),
                          "bias": read_responses(costs.bias)}
        # The schedule reads these one step at a time, thousands of times per layer: as Python
        # numbers, not numpy scalars (several times cheaper each).
        self.c = _as_lists(costs)
        self.ab_work = ab_work.tolist()
        self.ab_commands = (costs.a.commands + costs.b.commands).astype(float).tolist()
        self.load_limits = {"ab": ab_limits.T.tolist(), "bias": bias_limits.T.tolist()}
        self.work = {kind: w.tolist() for kind, w in work.items()}
        self.work["ab"] = self.ab_work
        self.execute = execute.tolist()
        # Per step (cycles a pair, conflict cycles placed on pairs [first, end), first, end),
        # `pairs_work`.  OS: the bank conflicts on their pairs, as the RTL has them
        # (`conv5x5_pad` on DIM 8 and 16).  WS: spread over the step, in the rate -- its
        # preloading pairs wait longer on the RTL than the count says (`gemm_deep2`: 14 cycles
        # each on DIM 8, 7 on DIM 4, against 8 and 4), not yet modelled, and placed at the start
        # of the step they would be hidden in its load waits.
        if ws or not costs.conflict_cycles.any():
            self.conflicts = [(rate, 0, 0, 0) for rate in (execute / costs.pairs).tolist()]
        else:
            self.conflicts = [(float(mesh.block_cycles), n, lo, hi) for n, lo, hi in zip(
                costs.conflict_cycles.tolist(), costs.conflict_first.tolist(),
                costs.conflict_end.tolist())]
        self.ld_lag = params.read_latency + params.load_lag
        self.load = QueueUnit("load", cfg.rs_entries_ld, self.ld_lag)
        # a pair's queue entry lives from its issue to its completion: the execute controller
        # feeds it `ISSUE_TO_FEED` cycles after the issue, its results come `ex_lag` after that
        self.compute = QueueUnit("compute", cfg.rs_entries_ex, self.ex_lag + ISSUE_TO_FEED)
        self.store = QueueUnit("store", cfg.rs_entries_st, params.store_lag)
        self.units = (self.load, self.compute, self.store)
        self.params = params
        steps = costs.steps
        self.spans = {"compute": [StreamSpan(self.ex_lag, e) for e in self.execute],
                      "stores": [StreamSpan(params.store_lag, w) for w in self.work["stores"]],
                      "ab": [StreamSpan(self.ld_lag, w) for w in self.ab_work],
                      "bias": [StreamSpan(self.ld_lag, w) for w in self.work["bias"]]}
        self.compute_needs = [self._compute_needs(step) for step in range(steps)]
        self.bias_conflict = BiasConflict(costs, self.c, cfg, execute, (self.ld_lag, self.ex_lag),
                                          self.load, self.spans).charge
        self.profiles: dict[tuple, Profile | None] = {}
        self.cuts: dict[tuple, tuple[float, list]] = {}     # profile_runs, by segment
        self.half_stored: dict[int, int] = {}       # accumulator half -> step last stored
        self.held = dict.fromkeys(BOUNDS, 0.0)
        self.first_compute = None

    # ---- dependencies ----------------------------------------------------------------------
    def ready_compute(self, step: int, after: float) -> tuple[float, float]:
        """(earliest start, earliest end) of a piece of the computes of `step`, `after` pairs of
        the step following the piece: the pair that needs the last load (bias) and every pair
        after it up to the piece's end (`compute_needs` holds the work of the pairs before)."""
        (first, load_work, bias_first, bias_work, loads, bias, pairs, rate, conflict, lo,
         hi) = self.compute_needs[step]
        n = pairs - after
        end = rate * n      # + the work up to the piece's end
        if conflict and n > lo:
            end += conflict if n >= hi else conflict * (n - lo) / (hi - lo)
        start, bias_start = loads.at(first), bias.at(bias_first)
        done, bias_done = loads.done() - load_work, bias.done() - bias_work
        return (start if start >= bias_start else bias_start,
                (done if done >= bias_done else bias_done) + end)

    def pairs_work(self, step: int, pairs: float) -> float:
        """The execute unit's work for the step's first `pairs` pairs: the step's rate a pair
        and the bank conflicts placed on the pairs they fall on (inlined where the schedule is
        hot: `ready_compute`, `_walk`)."""
        rate, conflict, lo, hi = self.conflicts[step]
        work = rate * pairs
        if conflict and pairs > lo:
            work += conflict * min(1.0, (pairs - lo) / (hi - lo))
        return work

    def ready(self, kind: str, step: int) -> tuple[float, float]:
        """(earliest start, earliest end) of a piece of `kind` work of `step` (not computes)."""
        c = self.c
        if kind == "stores":
            bi, bj, bk, pairs = (c.blocks_i[step], c.blocks_j[step], c.blocks_k[step],
                                 c.pairs[step])
            first = (((bk - 1) * bj + bj - 1) * bi + 1) / pairs if self.ws else bj * bk / pairs
            done = self.spans["compute"][step]
            return done.at(first), done.done()
        if kind == "bias":
            stored = self.half_stored.get(c.acc_half[step])
            if stored is None:
                return NEVER, NEVER
            prior = self.spans["stores"][stored]
            return prior.at(1 / max(c.stores.commands[stored], 1)), prior.done()
        previous = step - 2                           # "ab": the slot's last reader
        return ((self.spans["compute"][previous].done(),) * 2 if previous >= 0
                else (NEVER, NEVER))

    def _compute_needs(self, step: int) -> tuple:
        """What a step's computes wait for, fixed by its plan: (the share of its A/B loads' work
        its first pair needs, the execute work before the pair that needs the last load, the
        share of its bias the first pair needs, the work before the pair that needs its last bias
        row, the spans of its A/B loads and its bias; then the step's pairs and its conflicts).
        The last bias row: in WS, where each bias command is a row block's, the first sweep's
        pair of the last row block (`conv1x1_b` on DIM 8, RTL waveforms: the sweep's pairs wait
        89 and 57 cycles for the bias rows the lock-out held back); else the last pair (a bias
        command covering column chunks is needed by the sweeps of its columns)."""
        c = self.c
        n_a, n_b = c.a.commands[step], c.b.commands[step]
        bi, bj, bk = c.blocks_i[step], c.blocks_j[step], c.blocks_k[step]
        group = self.cfg.max_block_len
        if n_b == 0 and n_a > 0:
            # B in place: the A loads come k-group by k-group, row block by row block, and
            # the first pair needs the first one; the last is needed from the first pair
            # of the last k-group that reads the last row block (OS runs row block by row
            # block, k innermost; WS sweeps the row blocks for each k and column).
            groups = -(-bk // group)
            first = 1 / (bi * groups)
            k_last = (groups - 1) * group
            after_last_load = (c.pairs[step] - k_last * bj * bi - bi + 1 if self.ws
                               else bj * bk - k_last)
        else:
            # the first k-group's A, then B's first k-block, as a share of the loads' work
            w_a, w_b = self.work["a"][step], self.work["b"][step]
            first = (w_a * min(bk, group) / bk + w_b / bk) / max(w_a + w_b, 1)
            after_last_load = bi * bj if self.ws else c.pairs[step] - bk + 1
        pairs = c.pairs[step]
        bias_pair = bi - 1 if self.ws and c.bias.commands[step] == bi else pairs - 1
        rate, conflict, lo, hi = placed = self.conflicts[step]
        load_pair = pairs - after_last_load
        load_work, bias_work = rate * load_pair, rate * bias_pair
        if conflict:
            load_work, bias_work = (self.pairs_work(step, load_pair),
                                    self.pairs_work(step, bias_pair))
        return (first, load_work, 1 / max(c.bias.commands[step], 1), bias_work,
                self.spans["ab"][step], self.spans["bias"][step], pairs, *placed)

    def behind(self, queue: QueueUnit, unit: QueueUnit, span: StreamSpan, work: float,
               commands: float, interleaved: bool) -> None:
        """`unit`'s commands of the segment come between the loads (stores) of `queue` in the
        stream, and the front end passes one only when its queue has an entry for it: those
        behind the segment's last one issue no earlier than that (on average 1 / (commands + 1)
        of them follow it)."""
        entry = queue.close_segment(interleaved)
        end = entry + work / (commands + 1)
        if end > unit.free:
            n, start, _ = unit.recent[-1]
            unit.recent[-1] = (n, start, end)
            unit.free = span.end = end
            unit.entry = None

    # ---- the stream --------------------------------------------------------------------------
    def segment(self, issued: float, pairs: int, pieces, after: float = 0.0) -> float:
        """Run one segment: `pairs` pairs of the current step (`after` more follow it) and
        `pieces` (kind, step, work, commands, runs: None or the (work, commands) runs of a
        stream with a profile); returns when the front end has passed it.  A
        unit's pieces run one after the other, but their commands are interleaved in the
        stream: the load pieces share the load unit's stages (`overlap_loads`), the last bias
        command ends near the end of the load unit's run, and the commands the front end waits
        for are a mix of all of them.  The front end admits them in program order: while the
        load queue is full, the segment's first load and every command behind it wait for an
        entry, so no unit starts the segment's work before the load queue has one."""
        bias_span = load_start = load_span = computed = None
        commands_given = load_commands = store_commands = 0
        spans, load = self.spans, self.load
        own = repeat(None)      # the load pieces' own work, where `overlap_loads` scales it
        load_pieces = 0
        for piece in pieces:
            if piece[3] > 0 and (piece[0] == "ab" or piece[0] == "bias"):
                load_pieces += 1
        admitted = issued
        if load_pieces:
            entry = load.next_entry()
            admitted = entry if entry > issued else issued
            if load_pieces > 1:
                own = [piece[2] for piece in pieces]
                pieces = overlap_loads(pieces, self.work, self.load_limits,
                                       self.responses)
        for (kind, step, work, commands, runs), own_work in zip(pieces, own):
            commands_given += commands
            span = spans[kind][step]
            if kind == "compute":
                first, last = self.ready_compute(step, after)
                start, end = self.compute.run(admitted, work, commands, first, last)
                span.add(start, end, work)
                if self.first_compute is None:
                    self.first_compute = start
                self.bias_conflict(step, start, end)
                computed = span, work
                continue
            first, last = self.ready(kind, step)
            # its last command trails the last it depends on
            last += work / (commands if commands > 1 else 1)
            if kind == "stores":
                start, end = self.store.run(admitted, work, commands, first, last)
                store_commands += commands
                span.add(start, end, work)
                self.half_stored[self.c.acc_half[step]] = step
                continue
            if runs and load_pieces == 1:
                # one stream alone: its runs (a k-group's A MVINs, then its B MVIN2s) in turn
                start = None
                for run_work, run_commands in runs:
                    run_start, end = load.run(admitted, run_work, run_commands, first, last)
                    start = run_start if start is None else start
            else:
                start, end = load.run(admitted, work, commands, first, last)
            load_commands += commands
            if load_start is None:
                load_start = start
            # a stream's span counts its own work: the share of it a compute waits for is a
            # share of the stream, however much the mix sped the segment's pieces up
            span.add(start, end, work if own_work is None else own_work)
            load_span = span
            if kind == "bias":
                bias_span, bias_commands = span, commands
        if bias_span is not None and load_pieces > 1:
            # spread evenly among the A/B loads: the last of n bias commands comes 1/n before
            # the end of the load unit's run
            run = load.free - load_start
            bias_span.end = max(bias_span.end,
                                load_start + run * (1 - 1 / max(bias_commands, 1)))
        if store_commands > 0:
            if load_span is not None:
                self.behind(self.store, load, load_span, load.free - load_start, store_commands,
                            True)
            if computed is not None:
                self.behind(self.store, self.compute, *computed, store_commands, True)
        if computed is not None and load_commands > 0:
            self.behind(load, self.compute, *computed, load_commands, load_pieces > 1)
        # one command a cycle: a pair's PRELOAD and COMPUTE (the compute piece counts one of
        # them) and every other command given
        passed, bound = issued + (pairs + commands_given), "issue"
        for unit in self.units:
            # (a unit given nothing in this segment keeps its entry_free(), cached)
            free = (unit.close_segment(unit is not load or load_pieces > 1) if unit.given
                    else unit.entry_free())
            if free > passed:
                passed, bound = free, unit.name
        self.held[bound] += passed - issued
        return passed

    def run(self) -> LayerTiming:
        c, cfg = self.c, self.cfg
        delay, group = cfg.rs_entries_ex, cfg.max_block_len
        steps = c.steps
        ab_work, ab_commands = self.ab_work, self.ab_commands
        issued = 0.0
        for s in range(steps):
            pairs = int(c.pairs[s])
            # (lo, hi, kind, step, work, commands, profile): spread over pairs [lo, hi), or at
            # slot lo.
            placed = []
            if s == 0:
                placed += self._prologue(group)
            stores_end = pairs // 2
            if s > 0 and c.last_k[s - 1]:
                first = min(delay, pairs)
                stores_end = max(first, stores_end)
                placed.append((first, stores_end, "stores", s - 1, self.work["stores"][s - 1],
                               float(c.stores.commands[s - 1]), None))
            if s + 1 < steps:
                placed.append((stores_end, pairs, "bias", s + 1, self.work["bias"][s + 1],
                               float(c.bias.commands[s + 1]), None))
                placed.append((min(delay, pairs // 4), pairs, "ab", s + 1, ab_work[s + 1],
                               ab_commands[s + 1], self.load_profile(s + 1)))
            issued = self._walk(issued, s, pairs, placed)
        last = steps - 1
        if c.last_k[last]:
            issued = self.segment(issued, 0, [("stores", last, self.work["stores"][last],
                                               float(c.stores.commands[last]), None)])
        p = self.params
        compute_end = self.spans["compute"][last].done()
        end = max(self.store.free + p.write_latency + p.write_overhead, compute_end,
                  self.load.free + self.ld_lag)
        cycles = int(round(end + p.program_overhead))
        steady = max(self.held.values())
        return LayerTiming(
            cycles=cycles, prologue=int(round(self.first_compute or 0)),
            epilogue=int(round(end - self.spans["compute"][last].end)),
            execute=self.totals["execute"], load=self.totals["load"],
            store=self.totals["store"], issue=self.totals["issue"],
            bound=next(k for k, v in self.held.items() if v == steady))

    def load_profile(self, step: int) -> Profile | None:
        """The profile of the step's A/B commands (`load_profile.step_profile`): the stream
        spreads the commands evenly over pairs, not their work."""
        c = self.c
        key = (c.a.commands[step], c.b.commands[step], c.blocks_k[step], *self.a_groups[step],
               self.work["b"][step])
        if key not in self.profiles:
            n_a, n_b, bk, a_full, a_last, w_b = key
            self.profiles[key] = step_profile(n_a, n_b, bk, self.cfg.max_block_len, a_full,
                                              a_last, w_b)
        return self.profiles[key]

    def _prologue(self, group: int) -> list[tuple]:
        """Step 0's own loads: the bias and the first k-group (OS: every k-group) before any
        compute, each later k-group over the first half of the computes of the group before.
        A group's A MVINs come before its B MVIN2s: placed before the computes, they are two
        runs of the load unit, so the commands the load queue holds last are the group's B
        loads (in the 7x7 stem and 5x5 layers on DIM 4, 4-row MVIN2s bound by the read
        latency, which hold the front end until nearly the end of the group)."""
        c = self.c
        bk = int(c.blocks_k[0])
        groups = -(-bk // group)
        ahead = 1 if self.ws else groups
        placed = [(0, 0, "bias", 0, self.work["bias"][0], float(c.bias.commands[0]), None)]
        b_work = self.work["b"][0]
        a_commands = c.a.commands[0] / groups      # each group: one MVIN per row block
        b_commands = c.b.commands[0] / bk          # per k-block
        a_full, a_last = self.a_groups[0] if a_commands else (0.0, 0.0)
        group_pairs = group * int(c.blocks_i[0]) * int(c.blocks_j[0])
        for n in range(groups):
            blocks = min(bk, (n + 1) * group) - n * group
            a = ("ab", 0, a_last if n == groups - 1 else a_full, a_commands, None)
            b = ("ab", 0, b_work * blocks / bk, b_commands * blocks, None)
            if n < ahead:
                placed += [(0, 0, *a), (0, 0, *b)]
            else:
                lo, hi = (n - 1) * group_pairs, n * group_pairs
                work, commands = a[2] + b[2], a[3] + b[3]
                profile = ([0.0, a[3] / commands, 1.0], [0.0, a[2] / max(work, 1e-9), 1.0])
                placed.append((lo, (lo + hi) // 2, "ab", 0, work, commands, profile))
        return placed

    def _walk(self, issued: float, s: int, pairs: int, placed: list[tuple]) -> float:
        """The segments of step s in stream order: at each boundary the commands placed at that
        slot, then the pairs up to the next boundary with their share of every spread stream
        (by its profile, `load_profile`, where it has one)."""
        bounds = sorted({0, pairs, *(p[0] for p in placed), *(p[1] for p in placed)})
        at_slot = [p for p in placed if p[0] == p[1] and p[5] > 0]
        spread = [p for p in placed if p[0] < p[1] and p[5] > 0]
        rate, conflict, c_lo, c_hi = self.conflicts[s]
        for index, lo in enumerate(bounds):
            for p in at_slot:
                if p[0] == lo:
                    issued = self.segment(issued, 0, [p[2:6] + (None,)])
            if index + 1 == len(bounds):
                break
            hi = bounds[index + 1]
            work = rate * (hi - lo)
            if conflict and lo < c_hi and c_lo < hi:
                work += conflict * (min(hi, c_hi) - max(lo, c_lo)) / (c_hi - c_lo)
            pieces = [("compute", s, work, float(hi - lo), None)]
            for p_lo, p_hi, kind, step, work, commands, profile in spread:
                if p_lo <= lo and hi <= p_hi:
                    f_lo, f_hi = (lo - p_lo) / (p_hi - p_lo), (hi - p_lo) / (p_hi - p_lo)
                    if profile is None:
                        pieces.append((kind, step, work * (f_hi - f_lo),
                                       commands * (f_hi - f_lo), None))
                        continue
                    key = (id(profile), f_lo, f_hi, work, commands)
                    cut = self.cuts.get(key)
                    if cut is None:
                        runs = profile_runs(profile, f_lo, f_hi, work, commands,
                                            self.load.capacity)
                        cut = self.cuts[key] = (sum(r[0] for r in runs), runs)
                    pieces.append((kind, step, cut[0], commands * (f_hi - f_lo), cut[1]))
            issued = self.segment(issued, hi - lo, pieces, after=pairs - hi)
        return issued
