"""`ResponseRing`: collects the accelerator's COUNTER responses for Python to read at leisure.

Responses are written to slot count mod depth; ``count`` says how many arrived since reset.
Python reads slot ``addr`` on ``data`` (one cycle after setting ``addr``) and reports how many it
has read on ``consumed``; when the ring is full the ``resp`` stream is back-pressured (the
accelerator waits, nothing is lost).
"""

from __future__ import annotations

from amaranth.hdl import Module, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..hw.ctrl.interface import RESPONSE_BITS

__all__ = ["ResponseRing"]


class ResponseRing(wiring.Component):
    """Ports: ``resp`` (In stream of 64-bit values), ``count``, ``consumed``, ``addr``, ``data``."""

    def __init__(self, depth: int = 64):
        if not isinstance(depth, int) or depth < 2 or depth & (depth - 1):
            raise ValueError(f"response ring depth must be a power of two >= 2, got {depth!r}")
        self.depth = depth
        abits = exact_log2(depth)
        super().__init__({
            "resp": In(stream.Signature(unsigned(RESPONSE_BITS))),
            "count": Out(32),
            "consumed": In(32),
            "addr": In(abits),
            "data": Out(RESPONSE_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        abits = exact_log2(self.depth)
        m.submodules.slots = slots = Memory(shape=unsigned(RESPONSE_BITS), depth=self.depth,
                                            init=[])
        write = slots.write_port()
        read = slots.read_port()
        unread = (self.count - self.consumed)[:32]
        accept = self.resp.valid & self.resp.ready
        m.d.comb += [
            self.resp.ready.eq(unread < self.depth),
            write.en.eq(accept),
            write.addr.eq(self.count[:abits]),
            write.data.eq(self.resp.payload),
            read.addr.eq(self.addr),
            self.data.eq(read.data),
        ]
        with m.If(accept):
            m.d.sync += self.count.eq(self.count + 1)
        return m
