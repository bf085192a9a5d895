"""DMA reader: DRAM rows at any byte address -> realigned rows, over an AXI4 read master.

Per request {addr, nbytes, tag} the reader issues INCR bursts (:mod:`.bursts`), keeps up to
``max_in_flight`` bursts outstanding, collects the R beats and returns one response {data, tag,
error} whose ``data[0]`` is the byte at ``addr``.  Every burst uses the same AXI id, so the slave
returns data in issue order and responses leave **in request order** (the tag is carried along for
the consumer's convenience; no reordering is needed).

Throughput: one R beat per cycle whenever the slave offers one and the response consumer keeps up; a
response of one beat per cycle is sustained.  The response is a register: it appears the cycle after
the request's last beat.  R-channel back-pressure (``rready`` low) happens only when a finished row
meets a response register the consumer has not taken.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..axi import AXI4ReadSignature, Burst, beat_size_code
from ..bitops import shift_right
from ..fifo import BufferedFIFO
from .bursts import BurstSplitter, row_beats
from .params import DMAParams, check_tag_shape, read_request_layout, read_response_layout

__all__ = ["DMAReader"]


class DMAReader(wiring.Component):
    """AXI4 read DMA.

    Ports
    -----
    req   : In(stream {addr, nbytes, tag})          nbytes in 1 .. p.max_row_bytes
    resp  : Out(stream {data[max_row_bytes], tag, error})   in request order
    axi   : Out(AXI4ReadSignature)                  AR/R master, full-width INCR bursts, id p.axi_id
    busy  : Out(1)      a request accepted in an earlier cycle has not been delivered yet
    """

    def __init__(self, p: DMAParams, tag_shape=unsigned(8)):
        if not isinstance(p, DMAParams):
            raise TypeError(f"expected DMAParams, got {p!r}")
        self.p = p
        self.tag_shape = check_tag_shape(tag_shape)
        super().__init__({
            "req": In(stream.Signature(read_request_layout(p, self.tag_shape))),
            "resp": Out(stream.Signature(read_response_layout(p, self.tag_shape))),
            "axi": Out(AXI4ReadSignature(addr_width=p.addr_width, data_width=8 * p.bus_bytes,
                                         id_width=p.id_width)),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        p = self.p
        m = Module()
        req, resp, axi = self.req, self.resp, self.axi

        # Per-request bookkeeping travels from the request side to the R side through a FIFO.
        desc_layout = data.StructLayout({"offset": unsigned(p.beat_shift),
                                         "beats": unsigned(p.beats_width), "tag": self.tag_shape})
        m.submodules.splitter = splitter = BurstSplitter(p)
        m.submodules.descs = descs = BufferedFIFO(width=desc_layout.size,
                                                  depth=p.max_in_flight + 1)

        # Request side: fork each request into the splitter and the descriptor FIFO.
        new_desc = data.View(desc_layout, descs.w_data)
        m.d.comb += [
            splitter.req.payload.addr.eq(req.payload.addr),
            splitter.req.payload.nbytes.eq(req.payload.nbytes),
            splitter.req.valid.eq(req.valid & descs.w_rdy),
            descs.w_en.eq(req.valid & splitter.req.ready),
            req.ready.eq(splitter.req.ready & descs.w_rdy),
            new_desc.offset.eq(req.payload.addr[:p.beat_shift]),
            new_desc.beats.eq(row_beats(p, req.payload.addr, req.payload.nbytes)),
            new_desc.tag.eq(req.payload.tag),
        ]

        # AR channel, limited to max_in_flight outstanding bursts.
        outstanding = Signal(range(p.max_in_flight + 1))
        can_issue = outstanding < p.max_in_flight
        burst = splitter.burst
        m.d.comb += [
            axi.arvalid.eq(burst.valid & can_issue),
            burst.ready.eq(axi.arready & can_issue),
            axi.arid.eq(p.axi_id),
            axi.araddr.eq(burst.payload.addr),
            axi.arlen.eq(burst.payload.len),
            axi.arsize.eq(beat_size_code(8 * p.bus_bytes)),
            axi.arburst.eq(Burst.INCR),
        ]
        ar_fire = axi.arvalid & axi.arready

        # R side: gather the beats of the head request, realign on its last beat.
        desc = data.View(desc_layout, descs.r_data)
        beat = Signal(range(p.max_row_beats))
        words = Signal(data.ArrayLayout(unsigned(8 * p.bus_bytes), p.max_row_beats))
        error = Signal()
        row_done = beat == desc.beats - 1
        m.d.comb += axi.rready.eq(descs.r_rdy & ~(row_done & resp.valid & ~resp.ready))
        r_fire = axi.rvalid & axi.rready
        beat_error = axi.rresp[1]                      # SLVERR or DECERR

        merged = Cat(Mux(beat == i, axi.rdata, words[i]) for i in range(p.max_row_beats))
        realigned = shift_right(m, merged, desc.offset, "realigned", unit=8)[:8 * p.max_row_bytes]

        with m.If(resp.ready):
            m.d.sync += resp.valid.eq(0)
        with m.If(r_fire):
            m.d.sync += words.eq(merged)        # (all words: no partial case on `beat`)
            with m.If(row_done):
                m.d.comb += descs.r_en.eq(1)
                m.d.sync += [
                    beat.eq(0),
                    error.eq(0),
                    resp.valid.eq(1),
                    resp.payload.data.eq(realigned),
                    resp.payload.tag.eq(desc.tag),
                    resp.payload.error.eq(error | beat_error),
                ]
            with m.Else():
                m.d.sync += [beat.eq(beat + 1), error.eq(error | beat_error)]

        m.d.sync += outstanding.eq(outstanding + ar_fire - (r_fire & axi.rlast))
        m.d.comb += self.busy.eq((descs.level != 0) | resp.valid)
        return m
