"""A buffered synchronous FIFO whose Verilog lints clean at every depth.

Amaranth's `amaranth.lib.fifo.SyncFIFOBuffered` of depth 2 keeps its first entry in a one-word
`Memory`; Yosys writes that memory's zero-bit address as ``wire [-1:0]``, which Verilator's
``-Wall`` reports (ASCRANGE).  `BufferedFIFO` is the same queue, same interface and cycle for cycle
the same behaviour (level, readiness, latency), but at depth 2 it keeps that entry in a plain
register.  Every other depth is Amaranth's implementation unchanged.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import fifo

__all__ = ["BufferedFIFO"]


class BufferedFIFO(fifo.SyncFIFOBuffered):
    """`SyncFIFOBuffered(width=, depth=)` with a register instead of a one-word memory at depth 2."""

    def elaborate(self, platform):
        if self.depth != 2:
            return super().elaborate(platform)
        m = Module()
        # One stored entry ("inner") behind the output register `r_data`, as in SyncFIFOBuffered:
        # the inner entry moves to the output when the output is empty or being read.
        inner = Signal(self.width)
        inner_full = Signal()
        do_write = self.w_rdy & self.w_en
        do_inner_read = inner_full & (~self.r_rdy | self.r_en)
        m.d.comb += [
            self.w_rdy.eq(~inner_full),
            self.level.eq(inner_full + self.r_rdy),
            self.w_level.eq(self.level),
            self.r_level.eq(self.level),
        ]
        with m.If(do_write):
            m.d.sync += [inner.eq(self.w_data), inner_full.eq(1)]
        with m.If(do_inner_read):
            m.d.sync += [self.r_data.eq(inner), inner_full.eq(0), self.r_rdy.eq(1)]
        with m.Elif(self.r_en):
            m.d.sync += self.r_rdy.eq(0)
        return m
