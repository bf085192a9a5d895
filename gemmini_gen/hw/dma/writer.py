"""DMA writer: rows of bytes -> DRAM at any byte address, over an AXI4 write master.

Per request {addr, nbytes, data, tag} the writer issues INCR bursts on AW (:mod:`.bursts`), sends the
bytes shifted onto their byte lanes on W with WSTRB set exactly for ``addr .. addr+nbytes-1`` (so
unaligned starts and ends never touch neighbouring bytes), and counts the B responses.  When the last
burst of a request has its B response, ``done`` carries {tag, error}: from then on the bytes are
visible to any later reader of the memory.  Every burst uses one AXI id, so B responses and ``done``
come **in request order**.

The AW and W channels run independently (W never waits for AW, AW never waits for W); at most
``max_in_flight`` bursts are outstanding on AW (issued, B not yet received).  W sustains one beat per
cycle.  ``done`` must be consumed (tie its ready high when only ``busy`` is of interest): B responses
stall while a finished request's ``done`` is pending.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for, exact_log2

from ..axi import AXI4WriteSignature, Burst, beat_size_code
from ..bitops import shift_left
from ..fifo import BufferedFIFO
from .bursts import BurstSplitter, row_beats
from .params import DMAParams, check_tag_shape, write_done_layout, write_request_layout

__all__ = ["DMAWriter"]


class DMAWriter(wiring.Component):
    """AXI4 write DMA.

    Ports
    -----
    req   : In(stream {addr, nbytes, data[max_row_bytes], tag})   nbytes in 1 .. p.max_row_bytes
    done  : Out(stream {tag, error})        one per request, in request order, after its B responses
    axi   : Out(AXI4WriteSignature)         AW/W/B master, full-width INCR bursts, id p.axi_id
    busy  : Out(1)      a request accepted in an earlier cycle has not completed (fence: wait for 0)
    """

    def __init__(self, p: DMAParams, tag_shape=unsigned(8)):
        if not isinstance(p, DMAParams):
            raise TypeError(f"expected DMAParams, got {p!r}")
        self.p = p
        self.tag_shape = check_tag_shape(tag_shape)
        super().__init__({
            "req": In(stream.Signature(write_request_layout(p, self.tag_shape))),
            "done": Out(stream.Signature(write_done_layout(p, self.tag_shape))),
            "axi": Out(AXI4WriteSignature(addr_width=p.addr_width, data_width=8 * p.bus_bytes,
                                          id_width=p.id_width)),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        p = self.p
        m = Module()
        req, done, axi = self.req, self.done, self.axi
        lane_bytes = p.max_row_beats * p.bus_bytes
        chunk_bits = exact_log2(p.burst_beats)

        # W job: the row moved onto its byte lanes, its strobes, beat count and position in its
        # first burst granule (to place WLAST at every burst boundary).
        wjob_layout = data.StructLayout({
            "data": unsigned(8 * lane_bytes), "strb": unsigned(lane_bytes),
            "beats": unsigned(p.beats_width), "phase": unsigned(chunk_bits),
        })
        # Completion job: how many B responses finish the request.
        cjob_layout = data.StructLayout({
            "bursts": unsigned(bits_for(p.max_row_bursts)),
            "tag": self.tag_shape,
        })
        m.submodules.splitter = splitter = BurstSplitter(p)
        m.submodules.wjobs = wjobs = BufferedFIFO(width=wjob_layout.size, depth=2)
        m.submodules.cjobs = cjobs = BufferedFIFO(width=cjob_layout.size,
                                                  depth=p.max_in_flight + 1)

        # Request side: fork each request into the splitter and both job FIFOs.
        addr, nbytes = req.payload.addr, req.payload.nbytes
        offset = addr[:p.beat_shift]
        beats = row_beats(p, addr, nbytes)
        phase = addr[p.beat_shift:p.beat_shift + chunk_bits]
        all_ready = splitter.req.ready & wjobs.w_rdy & cjobs.w_rdy
        new_w = data.View(wjob_layout, wjobs.w_data)
        new_c = data.View(cjob_layout, cjobs.w_data)
        m.d.comb += [
            req.ready.eq(all_ready),
            splitter.req.valid.eq(req.valid & wjobs.w_rdy & cjobs.w_rdy),
            wjobs.w_en.eq(req.valid & splitter.req.ready & cjobs.w_rdy),
            cjobs.w_en.eq(req.valid & splitter.req.ready & wjobs.w_rdy),
            splitter.req.payload.addr.eq(addr),
            splitter.req.payload.nbytes.eq(nbytes),
            new_w.data.eq(shift_left(m, req.payload.data, offset, "lanes_data", unit=8)),
            new_w.strb.eq(shift_left(m, ~shift_left(m, Const(-1, lane_bytes), nbytes, "row_bytes",
                                                    width=lane_bytes),
                                     offset, "lanes_strb", width=lane_bytes)),
            new_w.beats.eq(beats),
            new_w.phase.eq(phase),
            new_c.bursts.eq((phase + beats + p.burst_beats - 1) >> chunk_bits),
            new_c.tag.eq(req.payload.tag),
        ]

        # AW channel, limited to max_in_flight outstanding bursts.
        outstanding = Signal(range(p.max_in_flight + 1))
        can_issue = outstanding < p.max_in_flight
        burst = splitter.burst
        m.d.comb += [
            axi.awvalid.eq(burst.valid & can_issue),
            burst.ready.eq(axi.awready & can_issue),
            axi.awid.eq(p.axi_id),
            axi.awaddr.eq(burst.payload.addr),
            axi.awlen.eq(burst.payload.len),
            axi.awsize.eq(beat_size_code(8 * p.bus_bytes)),
            axi.awburst.eq(Burst.INCR),
        ]

        # W channel: the head job's beats, WLAST at granule boundaries and at the row's end.
        job = data.View(wjob_layout, wjobs.r_data)
        beat = Signal(range(p.max_row_beats))
        row_end = beat == job.beats - 1
        if chunk_bits:
            granule_end = (job.phase + beat)[:chunk_bits] == p.burst_beats - 1
        else:
            granule_end = Const(1)
        m.d.comb += [
            axi.wvalid.eq(wjobs.r_rdy),
            axi.wdata.eq(job.data.word_select(beat, 8 * p.bus_bytes)),
            axi.wstrb.eq(job.strb.word_select(beat, p.bus_bytes)),
            axi.wlast.eq(row_end | granule_end),
        ]
        with m.If(axi.wvalid & axi.wready):
            with m.If(row_end):
                m.d.comb += wjobs.r_en.eq(1)
                m.d.sync += beat.eq(0)
            with m.Else():
                m.d.sync += beat.eq(beat + 1)

        # B channel: count responses of the head completion job, then report it on `done`.
        cjob = data.View(cjob_layout, cjobs.r_data)
        responses = Signal.like(cjob.bursts)
        error = Signal()
        job_done = responses == cjob.bursts - 1
        m.d.comb += axi.bready.eq(cjobs.r_rdy & ~(job_done & done.valid & ~done.ready))
        b_fire = axi.bvalid & axi.bready
        b_error = axi.bresp[1]
        with m.If(done.ready):
            m.d.sync += done.valid.eq(0)
        with m.If(b_fire):
            with m.If(job_done):
                m.d.comb += cjobs.r_en.eq(1)
                m.d.sync += [
                    responses.eq(0),
                    error.eq(0),
                    done.valid.eq(1),
                    done.payload.tag.eq(cjob.tag),
                    done.payload.error.eq(error | b_error),
                ]
            with m.Else():
                m.d.sync += [responses.eq(responses + 1), error.eq(error | b_error)]

        m.d.sync += outstanding.eq(outstanding + (axi.awvalid & axi.awready) - b_fire)
        m.d.comb += self.busy.eq((cjobs.level != 0) | done.valid)
        return m
