"""Simulation top for the DMA engines: a reader and a writer sharing one AXI4 master.

Two variants:

* ``memory=None``: the AXI4 master is a top-level port (``axi__araddr``, ...) for a cocotb slave such
  as cocotbext-axi's ``AxiRam`` (random latency and back-pressure, Python per cycle).
* ``memory={...}``: the master drives an internal :class:`~gemmini_gen.hw.axi_memory.AXI4Memory`
  built with these keyword arguments; its image backdoor is the top-level ``image`` port.

The request/response streams of both engines are top-level ports (``rd_req__valid``,
``rd_req__payload``, ...), driven by the cocotb testbench.
"""

from __future__ import annotations

from amaranth.hdl import Module, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from gemmini_gen.hw.axi import AXI4Signature, read_half, write_half
from gemmini_gen.hw.axi_memory import AXI4Memory, ImageSignature
from gemmini_gen.hw.dma import DMAParams, DMAReader, DMAWriter
from gemmini_gen.hw.dma.params import (read_request_layout, read_response_layout,
                                       write_done_layout, write_request_layout)

__all__ = ["DMAHarness"]


class DMAHarness(wiring.Component):
    def __init__(self, p: DMAParams, *, tag_width: int = 8, memory: dict | None = None):
        self.p = p
        self.memory = memory
        tag = unsigned(tag_width)
        members = {
            "rd_req": In(stream.Signature(read_request_layout(p, tag))),
            "rd_resp": Out(stream.Signature(read_response_layout(p, tag))),
            "wr_req": In(stream.Signature(write_request_layout(p, tag))),
            "wr_done": Out(stream.Signature(write_done_layout(p, tag))),
            "rd_busy": Out(1),
            "wr_busy": Out(1),
        }
        if memory is None:
            members["axi"] = Out(AXI4Signature(addr_width=p.addr_width, data_width=8 * p.bus_bytes,
                                               id_width=p.id_width))
        else:
            members["image"] = In(ImageSignature(memory.get("path_bytes", 256)))
        self._tag = tag
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.reader = reader = DMAReader(self.p, self._tag)
        m.submodules.writer = writer = DMAWriter(self.p, self._tag)
        connect(m, flipped(self.rd_req), reader.req)
        connect(m, reader.resp, flipped(self.rd_resp))
        connect(m, flipped(self.wr_req), writer.req)
        connect(m, writer.done, flipped(self.wr_done))
        m.d.comb += [self.rd_busy.eq(reader.busy), self.wr_busy.eq(writer.busy)]
        if self.memory is None:
            connect(m, reader.axi, flipped(read_half(self.axi)))
            connect(m, writer.axi, flipped(write_half(self.axi)))
        else:
            m.submodules.memory = mem = AXI4Memory(
                data_width=8 * self.p.bus_bytes, addr_width=self.p.addr_width,
                id_width=self.p.id_width, **self.memory)
            connect(m, reader.axi, read_half(mem.axi))
            connect(m, writer.axi, write_half(mem.axi))
            connect(m, flipped(self.image), mem.image)
        return m
