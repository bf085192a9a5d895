"""Split DMA requests into AXI4 INCR bursts that never exceed `burst_bytes` nor cross 4 KiB.

Shared by the reader (AR channel) and the writer (AW channel).  A request covers the beat-aligned byte
range around ``[addr, addr + nbytes)``; it is cut at every multiple of ``burst_bytes`` (a power of two
<= 4096, so every 4 KiB page boundary is also a cut).  One burst per cycle leaves the splitter, and a
new request is taken in the same cycle the previous request's last burst leaves, so requests of one
burst each also flow at one per cycle.
"""

from __future__ import annotations

from amaranth.hdl import C, Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from .params import DMAParams

__all__ = ["BurstSplitter", "burst_layout", "row_beats"]


def burst_layout(p: DMAParams) -> data.StructLayout:
    """{addr (beat aligned), len (AXI AxLEN = beats - 1), last (final burst of its request)}."""
    return data.StructLayout({"addr": unsigned(p.addr_width), "len": unsigned(8),
                              "last": unsigned(1)})


def row_beats(p: DMAParams, addr, nbytes):
    """Beats covering `nbytes` bytes from byte address `addr` (an Amaranth expression)."""
    return (addr[:p.beat_shift] + nbytes + (p.bus_bytes - 1)) >> p.beat_shift


class BurstSplitter(wiring.Component):
    """Request stream {addr, nbytes} in, burst stream {addr, len, last} out (see module docstring).

    `nbytes` must be 1 .. `p.max_row_bytes` (0 is not a request and yields an undefined burst)."""

    def __init__(self, p: DMAParams):
        if not isinstance(p, DMAParams):
            raise TypeError(f"expected DMAParams, got {p!r}")
        self.p = p
        super().__init__({
            "req": In(stream.Signature(data.StructLayout({
                "addr": unsigned(p.addr_width), "nbytes": unsigned(p.nbytes_width)}))),
            "burst": Out(stream.Signature(burst_layout(p))),
        })

    def elaborate(self, platform):
        p = self.p
        m = Module()
        chunk_bits = exact_log2(p.burst_beats)

        busy = Signal()
        cur = Signal(p.addr_width)                 # next burst address, beat aligned
        remaining = Signal(p.beats_width)          # beats of the request not yet issued

        # Beats until the next burst_bytes boundary (1 .. burst_beats).
        room = Signal(range(p.burst_beats + 1))
        if chunk_bits:
            m.d.comb += room.eq(p.burst_beats - cur[p.beat_shift:p.beat_shift + chunk_bits])
        else:
            m.d.comb += room.eq(1)
        last = Signal()
        beats = Signal(range(max(p.burst_beats, p.max_row_beats) + 1))
        m.d.comb += [
            last.eq(remaining <= room),
            beats.eq(Mux(last, remaining, room)),
            self.burst.valid.eq(busy),
            self.burst.payload.addr.eq(cur),
            self.burst.payload.len.eq(beats - 1),
            self.burst.payload.last.eq(last),
        ]
        with m.If(self.burst.valid & self.burst.ready):
            m.d.sync += [
                cur.eq(cur + (beats << p.beat_shift)),
                remaining.eq(remaining - beats),
            ]
            with m.If(last):
                m.d.sync += busy.eq(0)

        m.d.comb += self.req.ready.eq(~busy | (self.burst.ready & last))
        with m.If(self.req.valid & self.req.ready):
            addr = self.req.payload.addr
            m.d.sync += [
                busy.eq(1),
                cur.eq(Cat(C(0, p.beat_shift), addr[p.beat_shift:])),
                remaining.eq(row_beats(p, addr, self.req.payload.nbytes)),
            ]
        return m
