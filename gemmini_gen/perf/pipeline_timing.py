"""Cycles of one tiled layer from its `StepCosts`: the explicit schedule played through the
accelerator's queues as a fluid model.

The program is one command stream (docs/tiling.md, "The explicit schedule"): between the PRELOAD/
COMPUTE pairs of step s it carries the loads of step s+1 (A and B from a quarter of the step, the
bias over its second half), and the stores of the C tile step s-1 finished (from pair
`rs_entries_ex` to the middle); step 0 first loads its bias and its first k-group (all of them in
OS).  `schedule_segments` cuts each step into the segments between those boundaries; in each
segment every unit works through its share at its own rate:

* the front end issues one command per cycle, in program order, and stops when the queue of the
  next command is full: a queue entry lives until its command is complete, so the front end passes
  a segment only when all but the last `rs_entries_*` commands of each unit in it are done;
* the load unit needs, for a set of MVINs, the slowest of its bus beats, the local rows it writes,
  its request issue (one request per cycle, one more per command) and its AXI bursts each holding
  one of `max_in_flight` slots for the read latency, the overhead and its beats; its commands are
  complete a read latency (+ `load_lag`) after the unit has issued them;
* the execute unit needs DIM cycles per pair, plus the cycles bank conflicts add; its results
  are complete `MeshWithDelays`' latency + DIM + the accumulator latency later;
* the store unit needs, for a set of MVOUTs, the slowest of its write beats, the accumulator blocks
  it reads, its requests and its write bursts' slots (write latency + overhead + beats).

Dependencies follow the rows they touch, in stream order ("trailing"): step s's computes start when
its bias and the A and B blocks of its first k-block are loaded and end no earlier than the last
load plus the pairs that need it; the stores of a C tile trail its last computes; a bias trails
the stores of the tile that last used its accumulator half; loads into a scratchpad slot wait for
the computes of the step that last read it.  The program ends when the last store's write
response is back (`program_overhead` covers the configuration commands and the end detection).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from ..config import GemminiConfig
from .model_params import GemminiModelParams
from .step_costs import StepCosts, Transfers

__all__ = ["LayerTiming", "MeshTiming", "layer_timing", "mesh_timing"]

BOUNDS = ("issue", "load", "compute", "store")
NEVER = float("-inf")


@dataclass(frozen=True)
class MeshTiming:
    """The array's timing as built (`MeshWithDelays`): cycles from a block's last beat to its
    first result row, per dataflow, and the steady-state cycles per block."""

    latency_ws: int
    latency_os: int
    block_cycles: int


@lru_cache(maxsize=256)
def mesh_timing(cfg: GemminiConfig) -> MeshTiming:
    """`MeshWithDelays`'s timing properties for `cfg`.  They depend on the config alone, so they
    are evaluated on a view holding just the config: building the component without elaborating
    it would draw Amaranth's UnusedElaboratable warnings (the tests compare with a real one)."""
    from ..hw.mesh_with_delays import MeshWithDelays      # Amaranth: imported on first use
    view = SimpleNamespace(config=cfg)
    view.pipeline_depth = MeshWithDelays.pipeline_depth.fget(view)
    return MeshTiming(MeshWithDelays.latency_ws.fget(view), MeshWithDelays.latency_os.fget(view),
                      MeshWithDelays.block_cycles.fget(view))


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


def channel_cycles(t: Transfers, latency: float, overhead: float, in_flight: int) -> np.ndarray:
    """Cycles a DMA unit needs for each step's `t`."""
    slots = (t.bursts * (latency + overhead) + t.beats) / in_flight
    return np.maximum(np.maximum(t.beats, t.rows), np.maximum(t.requests + t.commands, slots))


class _Unit:
    """One queue and its unit: `free` is when it has done all the work it was given; `window`
    is what the last `capacity` commands it was given took (the front end waits for them)."""

    __slots__ = ("capacity", "lag", "free", "recent")

    def __init__(self, capacity: int, lag: float):
        self.capacity, self.lag, self.free = capacity, lag, 0.0
        self.recent: list[tuple[float, float, float]] = []      # (commands, start, end)

    def run(self, issued: float, work: float, commands: float, first: float, last: float
            ) -> tuple[float, float]:
        start = max(self.free, issued, first)
        end = max(start + work, last)
        self.free = end
        self.recent.append((commands, start, end))
        if len(self.recent) > 8:
            del self.recent[0]
        return start, end

    def entry_free(self) -> float:
        """When the front end can pass the last command given: all but `capacity` of the
        commands before it are complete."""
        left = self.capacity
        for commands, start, end in reversed(self.recent):
            if commands > left:
                return start + (end - start) * (commands - left) / commands + self.lag
            left -= commands
        return NEVER


