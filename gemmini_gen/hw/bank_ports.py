"""Client ports of the banked local memories (scratchpad, accumulator) and their bank arbitration.

A banked memory serves several named *clients* (load DMA, execute, store ...).  Each client has its
own port addressing the whole memory (global row numbers, ISA section 1: bank = row / BANK_ROWS);
the memory routes each request to its bank.  Per bank and per cycle at most one read and one write
are performed; when several clients want the same bank in the same cycle, the client listed first
wins (fixed priority) and the others see ``ready`` low and retry.  Different banks proceed in
parallel.

* read port (client side): ``req`` Out(stream {addr, tag, ...}), ``resp`` In(always-ready stream
  {data, tag}).  ``resp`` is valid exactly `latency` cycles after the ``req`` handshake, in request
  order, with no back-pressure: a client must be able to take every response it asked for.
* write port (client side): Out(stream {addr, data, mask, ...}); mask bit k enables element k.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ReadPortSignature", "write_port_signature", "fixed_priority", "check_clients", "select"]


class ReadPortSignature(wiring.Signature):
    """Client side of a fixed-latency read port."""

    def __init__(self, addr_bits: int, data_shape, tag_shape, extra: dict | None = None):
        self.req_layout = data.StructLayout({"addr": unsigned(addr_bits), **(extra or {}),
                                             "tag": tag_shape})
        self.resp_layout = data.StructLayout({"data": data_shape, "tag": tag_shape})
        super().__init__({
            "req": Out(stream.Signature(self.req_layout)),
            "resp": In(stream.Signature(self.resp_layout, always_ready=True)),
        })


def write_port_signature(addr_bits: int, data_shape: data.ArrayLayout,
                         extra: dict | None = None) -> stream.Signature:
    """Client side of an element-masked write port."""
    return stream.Signature(data.StructLayout({
        "addr": unsigned(addr_bits), "data": data_shape, "mask": unsigned(data_shape.length),
        **(extra or {})}))


def check_clients(kind: str, names) -> tuple[str, ...]:
    names = tuple(names)
    if not names:
        raise ValueError(f"at least one {kind} client is needed")
    for n in names:
        if not isinstance(n, str) or not n.isidentifier():
            raise ValueError(f"{kind} client names must be identifiers, got {n!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate {kind} client names: {names}")
    return names


def fixed_priority(m: Module, requests, nbanks: int):
    """Grant requests [(valid, bank)] in list order, one per bank.

    Returns (grants, winners): grants[c] is high when request c is served this cycle;
    winners[b] = (valid, index) of the request bank b serves."""
    grants = []
    for c, (valid, bank) in enumerate(requests):
        blocked = Const(0)
        for other_valid, other_bank in requests[:c]:
            blocked = blocked | (other_valid & (other_bank == bank))
        grant = Signal(name=f"grant{c}")
        m.d.comb += grant.eq(valid & ~blocked)
        grants.append(grant)
    winners = []
    for b in range(nbanks):
        hit = Signal(name=f"bank{b}_busy")
        index = Signal(range(max(2, len(requests))), name=f"bank{b}_client")
        for c in reversed(range(len(requests))):
            with m.If(grants[c] & (requests[c][1] == b)):
                m.d.comb += [hit.eq(1), index.eq(c)]
        winners.append((hit, index))
    return grants, winners


def select(index, values):
    """values[index] for a small list of same-shaped values (a mux chain)."""
    out = values[0]
    for i, v in enumerate(values[1:], start=1):
        out = Mux(index == i, v, out)
    return out
