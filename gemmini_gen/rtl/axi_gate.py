"""`AxiStallGate`: passes an AXI4 interface through, or freezes all its channels while ``stall`` is
high.

While stalled, no handshake can happen on any channel (every VALID seen by the receiving side and
every READY seen by the sending side is forced low), which is what a memory that stops answering
looks like to the master.  The harness uses it to check that a hung bus ends in a watchdog report
naming the waiting units instead of a simulation that never finishes.
"""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..hw.axi import AXI4Signature

__all__ = ["AxiStallGate"]


class AxiStallGate(wiring.Component):
    """Ports: ``up`` (In(AXI4Signature): connect the master here), ``down`` (Out: to the slave),
    ``stall``."""

    def __init__(self, signature: AXI4Signature):
        if not isinstance(signature, AXI4Signature):
            raise TypeError(f"expected an AXI4Signature, got {signature!r}")
        super().__init__({"up": In(signature), "down": Out(signature), "stall": In(1)})

    def elaborate(self, platform):
        m = Module()
        go = ~self.stall
        for name, member in self.up.signature.flip().members.items():
            up, down = getattr(self.up, name), getattr(self.down, name)
            handshake = name.endswith("valid") or name.endswith("ready")
            if member.flow == Out:           # master -> slave
                m.d.comb += down.eq(up & go if handshake else up)
            else:                            # slave -> master
                m.d.comb += up.eq(down & go if handshake else down)
        return m
