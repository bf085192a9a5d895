"""Performance counters (ISA.md sections 4.9, 7.8, 10.2): 8 (or fewer) 64-bit counters, each counting
the cycles in which its configured event is active (external events add a per-cycle amount).

A COUNTER command applies, in this order (section 7.8): reset (all values 0; snapshot mode is
kept), snapshot reset (leave snapshot mode), take snapshot (copy all values, enter snapshot mode),
configure (counter `index` counts `event`, value 0); then the response is the snapshot copy of
counter `index` in snapshot mode, else its value.  `value` is that response, combinationally, for
the operation on ``op``; the operation takes effect at the end of the cycle in which ``op.valid``.

Event ids are `Event` (internal, 1..44) and `External` (1..7); ids nothing here produces count 0
(TLB events, im2col, the loop unrollers this accelerator does not have).
"""

from __future__ import annotations

import enum

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ...config import GemminiConfig
from .interface import RESPONSE_BITS

__all__ = ["COUNTER_OP_LAYOUT", "CounterUnit", "Event", "External", "events_layout"]

COUNTER_OP_LAYOUT = data.StructLayout({
    "valid": 1, "reset": 1, "snapshot_reset": 1, "take_snapshot": 1, "configure": 1,
    "index": 3, "event": 6, "external": 1})

NUM_INTERNAL = 44
NUM_EXTERNAL = 7
EXTERNAL_BITS = 16           # largest per-cycle amount of an external event


class Event(enum.IntEnum):
    """Internal event ids (ISA.md section 10.2) this accelerator produces."""

    ONLY_LD = 1
    ONLY_ST = 2
    ONLY_EX = 3
    LD_ST = 4
    LD_EX = 5
    ST_EX = 6
    LD_ST_EX = 7
    LOAD_DMA_WAIT = 8            # load controller waits for a DRAM row
    LOAD_ACTIVE = 9
    LOAD_SPAD_WAIT = 10          # a load write lost its bank
    STORE_DMA_WAIT = 11          # a finished DRAM row waits for the write DMA
    STORE_ACTIVE = 12
    STORE_POOLING = 13
    STORE_SPAD_WAIT = 14         # a store read lost its bank
    READ_DMA_ACTIVE = 18
    READ_DMA_BUS_WAIT = 20       # an AR waits, or bursts are outstanding with no R beat
    WRITE_DMA_ACTIVE = 21
    WRITE_DMA_BUS_WAIT = 23      # an AW or W beat waits for the bus
    EXECUTE_ACTIVE = 24
    FRONTEND_BLOCKED = 26        # a micro-op waits for room in the reservation station
    EXECUTE_DEP_WAIT = 27        # the next execute op waits for a load/store it depends on
    EXECUTE_OVERLAP_WAIT = 28    # the next execute op reads rows an in-flight op still writes
    SPAD_A_WAIT = 29             # scratchpad read of A lost its bank
    SPAD_P_WAIT = 30             # ... of the preloaded operand (WS: B, OS: D)
    SPAD_X_WAIT = 31             # ... of the compute's operand (WS: D, OS: B)
    A_GARBAGE = 35               # a beat fed with a GARBAGE A / P / X operand
    P_GARBAGE = 36
    X_GARBAGE = 37
    RS_FULL = 41                 # some reservation station queue is full
    RS_ACTIVE = 42


class External(enum.IntEnum):
    """External event ids (COUNTER bit 31 set)."""

    RS_LD_OCCUPANCY = 1          # entries in the load queue, every cycle
    RS_ST_OCCUPANCY = 2
    RS_EX_OCCUPANCY = 3
    READ_DMA_BYTES = 4           # bytes of R beats received
    WRITE_DMA_BYTES = 5          # bytes of W beats sent (strobed bytes)
    READ_LATENCY = 6             # read bursts outstanding, every cycle (sum = total latency)
    WRITE_LATENCY = 7            # write bursts outstanding, every cycle


def events_layout() -> data.StructLayout:
    """What the units report every cycle: internal event bits (index = id) and external amounts."""
    return data.StructLayout({
        "internal": data.ArrayLayout(unsigned(1), NUM_INTERNAL + 1),
        "external": data.ArrayLayout(unsigned(EXTERNAL_BITS), NUM_EXTERNAL + 1)})


class CounterUnit(wiring.Component):
    """``min(8, cfg.num_counters)`` counters (the COUNTER index field has 3 bits)."""

    def __init__(self, cfg: GemminiConfig):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        self.count = min(8, cfg.num_counters)
        super().__init__({
            "op": In(COUNTER_OP_LAYOUT),
            "value": Out(RESPONSE_BITS),
            "events": In(events_layout()),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.count
        op = self.op
        config = data.StructLayout({"event": 6, "external": 1})
        configs = Signal(data.ArrayLayout(config, n))
        values = Signal(data.ArrayLayout(unsigned(RESPONSE_BITS), n))
        snapshot = Signal(data.ArrayLayout(unsigned(RESPONSE_BITS), n))
        snapshot_mode = Signal()

        internal = self.events.internal.as_value()
        external = self.events.external.as_value()
        ext_bits = (NUM_EXTERNAL).bit_length()            # ids 1..7 (slot 0 counts nothing)
        for i in range(n):
            event = configs[i].event
            step = Signal(EXTERNAL_BITS, name=f"step{i}")
            in_range = Mux(configs[i].external, event <= NUM_EXTERNAL, event <= NUM_INTERNAL)
            m.d.comb += step.eq(Mux(~in_range, 0, Mux(
                configs[i].external, external.word_select(event[:ext_bits], EXTERNAL_BITS),
                internal.bit_select(event, 1))))
            m.d.sync += values[i].eq(values[i] + step)

        # The operation: reset, snapshot reset, take snapshot, configure, then respond.
        selected = Signal(RESPONSE_BITS)
        selected_snapshot = Signal(RESPONSE_BITS)
        with m.Switch(op.index):
            for i in range(n):
                with m.Case(i):
                    m.d.comb += [selected.eq(values[i]), selected_snapshot.eq(snapshot[i])]
        after_reset = Signal(RESPONSE_BITS)
        m.d.comb += after_reset.eq(Mux(op.reset, 0, selected))
        mode_after = op.take_snapshot | (snapshot_mode & ~op.snapshot_reset)
        snap_after = Mux(op.take_snapshot, after_reset, selected_snapshot)
        m.d.comb += self.value.eq(Mux(mode_after, snap_after,
                                      Mux(op.configure, 0, after_reset)))
        with m.If(op.valid):
            m.d.sync += snapshot_mode.eq(mode_after)
            for i in range(n):
                value_i = Mux(op.reset, 0, values[i])
                with m.If(op.take_snapshot):
                    m.d.sync += snapshot[i].eq(value_i)
                with m.If(op.reset):
                    m.d.sync += values[i].eq(0)
                with m.If(op.configure & (op.index == i)):
                    m.d.sync += [configs[i].event.eq(op.event),
                                 configs[i].external.eq(op.external), values[i].eq(0)]
        return m

