"""Load controller: MVIN / MVIN2 / MVIN3 micro-ops -> DRAM row reads -> scratchpad/accumulator writes
(ISA.md section 7.3).

Three decoupled stages, all in micro-op order:

1. *requests*: one DMA read per DRAM row (``dram + r*stride``, ``cols`` elements of ES or AS bytes);
   zero-fill micro-ops (rs1 = 0) make no requests, and a DRAM stride of 0 (a bias row broadcast
   to every local row) reads its one row once, for every local row.  This stage runs ahead of the
   rest by up to `UOP_BUFFER` micro-ops, so the DMA keeps its bursts in flight across MVINs.
2. *unpack*: each DRAM row (or a row of zeros) is cut into DIM-column blocks; block b of row r
   goes to local row ``row + r + b*block_stride`` with the first ``cols - b*DIM`` elements enabled.
   Elem-sized data (scratchpad, or shrunk accumulator data) passes through the MVIN_SCALE row scaler;
   raw acc_t data rides alongside it in the scaler's tag, so both keep one order and one latency.
3. *write*: one local write per cycle.  Pixel repeats (ISA 13.18) write copy p of a scratchpad row
   to row - p, shifted right by p*cols elements, never below row 0.  Accumulator rows are written
   with the micro-op's accumulate bit; elem data is sign-extended.

``done`` pulses once per micro-op when its last write is visible to readers of either memory.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..arith import SCALER_UNITS, FP32Layout, RowScaler, scaler_modules
from ..bank_ports import write_port_signature
from ..clock_gate import verilog_modules as clock_gate_modules
from ..bitops import select_word
from ..dma.params import DMAParams, read_request_layout, read_response_layout
from ..fifo import BufferedFIFO
from .rows import delayed_pulse, first_elements, shift_elements
from .uops import Geometry

__all__ = ["LoadController"]

UOP_BUFFER = 4           # micro-ops the request stage may run ahead of the write stage
DMA_TAG = unsigned(1)


class LoadController(wiring.Component):
    """Ports: ``uop`` (In stream of `Geometry.ld_uop_layout`), ``done`` (pulse per micro-op),
    ``dma_req``/``dma_resp`` (a `DMAReader`'s request and response streams), ``sp_write`` and
    ``acc_write`` (write clients of the scratchpad and accumulator), and ``active``,
    ``dma_wait`` (the next row waits for DRAM data), ``write_wait`` (a write lost its bank).
    `scalers` places the MVIN_SCALE units inline or as Verilog instances
    (`..arith.place_scalers`); `gate_scalers` clock-gates them (`..arith.RowScaler`)."""

    def __init__(self, geo: Geometry, dma: DMAParams, *, scalers: str = "inline",
                 gate_scalers: bool = False):
        if scalers not in SCALER_UNITS:
            raise ValueError(f"scalers must be one of {', '.join(SCALER_UNITS)}, got {scalers!r}")
        self.geo, self.dma = geo, dma
        self.scalers = scalers
        self.gate_scalers = bool(gate_scalers)
        cfg = geo.cfg
        super().__init__({
            "uop": In(stream.Signature(geo.ld_uop_layout)),
            "done": Out(1),
            "dma_req": Out(stream.Signature(read_request_layout(dma, DMA_TAG))),
            "dma_resp": In(stream.Signature(read_response_layout(dma, DMA_TAG))),
            "sp_write": Out(write_port_signature(cfg.sp_addr_bits, geo.sp_row_layout)),
            "acc_write": Out(write_port_signature(cfg.acc_addr_bits, geo.acc_row_layout,
                                                  extra={"accumulate": unsigned(1)})),
            "active": Out(1),
            "dma_wait": Out(1),
            "write_wait": Out(1),
        })

    def verilog_modules(self) -> dict:
        """The MVIN_SCALE units' Verilog module (``scalers="instance"``) and clock gate, for
        `emit.convert`."""
        if self.geo.cfg.mvin_scale != "fp32":
            return {}
        modules = scaler_modules(self.geo.cfg.input_bits, self.geo.cfg.input_bits, self.scalers)
        return {**modules, **clock_gate_modules()} if self.gate_scalers else modules

    def elaborate(self, platform):
        geo, cfg = self.geo, self.geo.cfg
        m = Module()
        uop_layout = geo.ld_uop_layout
        m.submodules.uops = uops = BufferedFIFO(width=uop_layout.size, depth=UOP_BUFFER)
        head = data.View(uop_layout, uops.r_data)

        # ---- 1. requests ------------------------------------------------------------------------
        new = self.uop.payload
        req = self.dma_req
        running = Signal()
        addr, stride = Signal(64), Signal(64)
        left = Signal(range(geo.dim + 1))                 # rows still to request
        nbytes = Signal.like(req.payload.nbytes)
        m.d.comb += [self.uop.ready.eq(~running & uops.w_rdy),
                     uops.w_en.eq(self.uop.valid & self.uop.ready), uops.w_data.eq(new)]
        with m.If(self.uop.valid & self.uop.ready):
            esize = Mux(new.elem, cfg.input_bytes, cfg.acc_bytes)
            m.d.sync += [running.eq(~new.zero), addr.eq(new.dram), stride.eq(new.stride),
                         left.eq(Mux(new.stride == 0, 1, new.rows)),
                         nbytes.eq(new.cols * esize)]
        m.d.comb += [req.valid.eq(running), req.payload.addr.eq(addr),
                     req.payload.nbytes.eq(nbytes)]
        with m.If(req.valid & req.ready):
            m.d.sync += [addr.eq(addr + stride), left.eq(left - 1)]
            with m.If(left == 1):
                m.d.sync += running.eq(0)

        # ---- 2. unpack --------------------------------------------------------------------------
        tag_layout = data.StructLayout({
            "row": unsigned(geo.row_bits), "mask": unsigned(geo.dim), "acc": 1, "accumulate": 1,
            "elem": 1, "raw": geo.acc_row_layout, "repeats": geo.count_shape,
            "cols": range(geo.max_cols + 1), "last": 1})
        if cfg.mvin_scale == "fp32":
            m.submodules.scaler = scaler = RowScaler(geo.dim, cfg.input_bits, cfg.input_bits,
                                                     tag_shape=tag_layout, units=self.scalers,
                                                     gate=self.gate_scalers)
            scaled_in, scaled_out = scaler.i, scaler.o
        else:
            scaled_in, scaled_out = _passthrough(m, geo, tag_layout)

        row_index = Signal(range(geo.dim))                # DRAM row within the micro-op
        block = Signal(range(max(2, cfg.max_block_len + 1)))
        block_row = Signal(geo.row_bits + 1)              # local row of the current block
        remaining = Signal(range(geo.max_cols + 1))       # columns from this block on
        fresh = Signal(init=1)                            # next block is the first of its row
        resp = self.dma_resp
        have_row, last_block, last_row = Signal(), Signal(), Signal()
        row_data = Signal(len(resp.payload.data.as_value()))
        cur_row, cur_cols = Signal.like(block_row), Signal.like(remaining)
        m.d.comb += [
            have_row.eq(uops.r_rdy & (head.zero | resp.valid)),
            row_data.eq(Mux(head.zero, 0, resp.payload.data.as_value())),
            cur_row.eq(Mux(fresh, head.row + row_index, block_row)),
            cur_cols.eq(Mux(fresh, head.cols, remaining)),
            last_block.eq(cur_cols <= geo.dim),
            last_row.eq(row_index == head.rows - 1),
        ]
        elem_row = select_word(row_data, block, geo.dim * cfg.input_bits)
        acc_row = select_word(row_data, block, geo.dim * cfg.acc_bits)
        tag = data.View(tag_layout, scaled_in.payload.tag)
        m.d.comb += [
            scaled_in.valid.eq(have_row),
            scaled_in.payload.data.eq(elem_row),
            tag.row.eq(cur_row), tag.mask.eq(first_elements(cur_cols, geo.dim)),
            tag.acc.eq(head.acc), tag.accumulate.eq(head.accumulate), tag.elem.eq(head.elem),
            tag.raw.eq(acc_row), tag.repeats.eq(head.repeats), tag.cols.eq(head.cols),
            tag.last.eq(last_block & last_row),
        ]
        if cfg.mvin_scale == "fp32":
            m.d.comb += [scaled_in.payload.scale.eq(data.View(FP32Layout, head.scale)),
                         scaled_in.payload.relu.eq(0)]
        with m.If(scaled_in.valid & scaled_in.ready):
            with m.If(last_block):
                m.d.comb += resp.ready.eq(~head.zero & ((head.stride != 0) | last_row))
                m.d.sync += [block.eq(0), fresh.eq(1)]
                with m.If(last_row):
                    m.d.comb += uops.r_en.eq(1)
                    m.d.sync += row_index.eq(0)
                with m.Else():
                    m.d.sync += row_index.eq(row_index + 1)
            with m.Else():
                m.d.sync += [block.eq(block + 1), fresh.eq(0),
                             block_row.eq(cur_row + head.block_stride),
                             remaining.eq(cur_cols - geo.dim)]

        # ---- 3. write ---------------------------------------------------------------------------
        out = data.View(tag_layout, scaled_out.payload.tag)
        copy = Signal(range(geo.dim + 1))                 # pixel repeat being written
        shift = Signal(range(geo.dim + 1))                # copy * cols
        final_copy = Signal()
        m.d.comb += final_copy.eq((copy + 1 >= out.repeats) | (copy + 1 > out.row))
        sp, acc = self.sp_write, self.acc_write
        row = data.View(geo.sp_row_layout, scaled_out.payload.data)
        mask = data.View(data.ArrayLayout(1, geo.dim), out.mask)
        if cfg.has_first_layer_optimizations:
            shifted = shift_elements(m, row, shift, "repeat_data")
            shifted_mask = shift_elements(m, mask, shift, "repeat_mask")
        else:                                             # every row is written once, unshifted
            shifted, shifted_mask = row, mask
        m.d.comb += [
            sp.valid.eq(scaled_out.valid & ~out.acc), sp.payload.addr.eq(out.row - copy),
            sp.payload.data.eq(shifted), sp.payload.mask.eq(shifted_mask),
            acc.valid.eq(scaled_out.valid & out.acc), acc.payload.addr.eq(out.row),
            acc.payload.mask.eq(out.mask), acc.payload.accumulate.eq(out.accumulate),
        ]
        for k in range(geo.dim):
            m.d.comb += acc.payload.data[k].eq(Mux(out.elem, scaled_out.payload.data[k],
                                                   out.raw[k]))
        written = Signal()
        m.d.comb += written.eq((sp.valid & sp.ready) | (acc.valid & acc.ready))
        with m.If(written):
            with m.If(final_copy):
                m.d.comb += scaled_out.ready.eq(1)
                m.d.sync += [copy.eq(0), shift.eq(0)]
            with m.Else():
                m.d.sync += [copy.eq(copy + 1), shift.eq(shift + out.cols)]
        finished = written & final_copy & out.last
        m.d.comb += self.done.eq(delayed_pulse(m, finished, cfg.acc_latency - 1, "done"))

        m.d.comb += [
            self.active.eq(running | uops.r_rdy | scaled_out.valid),
            self.dma_wait.eq(uops.r_rdy & ~head.zero & ~resp.valid),
            self.write_wait.eq((sp.valid & ~sp.ready) | (acc.valid & ~acc.ready)),
        ]
        return m


def _passthrough(m: Module, geo: Geometry, tag_layout):
    """A one-register stream stage with the row scaler's ports, for designs without MVIN_SCALE."""
    layout = data.StructLayout({"data": geo.sp_row_layout, "tag": tag_layout})
    i = stream.Signature(layout).flip().create(path=("unscaled_in",))
    o = stream.Signature(layout).create(path=("unscaled_out",))
    m.d.comb += i.ready.eq(~o.valid | o.ready)
    with m.If(o.ready):
        m.d.sync += o.valid.eq(0)
    with m.If(i.valid & i.ready):
        m.d.sync += [o.valid.eq(1), o.payload.eq(i.payload)]
    return i, o
