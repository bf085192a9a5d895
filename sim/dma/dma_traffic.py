"""HDL-side traffic for the DMA engines: a row-copy engine on the reader, writer and memory model.

After a ``start`` pulse, with ``mode``

* ``READ`` (0): reads ``rows`` rows of ``nbytes`` bytes from ``src``, ``src + stride``, ...;
* ``COPY`` (1): also writes each row, as it arrives, to ``dst``, ``dst + stride``, ...;
* ``WRITE`` (2): only writes: row i holds the 32-bit little-endian value i repeated.

``done`` rises when the last row is read (READ) or the last write is complete; ``cycles`` counts the
cycles from ``start`` to ``done``.  No Python runs per cycle, so this
measures the DMA's sustained bandwidth and the simulator's speed; the copied image (dumped through
the memory model's backdoor) checks every byte.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from gemmini_gen.hw.axi import read_half, write_half
from gemmini_gen.hw.axi_memory import AXI4Memory, ImageSignature
from gemmini_gen.hw.dma import DMAParams, DMAReader, DMAWriter

__all__ = ["DMATraffic", "READ", "COPY", "WRITE"]

READ, COPY, WRITE = 0, 1, 2


class DMATraffic(wiring.Component):
    def __init__(self, p: DMAParams, memory: dict):
        self.p = p
        self.memory = memory
        super().__init__({
            "start": In(1), "mode": In(2), "rows": In(32), "src": In(p.addr_width),
            "dst": In(p.addr_width), "stride": In(32), "nbytes": In(p.nbytes_width),
            "done": Out(1), "cycles": Out(32),
            "image": In(ImageSignature(memory.get("path_bytes", 256))),
        })

    def elaborate(self, platform):
        p = self.p
        m = Module()
        m.submodules.reader = reader = DMAReader(p, unsigned(8))
        m.submodules.writer = writer = DMAWriter(p, unsigned(8))
        m.submodules.memory = mem = AXI4Memory(data_width=8 * p.bus_bytes,
                                               addr_width=p.addr_width, id_width=p.id_width,
                                               **self.memory)
        connect(m, reader.axi, read_half(mem.axi))
        connect(m, writer.axi, write_half(mem.axi))
        connect(m, flipped(self.image), mem.image)

        running = Signal()
        issued, finished = Signal(32), Signal(32)
        rd_addr, wr_addr = Signal(p.addr_width), Signal(p.addr_width)

        mode = self.mode
        pattern = issued.replicate(-(-p.max_row_bytes // 4))
        m.d.comb += [
            reader.req.valid.eq(running & (mode != WRITE) & (issued != self.rows)),
            reader.req.payload.addr.eq(rd_addr),
            reader.req.payload.nbytes.eq(self.nbytes),
            reader.req.payload.tag.eq(issued[:8]),
            writer.req.valid.eq(running & Mux(mode == WRITE, issued != self.rows,
                                              (mode == COPY) & reader.resp.valid)),
            writer.req.payload.addr.eq(wr_addr),
            writer.req.payload.nbytes.eq(self.nbytes),
            writer.req.payload.data.eq(Mux(mode == WRITE, pattern,
                                           reader.resp.payload.data.as_value())),
            writer.req.payload.tag.eq(reader.resp.payload.tag),
            reader.resp.ready.eq((mode != COPY) | writer.req.ready),
            writer.done.ready.eq(1),
        ]
        with m.If((reader.req.valid & reader.req.ready)
                  | ((mode == WRITE) & writer.req.valid & writer.req.ready)):
            m.d.sync += [issued.eq(issued + 1), rd_addr.eq(rd_addr + self.stride)]
        with m.If(writer.req.valid & writer.req.ready):
            m.d.sync += wr_addr.eq(wr_addr + self.stride)
        completed = Signal()
        m.d.comb += completed.eq(Mux(mode == READ, reader.resp.valid & reader.resp.ready,
                                     writer.done.valid))
        with m.If(running):
            m.d.sync += self.cycles.eq(self.cycles + 1)
            with m.If(completed):
                m.d.sync += finished.eq(finished + 1)
                with m.If(finished + 1 == self.rows):
                    m.d.sync += [running.eq(0), self.done.eq(1)]
        with m.If(self.start):
            m.d.sync += [running.eq(1), self.done.eq(0), issued.eq(0), finished.eq(0),
                         self.cycles.eq(0), rd_addr.eq(self.src), wr_addr.eq(self.dst)]
        return m
