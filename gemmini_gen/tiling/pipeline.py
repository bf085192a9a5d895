"""The explicit GEMM schedule: software pipelining of loads, computes and stores.

The accelerator splits commands into LD, EX and ST queues that overlap freely, ordered only by
real local-address hazards; commands enter its reservation station in program order, a limited
number per queue.  So a good command stream for step s (its PRELOAD/COMPUTE pairs in order) carries,
spread evenly between those pairs:

* the MVINs of step s+1 (A and B, in k order), from pair `rs_entries_ex` (or a quarter of the
  step, if shorter) to the end -- they go to the other scratchpad slots, so they never wait for
  step s, and spreading them keeps the load queue busy without ever filling the reservation
  station with loads while the execute queue runs dry;
* the MVOUTs of the C tile the previous step finished, from pair `rs_entries_ex` to the middle
  of the step (an execute entry holds one PRELOAD+COMPUTE pair, so by then that tile's last
  computes have completed and the stores issue at once instead of filling the small store queue
  and stalling the stream);
* the bias MVIN3s of step s+1 over the second half: they overwrite the accumulator half whose
  stores were just issued, so they come after them in program order.

Loads of step s+1 overwrite the slots step s-1 read.  Weight stationary, both go in k order, so
the first rows overwritten were read by step s-1's first computes, long finished; output
stationary reads every A and B block throughout a step, and the `rs_entries_ex` pairs of delay
let step s-1's last computes drain first.  Either way no load waits on a running compute.

Step 0 has nothing to hide behind: its bias and first k-group of loads go first and each further
k-group is spread over the first half of the computes of the group before it, so it is one group
ahead (output stationary chains need every k-group at once, so there all of step 0 loads first).
The last tile's stores close the program.
"""

from __future__ import annotations

from typing import Sequence

from ..config import GemminiConfig
from ..isa import Command
from .gemm_commands import GemmEmitter, Pair
from .steps import Step

__all__ = ["SlotTable", "explicit_schedule"]


class SlotTable:
    """Commands placed among a list of pairs: slot p is just before pair p, slot len(pairs) after
    the last one.  Commands put into the same slot keep the order they were put in."""

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self.pairs = pairs
        self.slots: list[list[Command]] = [[] for _ in range(len(pairs) + 1)]

    def put(self, slot: int, commands: Sequence[Command]) -> None:
        self.slots[slot].extend(commands)

    def spread(self, commands: Sequence[Command], lo: int, hi: int) -> None:
        """Place `commands` evenly over slots [lo, hi) (all at `lo` when hi <= lo)."""
        span = max(0, hi - lo)
        for index, command in enumerate(commands):
            self.slots[lo + index * span // len(commands)].append(command)

    def merge(self) -> list[Command]:
        out: list[Command] = []
        for slot, pair in zip(self.slots, self.pairs):
            out.extend(slot)
            out.extend(pair)
        out.extend(self.slots[-1])
        return out


def explicit_schedule(cfg: GemminiConfig, emitter: GemmEmitter,
                      steps: Sequence[Step]) -> list[Command]:
    """Every command after the configuration header, for `steps` in order."""
    delay = cfg.rs_entries_ex
    out: list[Command] = []
    for s, step in enumerate(steps):
        pairs = emitter.pairs(step)
        count = len(pairs)
        table = SlotTable(pairs)
        if s == 0:
            _prologue(emitter, step, table)
        stores_end = count // 2
        if s > 0 and steps[s - 1].last_k:
            first = min(delay, count)
            stores_end = max(first, stores_end)
            table.spread(emitter.stores(steps[s - 1]), first, stores_end)
        if s + 1 < len(steps):
            following = steps[s + 1]
            table.spread(emitter.bias_loads(following), stores_end, count)
            table.spread([c for group in emitter.load_groups(following) for c in group],
                         min(delay, count // 4), count)
        out.extend(table.merge())
    out.extend(emitter.stores(steps[-1]))
    return out


def _prologue(emitter: GemmEmitter, step: Step, table: SlotTable) -> None:
    """Step 0's own bias and loads: the first k-group before any compute, each later one spread
    over the first half of the computes of the group before it (WS; an OS chain needs every
    k-group at once)."""
    table.put(0, emitter.bias_loads(step))
    groups = emitter.load_groups(step)
    ahead = 1 if emitter.spec.is_ws else len(groups)
    for group in groups[:ahead]:
        table.put(0, group)
    for n in range(ahead, len(groups)):
        start, end = emitter.group_start(step, n - 1), emitter.group_start(step, n)
        table.spread(groups[n], start, (start + end) // 2)
