"""Store controller: MVOUT micro-ops -> scratchpad/accumulator reads -> DRAM row writes (ISA.md
section 7.4), with max pooling.

*Steps.*  A micro-op is a sequence of steps, one per cycle.  A plain MVOUT reads, for each of its
rows r, the blocks ``row + b*DIM + r`` (b = 0 .. blocks-1) that make up one DRAM row.  A pooled
MVOUT visits, for each pooled pixel (por, poc), the pool_size x pool_size window of un-pooled
pixels; window positions outside the orows x ocols image are *zero* steps (padding counts as 0) that
read nothing, and with pool_size 0 every pixel is one *min* step (the max of nothing is ELEM_MIN).
A DRAM row (plain) or pixel (pooled) starts only when the output buffer has room for it, so the
fixed-latency read responses can always be taken.

*Results.*  Reads of both memories are aligned to one latency.  The elements of a step are placed
into the DRAM row being assembled (block b at byte b*DIM*ES; full-width accumulator rows are one
block of acc_t) or folded into the running maximum of the pixel; the row's last step pushes one
DMA write request ``{dram + r*stride, cols*size}`` (pooled: ``dram + (por*pool_out_dim +
poc)*stride``, cols*ES bytes).

``done`` pulses once per micro-op, in order, when all its local reads have returned.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..arith import FP32Layout, saturate
from ..bank_ports import ReadPortSignature
from ..dma.params import DMAParams, write_done_layout, write_request_layout
from ..fifo import BufferedFIFO
from .uops import Geometry

__all__ = ["StoreController"]

UOP_BUFFER = 4           # micro-ops between the step generator and the result side
OUT_ROWS = 4             # DRAM rows (pixels) buffered in front of the write DMA
TAG = unsigned(1)
MEM, ZERO, MIN = 0, 1, 2     # step kinds


class StoreController(wiring.Component):
    """Ports: ``uop`` (In stream of `Geometry.st_uop_layout`), ``done``, ``sp_read`` /
    ``acc_read`` (read clients of the scratchpad and accumulator), ``dma_req`` / ``dma_done`` (a
    `DMAWriter`'s streams; ``dma_done`` is always taken), and ``active``, ``pooling``, ``dma_wait``
    (a finished row waits for the DMA), ``read_wait`` (a read lost its bank).

    `acc_latency` is the accumulator's read latency and `acc_scaled` whether its scaled reads
    already apply ACC_SCALE, saturation and RELU (otherwise this controller saturates and
    applies RELU)."""

    def __init__(self, geo: Geometry, dma: DMAParams, *, acc_latency: int, acc_scaled: bool):
        self.geo, self.dma = geo, dma
        self.acc_latency, self.acc_scaled = acc_latency, acc_scaled
        cfg = geo.cfg
        super().__init__({
            "uop": In(stream.Signature(geo.st_uop_layout)),
            "done": Out(1),
            "sp_read": Out(ReadPortSignature(cfg.sp_addr_bits, geo.sp_row_layout, TAG)),
            "acc_read": Out(ReadPortSignature(cfg.acc_addr_bits, geo.acc_row_layout, TAG, extra={
                "full": unsigned(1), "scale": FP32Layout, "relu": unsigned(1)})),
            "dma_req": Out(stream.Signature(write_request_layout(dma, TAG))),
            "dma_done": In(stream.Signature(write_done_layout(dma, TAG))),
            "active": Out(1),
            "pooling": Out(1),
            "dma_wait": Out(1),
            "read_wait": Out(1),
        })

    def elaborate(self, platform):
        geo, cfg = self.geo, self.geo.cfg
        m = Module()
        dim = geo.dim
        uop_layout = geo.st_uop_layout
        m.submodules.uops = uops = BufferedFIFO(width=uop_layout.size, depth=UOP_BUFFER)
        m.submodules.out = out = BufferedFIFO(
            width=write_request_layout(self.dma, TAG).size, depth=OUT_ROWS)
        m.d.comb += self.dma_done.ready.eq(1)

        # ---- steps ------------------------------------------------------------------------------
        step_layout = data.StructLayout({"valid": 1, "kind": 2, "acc": 1, "first": 1, "last": 1,
                                         "final": 1})
        cur = Signal(uop_layout)          # the micro-op being stepped through
        busy, pooled = Signal(), Signal()
        m.d.comb += pooled.eq(cur.pool.stride != 0)
        # plain MVOUT: row r, block b, local row of the step
        r, b = Signal(range(dim + 1)), Signal(range(geo.max_cols + 1))
        local = Signal(geo.row_bits + 1)
        blocks = Signal(range(geo.max_cols + 1))
        # pooled MVOUT: pixel (por, poc), window (wr, wc), top-left un-pooled pixel (pr, pc)
        por, poc = Signal(8), Signal(8)
        wr, wc = Signal(2), Signal(2)
        pr, pc = Signal(signed(12)), Signal(signed(12))
        orow, ocol = Signal(signed(12)), Signal(signed(12))
        m.d.comb += [orow.eq(pr + wr), ocol.eq(pc + wc)]
        inside = (orow >= 0) & (orow < cur.pool.orows) & (ocol >= 0) & (ocol < cur.pool.ocols)
        pool_row = Signal(geo.row_bits + 1)
        m.d.comb += pool_row.eq(cur.row + orow.as_unsigned() * cur.pool.ocols + ocol.as_unsigned())

        outstanding = Signal(range(OUT_ROWS + 1))     # rows started, not yet sent to the DMA
        first = Signal()                               # next step starts a row / pixel
        room = outstanding < OUT_ROWS
        window_last = (wr == cur.pool.size - 1) & (wc == cur.pool.size - 1)
        kind = Signal(2)
        last = Signal()
        final = Signal()
        with m.If(pooled):
            m.d.comb += [kind.eq(Mux(cur.pool.size == 0, MIN, Mux(inside, MEM, ZERO))),
                         last.eq((cur.pool.size == 0) | window_last),
                         final.eq(last & (por == cur.pool.porows - 1)
                                  & (poc == cur.pool.pocols - 1))]
        with m.Else():
            m.d.comb += [kind.eq(MEM), last.eq(b == blocks - 1),
                         final.eq(last & (r == cur.rows - 1))]
        wants, reading = Signal(), Signal()
        m.d.comb += [wants.eq(busy & (~first | room)), reading.eq(kind == MEM)]
        sp_req, acc_req = self.sp_read.req, self.acc_read.req
        m.d.comb += [
            sp_req.valid.eq(wants & reading & ~cur.acc),
            acc_req.valid.eq(wants & reading & cur.acc),
            sp_req.payload.addr.eq(Mux(pooled, pool_row, local)),
            acc_req.payload.addr.eq(Mux(pooled, pool_row, local)),
            acc_req.payload.full.eq(cur.full), acc_req.payload.relu.eq(cur.relu),
            acc_req.payload.scale.eq(data.View(FP32Layout, cur.scale)),
        ]
        advance = Signal()
        m.d.comb += advance.eq(wants & Mux(reading, Mux(cur.acc, acc_req.ready, sp_req.ready), 1))
        step = Signal(step_layout)
        m.d.comb += [step.valid.eq(advance), step.kind.eq(kind), step.acc.eq(cur.acc),
                     step.first.eq(first), step.last.eq(last), step.final.eq(final)]

        sent = Signal()
        m.d.sync += outstanding.eq(outstanding + (advance & first) - sent)
        # Take a micro-op; one without steps (pooled, no output pixels) goes straight through.
        new = self.uop.payload
        new_empty = (new.pool.stride != 0) & ((new.pool.porows == 0) | (new.pool.pocols == 0))
        m.d.comb += [self.uop.ready.eq(~busy & uops.w_rdy),
                     uops.w_en.eq(self.uop.valid & self.uop.ready), uops.w_data.eq(new)]
        with m.If(self.uop.valid & self.uop.ready):
            m.d.sync += [cur.eq(new), busy.eq(~new_empty), first.eq(1), r.eq(0), b.eq(0),
                         local.eq(new.row),
                         blocks.eq((new.cols + dim - 1) >> (dim.bit_length() - 1)),
                         por.eq(0), poc.eq(0), wr.eq(0), wc.eq(0),
                         pr.eq(-new.pool.upad), pc.eq(-new.pool.lpad)]
        with m.If(advance):
            m.d.sync += first.eq(last)
            with m.If(final):
                m.d.sync += busy.eq(0)
            with m.If(pooled):
                self._next_pool_step(m, cur, last, por, poc, wr, wc, pr, pc)
            with m.Else():
                with m.If(last):
                    m.d.sync += [b.eq(0), r.eq(r + 1), local.eq(local - (blocks - 1) * dim + 1)]
                with m.Else():
                    m.d.sync += [b.eq(b + 1), local.eq(local + dim)]

        # ---- results ----------------------------------------------------------------------------
        latency = max(cfg.spad_read_delay, self.acc_latency)
        arrived = step
        for i in range(latency):
            nxt = Signal(step_layout, name=f"step_{i + 1}")
            m.d.sync += nxt.eq(arrived)
            arrived = nxt
        sp_data = _delayed(m, self.sp_read.resp.payload.data, latency - cfg.spad_read_delay, "sp")
        acc_data = _delayed(m, self.acc_read.resp.payload.data, latency - self.acc_latency, "acc")
        self._results(m, uops, out, arrived, sp_data, acc_data)
        req = self.dma_req
        m.d.comb += [req.valid.eq(out.r_rdy), req.payload.eq(out.r_data),
                     out.r_en.eq(req.ready), sent.eq(req.valid & req.ready)]
        m.d.comb += [
            self.active.eq(busy | uops.r_rdy | out.r_rdy),
            self.pooling.eq(busy & pooled),
            self.dma_wait.eq(req.valid & ~req.ready),
            self.read_wait.eq((sp_req.valid & ~sp_req.ready) | (acc_req.valid & ~acc_req.ready)),
        ]
        return m

    def _next_pool_step(self, m, cur, last, por, poc, wr, wc, pr, pc):
        stride = cur.pool.stride
        with m.If(last):
            m.d.sync += [wr.eq(0), wc.eq(0)]
            with m.If(poc == cur.pool.pocols - 1):
                m.d.sync += [poc.eq(0), por.eq(por + 1), pc.eq(-cur.pool.lpad), pr.eq(pr + stride)]
            with m.Else():
                m.d.sync += [poc.eq(poc + 1), pc.eq(pc + stride)]
        with m.Elif(wc == cur.pool.size - 1):
            m.d.sync += [wc.eq(0), wr.eq(wr + 1)]
        with m.Else():
            m.d.sync += wc.eq(wc + 1)

    def _results(self, m, uops, out, step, sp_data, acc_data):
        """Assemble DRAM rows / pooled pixels from the aligned steps and queue DMA requests."""
        geo, cfg = self.geo, self.geo.cfg
        dim, w_in, w_acc = geo.dim, cfg.input_bits, cfg.acc_bits
        head = data.View(geo.st_uop_layout, uops.r_data)
        pooled, empty = Signal(), Signal()
        m.d.comb += [pooled.eq(head.pool.stride != 0),
                     empty.eq(pooled & ((head.pool.porows == 0) | (head.pool.pocols == 0)))]

        # The elements of this step as elem_t (full-width rows use `acc_data` directly).
        elems = Signal(geo.sp_row_layout)
        for k in range(dim):
            if self.acc_scaled:
                from_acc = acc_data[k][:w_in].as_signed()
            else:
                value = saturate(acc_data[k], w_in)
                from_acc = Mux(head.relu & (value < 0), 0, value)
            m.d.comb += elems[k].eq(Mux(step.kind == MEM, Mux(step.acc, from_acc, sp_data[k]),
                                        Mux(step.kind == ZERO, 0, cfg.elem_min)))

        row_bytes = self.dma.max_row_bytes
        assembled = Signal(8 * row_bytes)            # blocks of the row so far
        block = Signal(range(geo.max_cols + 1))
        maximum = Signal(geo.sp_row_layout)
        merged = Signal(8 * row_bytes)
        m.d.comb += merged.eq(assembled)
        with m.If(head.full):
            m.d.comb += merged[:dim * w_acc].eq(acc_data.as_value())
        with m.Else():
            for b in range(geo.cfg.max_block_len):
                with m.If(block == b):
                    m.d.comb += merged[b * dim * w_in:(b + 1) * dim * w_in].eq(elems.as_value())
        running = Signal(geo.sp_row_layout)
        for k in range(dim):
            m.d.comb += running[k].eq(Mux(step.first | (elems[k] > maximum[k]), elems[k],
                                          maximum[k]))

        row_addr = Signal(64)         # plain: this DRAM row; pooled: the current pooled row
        pixel_addr = Signal(64)
        fresh_uop = Signal(init=1)
        poc = Signal(8)
        base, pixel = Signal(64), Signal(64)
        m.d.comb += [base.eq(Mux(fresh_uop, head.dram, row_addr)),
                     pixel.eq(Mux(fresh_uop, head.dram, pixel_addr))]
        request = data.View(write_request_layout(self.dma, TAG), out.w_data)
        esize = Mux(head.full, cfg.acc_bytes, cfg.input_bytes)
        m.d.comb += [
            request.addr.eq(Mux(pooled, pixel, base)),
            request.nbytes.eq(head.cols * Mux(pooled, cfg.input_bytes, esize)),
            request.data.eq(Mux(pooled, running.as_value(), merged)),
            out.w_en.eq(step.valid & step.last),
        ]
        with m.If(step.valid):
            m.d.sync += maximum.eq(running)
            with m.If(step.last):
                m.d.sync += [block.eq(0), assembled.eq(0)]
                with m.If(pooled):
                    with m.If(poc == head.pool.pocols - 1):
                        next_row = base + head.pool.out_dim * head.stride
                        m.d.sync += [poc.eq(0), row_addr.eq(next_row), pixel_addr.eq(next_row)]
                    with m.Else():
                        m.d.sync += [poc.eq(poc + 1), pixel_addr.eq(pixel + head.stride)]
                        with m.If(fresh_uop):
                            m.d.sync += row_addr.eq(head.dram)
                with m.Else():
                    m.d.sync += row_addr.eq(base + head.stride)
                m.d.sync += fresh_uop.eq(step.final)
            with m.Else():
                m.d.sync += [block.eq(block + 1), assembled.eq(merged)]
        finished = (step.valid & step.final) | (uops.r_rdy & empty)
        m.d.comb += [uops.r_en.eq(finished), self.done.eq(finished)]
        with m.If(uops.r_rdy & empty):
            m.d.sync += fresh_uop.eq(1)


def _delayed(m: Module, value, cycles: int, name: str):
    for i in range(cycles):
        reg = Signal.like(value, name=f"{name}_align_{i}")
        m.d.sync += reg.eq(value)
        value = reg
    return value
