"""The COUNTER interface (ISA.md sections 4.9, 7.8, 10.2), counting instructions instead of cycles.

A configured counter counts the executed commands during which its event would be active: the
queue-busy events count the commands of that queue, the "active" events count the commands that use
that unit, the DMA byte events (external 4 and 5) count bytes.  Events that describe stalls,
hazards, TLBs or overlap between queues never fire in a sequential model and stay 0.  Values are
64-bit like the RTL's.  The command order follows Spike: reset (values only; snapshot mode is kept), snapshot
reset, take snapshot, configure; then the response is the selected counter (its snapshot in snapshot
mode).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CounterUnit"]

_LD = {"mvin", "mvin2", "mvin3", "config_ld"}
_ST = {"mvout", "config_st", "config_norm"}
_EX = {"preload", "compute_preloaded", "compute_accumulated", "config_ex"}
_MOVE_IN = {"mvin", "mvin2", "mvin3"}
_COMPUTE = {"preload", "compute_preloaded", "compute_accumulated"}

# internal event id -> commands it counts
_INTERNAL = {
    1: _LD, 2: _ST, 3: _EX,           # cycles with exactly {LD}, {ST}, {EX} busy
    9: _MOVE_IN, 18: _MOVE_IN,        # load active, read-DMA active
    12: {"mvout"}, 21: {"mvout"},     # store active, write-DMA active
    13: {"mvout_pooled"},             # pooling
    24: _COMPUTE,                     # execute active
    42: _LD | _ST | _EX,              # reservation station active
    43: {"loop_ws"},                  # LOOP_WS unit active
}
_EXTERNAL_BYTES = {4: "read", 5: "written"}    # read-DMA bytes, write-DMA bytes
_MASK = (1 << 64) - 1


@dataclass
class _Counter:
    event: int = 0
    external: bool = False
    value: int = 0


class CounterUnit:
    def __init__(self, count: int) -> None:
        self.counters = [_Counter() for _ in range(count)]
        self.snapshot: list[int] = [0] * count
        self.snapshot_mode = False
        self.active = False          # whether any counter is configured (skip counting if not)

    def execute(self, inst) -> int:
        """Apply one COUNTER command and return its response."""
        if inst.reset:
            for c in self.counters:
                c.value = 0
        if inst.snapshot_reset:
            self.snapshot_mode = False
        if inst.take_snapshot:
            self.snapshot = [c.value for c in self.counters]
            self.snapshot_mode = True
        selected = self.counters[inst.index]
        if inst.configure:
            selected.event, selected.external, selected.value = inst.event, inst.external, 0
            self.active = any(c.event for c in self.counters)
        return self.snapshot[inst.index] if self.snapshot_mode else selected.value

    def count(self, kind: str, bytes_read: int = 0, bytes_written: int = 0) -> None:
        """Account one executed command of `kind` (a mnemonic, or "mvout_pooled")."""
        for c in self.counters:
            if not c.event:
                continue
            if c.external:
                which = _EXTERNAL_BYTES.get(c.event)
                step = bytes_read if which == "read" else bytes_written if which else 0
            else:
                kinds = _INTERNAL.get(c.event, ())
                step = 1 if kind in kinds or (kind == "mvout_pooled" and "mvout" in kinds) else 0
            c.value = (c.value + step) & _MASK