class _Span:
    """When a stream of one step ran: `at(f)` is when its first fraction f was complete."""

    __slots__ = ("start", "end", "lag")

    def __init__(self, lag: float):
        self.start, self.end, self.lag = None, NEVER, lag

    def add(self, start: float, end: float) -> None:
        if self.start is None:
            self.start = start
        self.end = end

    def at(self, fraction: float) -> float:
        if self.start is None:
            return NEVER
        return self.start + fraction * (self.end - self.start) + self.lag


def layer_timing(costs: StepCosts, params: GemminiModelParams, cfg: GemminiConfig
                 ) -> LayerTiming:
    return _Schedule(costs, params, cfg).run()


class _Schedule:
    """The fluid model of one layer's program (see the module docstring)."""

    def __init__(self, costs: StepCosts, params: GemminiModelParams, cfg: GemminiConfig):
        self.c, self.cfg = costs, cfg
        mesh = mesh_timing(cfg)
        ws = costs.dataflow == "ws"
        self.ws = ws
        read = (params.read_latency, params.read_overhead, cfg.max_in_flight)
        write = (params.write_latency, params.write_overhead, cfg.max_in_flight)
        self.work = {"a": channel_cycles(costs.a, *read), "b": channel_cycles(costs.b, *read),
                     "bias": channel_cycles(costs.bias, *read),
                     "stores": channel_cycles(costs.stores, *write)}
        self.execute = (mesh.block_cycles * costs.pairs + costs.conflict_cycles).astype(float)
        self.ex_lag = (mesh.latency_ws if ws else mesh.latency_os) + cfg.dim + cfg.acc_latency
        self.ld_lag = params.read_latency + params.load_lag
        self.units = {"load": _Unit(cfg.rs_entries_ld, self.ld_lag),
                      "compute": _Unit(cfg.rs_entries_ex, self.ex_lag),
                      "store": _Unit(cfg.rs_entries_st, params.store_lag)}
        self.params = params
        self.spans: dict[tuple[str, int], _Span] = {}
        self.half_stored: dict[int, int] = {}       # accumulator half -> step last stored
        self.held = dict.fromkeys(BOUNDS, 0.0)
        self.first_compute = None

    # ---- dependencies ----------------------------------------------------------------------
    def span(self, kind: str, step: int) -> _Span:
        key = (kind, step)
        if key not in self.spans:
            lag = {"ab": self.ld_lag, "bias": self.ld_lag, "compute": self.ex_lag,
                   "stores": self.params.store_lag}[kind]
            self.spans[key] = _Span(lag)
        return self.spans[key]

    def ready(self, kind: str, step: int, after: float) -> tuple[float, float]:
        """(earliest start, earliest end) of a piece of `kind` work of `step` (for computes,
        `after` pairs of the step follow the piece)."""
        c = self.c
        if kind == "compute":
            loads, bias = self.span("ab", step), self.span("bias", step)
            n_a, n_b = c.a.commands[step], c.b.commands[step]
            bk = c.blocks_k[step]
            first_k = min(bk, self.cfg.max_block_len)
            first = (n_a * first_k / bk + n_b / bk) / max(n_a + n_b, 1)
            per_pair = self.execute[step] / c.pairs[step]
            after_last_load = (c.blocks_i[step] * c.blocks_j[step] if self.ws
                               else c.pairs[step] - bk + 1)
            return (max(loads.at(first), bias.at(1 / max(c.bias.commands[step], 1))),
                    max(loads.at(1.0) + after_last_load * per_pair, bias.at(1.0) + per_pair)
                    - after * per_pair)
        if kind == "stores":
            bi, bj, bk, pairs = (c.blocks_i[step], c.blocks_j[step], c.blocks_k[step],
                                 c.pairs[step])
            first = (((bk - 1) * bj + bj - 1) * bi + 1) / pairs if self.ws else bj * bk / pairs
            done = self.span("compute", step)
            return done.at(first), done.at(1.0)
        if kind == "bias":
            stored = self.half_stored.get(int(c.acc_half[step]))
            if stored is None:
                return NEVER, NEVER
            prior = self.span("stores", stored)
            return prior.at(1 / max(c.stores.commands[stored], 1)), prior.at(1.0)
        previous = step - 2                           # "ab": the slot's last reader
        return (self.span("compute", previous).at(1.0),) * 2 if previous >= 0 else (NEVER, NEVER)

    # ---- the stream --------------------------------------------------------------------------
    def segment(self, issued: float, pairs: int, pieces, after: float = 0.0) -> float:
        """Run one segment: `pairs` pairs of the current step (`after` more follow it) and
        `pieces` (kind, step, work, commands); returns when the front end has passed it."""
        unit_of = {"compute": "compute", "ab": "load", "bias": "load", "stores": "store"}
        total = 2 * pairs + sum(p[3] for p in pieces)
        passed, bound = issued + total, "issue"
        for kind, step, work, commands in pieces:
            first, last = self.ready(kind, step, after)
            if kind != "compute":           # its last command trails the last it depends on
                last += work / max(commands, 1)
            unit = self.units[unit_of[kind]]
            start, end = unit.run(issued, work, commands, first, last)
            self.span(kind, step).add(start, end)
            if kind == "stores":
                self.half_stored[int(self.c.acc_half[step])] = step
            if kind == "compute" and self.first_compute is None:
                self.first_compute = start
            free = unit.entry_free()
            if free > passed:
                passed, bound = free, unit_of[kind]
        self.held[bound] += passed - issued
        return passed

    def run(self) -> LayerTiming:
        c, cfg = self.c, self.cfg
        delay, group = cfg.rs_entries_ex, cfg.max_block_len
        steps = c.steps
        ab_work = self.work["a"] + self.work["b"]
        ab_commands = (c.a.commands + c.b.commands).astype(float)
        issued = 0.0
        for s in range(steps):
            pairs = int(c.pairs[s])
            # (lo, hi, kind, step, work, commands): spread over pairs [lo, hi), or at slot lo.
            placed = []
            if s == 0:
                placed += self._prologue(ab_work[0], ab_commands[0], group)
            stores_end = pairs // 2
            if s > 0 and c.last_k[s - 1]:
                first = min(delay, pairs)
                stores_end = max(first, stores_end)
                placed.append((first, stores_end, "stores", s - 1, self.work["stores"][s - 1],
                               float(c.stores.commands[s - 1])))
            if s + 1 < steps:
                placed.append((stores_end, pairs, "bias", s + 1, self.work["bias"][s + 1],
                               float(c.bias.commands[s + 1])))
                placed.append((min(delay, pairs // 4), pairs, "ab", s + 1, ab_work[s + 1],
                               ab_commands[s + 1]))
            issued = self._walk(issued, s, pairs, placed)
        last = steps - 1
        if c.last_k[last]:
            issued = self.segment(issued, 0, [("stores", last, self.work["stores"][last],
                                               float(c.stores.commands[last]))])
        p = self.params
        compute_end = self.span("compute", last).at(1.0)
        end = max(self.units["store"].free + p.write_latency + p.write_overhead, compute_end,
                  self.units["load"].free + self.ld_lag)
        cycles = int(round(end + p.program_overhead))
        steady = max(self.held.values())
        return LayerTiming(
            cycles=cycles, prologue=int(round(self.first_compute or 0)),
            epilogue=int(round(end - self.span("compute", last).end)),
            execute=int(self.execute.sum()),
            load=int(round(sum(self.work[k].sum() for k in ("a", "b", "bias")))),
            store=int(round(self.work["stores"].sum())), issue=int(c.commands.sum()),
            bound=next(k for k, v in self.held.items() if v == steady))

    def _prologue(self, ab_work: float, ab_commands: float, group: int) -> list[tuple]:
        """Step 0's own loads: the bias and the first k-group (OS: every k-group) before any
        compute, each later k-group over the first half of the computes of the group before."""
        c = self.c
        bk = int(c.blocks_k[0])
        groups = -(-bk // group)
        ahead = 1 if self.ws else groups
        placed = [(0, 0, "bias", 0, self.work["bias"][0], float(c.bias.commands[0]))]
        share = min(bk, ahead * group) / bk
        placed.append((0, 0, "ab", 0, ab_work * share, ab_commands * share))
        group_pairs = group * int(c.blocks_i[0]) * int(c.blocks_j[0])
        for n in range(ahead, groups):
            lo, hi = (n - 1) * group_pairs, n * group_pairs
            share = (min(bk, (n + 1) * group) - n * group) / bk
            placed.append((lo, (lo + hi) // 2, "ab", 0, ab_work * share, ab_commands * share))
        return placed

    def _walk(self, issued: float, s: int, pairs: int, placed: list[tuple]) -> float:
        """The segments of step s in stream order: at each boundary the commands placed at that
        slot, then the pairs up to the next boundary with their share of every spread stream."""
        bounds = sorted({0, pairs, *(p[0] for p in placed), *(p[1] for p in placed)})
        for index, lo in enumerate(bounds):
            for p_lo, p_hi, kind, step, work, commands in placed:
                if p_lo == p_hi == lo and commands > 0:
                    issued = self.segment(issued, 0, [(kind, step, work, commands)])
            if index + 1 == len(bounds):
                break
            hi = bounds[index + 1]
            pieces = [("compute", s, self.execute[s] * (hi - lo) / pairs, float(hi - lo))]
            for p_lo, p_hi, kind, step, work, commands in placed:
                if p_lo <= lo and hi <= p_hi and p_lo < p_hi and commands > 0:
                    share = (hi - lo) / (p_hi - p_lo)
                    pieces.append((kind, step, work * share, commands * share))
            issued = self.segment(issued, hi - lo, pieces, after=pairs - hi)
        return issued
