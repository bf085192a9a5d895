"""Operand reader: turns operand streams (`Geometry.operand_stream_layout`) into DIM rows each, read
from the scratchpad at up to one row per cycle.

For every op, beat r < count reads scratchpad row ``row + r*stride`` and keeps its first ``width``
elements; beats r >= count are zero rows that read nothing.  Reads and zero beats share one fixed
latency (a delay line as long as the scratchpad's read latency), so rows come out in beat order.
Rows are only requested when the output buffer has room for them, because scratchpad responses
cannot be refused.  Three readers (A, P, X) run independently, so operands in different banks are
read in the same cycle; a reader that loses its bank simply retries.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..bank_ports import ReadPortSignature
from ..fifo import BufferedFIFO
from .rows import first_elements
from .uops import Geometry

__all__ = ["OperandReader", "READ_TAG", "operand_reader_module", "operand_reader_signature"]

READ_TAG = unsigned(1)
OPS = 4                  # ops buffered in front of a reader


class OperandReader(wiring.Component):
    """Ports: ``op`` (In stream of operand streams), ``rows`` (Out stream of scratchpad rows, DIM
    per op), ``read`` (a scratchpad read client), ``wait`` (a read lost its bank this cycle)."""

    def __init__(self, geo: Geometry):
        if not isinstance(geo, Geometry):
            raise TypeError(f"expected a Geometry, got {geo!r}")
        self.geo = geo
        super().__init__(operand_reader_signature(geo))

    @property
    def module_name(self) -> str:
        return operand_reader_module(self.geo)

    def elaborate(self, platform):
        geo, cfg = self.geo, self.geo.cfg
        dim = geo.dim
        latency = cfg.spad_read_delay
        depth = latency + 4
        m = Module()
        layout = geo.operand_stream_layout
        m.submodules.ops = ops = BufferedFIFO(width=layout.size, depth=OPS)
        m.submodules.out = out = BufferedFIFO(width=geo.sp_row_layout.size, depth=depth)
        m.d.comb += [ops.w_data.eq(self.op.payload), ops.w_en.eq(self.op.valid),
                     self.op.ready.eq(ops.w_rdy)]
        op = data.View(layout, ops.r_data)

        beat = Signal(range(dim))
        addr = Signal(cfg.sp_addr_bits)
        in_flight = Signal(range(depth + 1))
        room = (in_flight + out.level) < depth
        real = beat < op.count
        cur_addr = Mux(beat == 0, op.row, addr)
        req = self.read.req
        m.d.comb += [req.valid.eq(ops.r_rdy & room & real), req.payload.addr.eq(cur_addr)]
        advance = ops.r_rdy & room & (~real | req.ready)
        with m.If(advance):
            m.d.sync += [beat.eq(Mux(beat == dim - 1, 0, beat + 1)), addr.eq(cur_addr + op.stride)]
            with m.If(beat == dim - 1):
                m.d.comb += ops.r_en.eq(1)

        # The delay line: which beats are real and how many elements they keep.
        track = data.StructLayout({"valid": 1, "real": 1, "width": geo.count_shape})
        stage = Signal(track, name="track_0")
        m.d.comb += [stage.valid.eq(advance), stage.real.eq(real), stage.width.eq(op.width)]
        for i in range(latency):
            nxt = Signal(track, name=f"track_{i + 1}")
            m.d.sync += nxt.eq(stage)
            stage = nxt
        keep = Signal(dim)          # a signal: each use of an expression would rebuild it
        m.d.comb += keep.eq(first_elements(stage.width, dim) & stage.real.replicate(dim))
        row = Signal(geo.sp_row_layout)
        for k in range(dim):
            m.d.comb += row[k].eq(Mux(keep[k], self.read.resp.payload.data[k], 0))
        m.d.comb += [out.w_en.eq(stage.valid), out.w_data.eq(row)]
        m.d.sync += in_flight.eq(in_flight + advance - stage.valid)

        m.d.comb += [self.rows.valid.eq(out.r_rdy), self.rows.payload.eq(out.r_data),
                     out.r_en.eq(self.rows.ready),
                     self.wait.eq(req.valid & ~req.ready),
                     self.active.eq(ops.r_rdy | (in_flight != 0) | out.r_rdy)]
        return m


def operand_reader_signature(geo: Geometry) -> wiring.Signature:
    cfg = geo.cfg
    return wiring.Signature({
        "op": In(stream.Signature(geo.operand_stream_layout)),
        "rows": Out(stream.Signature(geo.sp_row_layout)),
        "read": Out(ReadPortSignature(cfg.sp_addr_bits, geo.sp_row_layout, READ_TAG)),
        "wait": Out(1),
        "active": Out(1),
    })


def operand_reader_module(geo: Geometry) -> str:
    """Verilog module name of an `OperandReader`: one per design point (its widths, DIM and read
    latency all follow from the config), named by the config's content hash."""
    return f"gemmini_operand_reader_{geo.cfg.content_hash()[:8]}"
