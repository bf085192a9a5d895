"""Front end: the head of the command path.

One command per cycle is decoded (`CommandDecoder`), checked, and

* CONFIG_EX / CONFIG_LOAD / CONFIG_STORE update the configuration state kept here, which every
  later micro-op of their queue carries with it (`resolve`); CONFIG_NORM and FLUSH do nothing;
* PRELOAD is latched; the next COMPUTE is merged with it into one execute micro-op;
* MVIN*, MVOUT and PRELOAD+COMPUTE become micro-ops with their local row ranges, handed to the
  reservation station on ``uop`` (one output register);
* COUNTER is executed at once by the counter unit (``counter`` / ``counter_value``) and answered
  on ``resp``;
* FENCE stops further commands until ``idle`` (everything downstream has finished).

An illegal command is dropped: it changes no state, and the first one is recorded in ``error`` /
``error_info`` (ordinal among accepted commands, funct, cause).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ...config import GemminiConfig
from .counters import COUNTER_OP_LAYOUT
from .decoder import CommandDecoder, CommandKind, rs_layouts
from .interface import COMMAND_LAYOUT, ERROR_LAYOUT, RESPONSE_BITS, ErrorCause
from .resolve import ConfigState, resolve_compute, resolve_mvin, resolve_mvout
from .uops import EX, LD, ST, Geometry

__all__ = ["FrontEnd", "alloc_layout"]


def alloc_layout(geo: Geometry) -> data.StructLayout:
    """A micro-op for the reservation station: its queue, its ranges and the micro-op itself."""
    return data.StructLayout({
        "queue": 2, "ranges": geo.all_ranges_layout,
        "uop": data.UnionLayout({"ld": geo.ld_uop_layout, "ex": geo.ex_uop_layout,
                                 "st": geo.st_uop_layout})})


class FrontEnd(wiring.Component):
    """Decode, check, configure, merge and dispatch (see the module docstring).

    ``busy``: a micro-op waits in the output register or a FENCE waits; ``blocked``: the output
    register is full and not taken (a reservation station queue is full)."""

    def __init__(self, cfg: GemminiConfig):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        self.cfg = cfg
        self.geo = Geometry(cfg)
        super().__init__({
            "cmd": In(stream.Signature(COMMAND_LAYOUT)),
            "uop": Out(stream.Signature(alloc_layout(self.geo))),
            "resp": Out(stream.Signature(unsigned(RESPONSE_BITS))),
            "counter": Out(COUNTER_OP_LAYOUT),
            "counter_value": In(RESPONSE_BITS),
            "idle": In(1),
            "error": Out(1),
            "error_info": Out(ERROR_LAYOUT),
            "busy": Out(1),
            "blocked": Out(1),
            "accepted": Out(1),
        })

    def elaborate(self, platform):
        cfg, geo = self.cfg, self.geo
        m = Module()
        m.submodules.decoder = dec = CommandDecoder(cfg)
        state = ConfigState(geo)
        ex = Signal(state.ex_layout, init=state.ex_init)
        lds = [Signal(state.ld_layout, init=state.ld_init, name=f"ld{i}") for i in range(3)]
        st = Signal(state.st_layout, init=state.st_init)
        latch = Signal(state.latch_layout, init=state.latch_init)
        preload_pending = Signal()        # a PRELOAD waits for its COMPUTE
        after_config_ex = Signal()        # no compute since the last CONFIG_EX
        fencing = Signal()
        index = Signal(32)                # ordinal of the next accepted command

        cmd = self.cmd.payload
        m.d.comb += dec.cmd.eq(cmd)
        out, resp = self.uop, self.resp
        out_free = ~out.valid | out.ready
        resp_free = ~resp.valid | resp.ready
        m.d.comb += [self.cmd.ready.eq(~fencing & out_free & resp_free),
                     self.accepted.eq(self.cmd.valid & self.cmd.ready)]
        with m.If(out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(resp.ready):
            m.d.sync += resp.valid.eq(0)
        with m.If(fencing & self.idle & ~out.valid):
            m.d.sync += fencing.eq(0)

        # The micro-op each kind would produce, and the checks that need the state kept here.
        ld = Signal(state.ld_layout)
        m.d.comb += ld.eq(Mux(dec.load_state == 0, lds[0],
                              Mux(dec.load_state == 1, lds[1], lds[2])))
        ld_uop, ld_ranges, ld_checks = resolve_mvin(m, geo, cmd, ld)
        st_uop, st_ranges, st_checks = resolve_mvout(m, geo, cmd, st)
        ex_uop, ex_ranges, ex_checks = resolve_compute(m, geo, cmd, dec.flip, ex, latch)
        ex_checks = [(~preload_pending, ErrorCause.SEQUENCE),
                     (~dec.flip & after_config_ex, ErrorCause.SEQUENCE)] + ex_checks

        illegal = Signal()
        cause = Signal(ErrorCause)
        m.d.comb += [illegal.eq(dec.illegal), cause.eq(dec.cause)]
        for kind, checks in ((CommandKind.MVIN, ld_checks), (CommandKind.MVOUT, st_checks),
                             (CommandKind.COMPUTE, ex_checks)):
            with m.If(~dec.illegal & (dec.kind == kind)):
                for violated, why in reversed(checks):
                    with m.If(violated):
                        m.d.comb += [illegal.eq(1), cause.eq(why)]

        accept = self.accepted
        with m.If(accept):
            m.d.sync += index.eq(index + 1)
        with m.If(accept & illegal & ~self.error):
            m.d.sync += [self.error.eq(1), self.error_info.index.eq(index),
                         self.error_info.funct.eq(cmd.funct), self.error_info.cause.eq(cause)]

        execute = Signal()
        m.d.comb += execute.eq(accept & ~illegal)
        def doing(kind):
            return execute & (dec.kind == kind)

        with m.If(doing(CommandKind.CONFIG_EX)):
            self._config_ex(m, cmd, ex)
            m.d.sync += [after_config_ex.eq(1), preload_pending.eq(0)]
        with m.If(doing(CommandKind.CONFIG_LD)):
            self._config_ld(m, cmd, lds)
        with m.If(doing(CommandKind.CONFIG_ST)):
            self._config_st(m, cmd, st)
        with m.If(doing(CommandKind.PRELOAD)):
            self._preload(m, cmd, latch)
            m.d.sync += preload_pending.eq(1)
        with m.If(doing(CommandKind.MVIN)):
            self._emit(m, LD, ld_ranges, ld_uop)
        with m.If(doing(CommandKind.MVOUT)):
            self._emit(m, ST, st_ranges, st_uop)
        with m.If(doing(CommandKind.COMPUTE)):
            self._emit(m, EX, ex_ranges, ex_uop)
            m.d.sync += [preload_pending.eq(0), after_config_ex.eq(0)]
        with m.If(doing(CommandKind.COUNTER)):
            m.d.comb += self.counter.valid.eq(1)
            m.d.sync += [resp.valid.eq(1), resp.payload.eq(self.counter_value)]
        with m.If(doing(CommandKind.FENCE)):
            m.d.sync += fencing.eq(1)

        counter = data.View(rs_layouts("counter")[0], cmd.rs1)
        m.d.comb += [self.counter.reset.eq(counter.reset),
                     self.counter.snapshot_reset.eq(counter.snapshot_reset),
                     self.counter.take_snapshot.eq(counter.take_snapshot),
                     self.counter.configure.eq(counter.configure),
                     self.counter.index.eq(counter.index), self.counter.event.eq(counter.event),
                     self.counter.external.eq(counter.external)]
        m.d.comb += [self.busy.eq(out.valid | fencing), self.blocked.eq(out.valid & ~out.ready)]
        return m

    # ------------------------------------------------------------------------------------------
    def _emit(self, m, queue, ranges, uop):
        out = self.uop
        field = ("ld", "ex", "st")[queue]
        m.d.sync += [out.valid.eq(1), out.payload.queue.eq(queue), out.payload.ranges.eq(ranges),
                     out.payload.uop[field].eq(uop)]

    def _config_ex(self, m, cmd, ex):
        rs1l, rs2l = rs_layouts("config_ex")
        rs1, rs2 = data.View(rs1l, cmd.rs1), data.View(rs2l, cmd.rs2)
        m.d.sync += [ex.a_stride.eq(rs1.a_stride), ex.c_stride.eq(rs2.c_stride)]
        with m.If(~rs1.set_only_strides):
            m.d.sync += [ex.dataflow.eq(rs1.dataflow), ex.relu.eq(rs1.act == 1),
                         ex.shift.eq(rs2.in_shift), ex.a_transpose.eq(rs1.a_transpose),
                         ex.b_transpose.eq(rs1.b_transpose)]

    def _config_ld(self, m, cmd, lds):
        rs1l, rs2l = rs_layouts("config_ld")
        rs1, rs2 = data.View(rs1l, cmd.rs1), data.View(rs2l, cmd.rs2)
        for i, ld in enumerate(lds):
            with m.If(rs1.id == i):
                m.d.sync += [ld.stride.eq(rs2.stride), ld.block_stride.eq(rs1.block_stride),
                             ld.scale.eq(rs1.scale), ld.shrunk.eq(rs1.shrunk),
                             ld.repeats.eq(Mux(rs1.pixel_repeats == 0, 1, rs1.pixel_repeats))]

    def _config_st(self, m, cmd, st):
        rs1l, rs2l = rs_layouts("config_st")
        rs1, rs2 = data.View(rs1l, cmd.rs1), data.View(rs2l, cmd.rs2)
        pool = st.pool
        m.d.sync += [st.stride.eq(rs2.stride), st.scale.eq(rs2.scale), st.relu.eq(rs1.act == 1),
                     pool.stride.eq(rs1.pool_stride), pool.size.eq(rs1.pool_size),
                     pool.upad.eq(rs1.upad), pool.lpad.eq(rs1.lpad),
                     pool.out_dim.eq(rs1.pool_out_dim), pool.porows.eq(rs1.porows),
                     pool.pocols.eq(rs1.pocols), pool.orows.eq(rs1.orows),
                     pool.ocols.eq(rs1.ocols)]

    def _preload(self, m, cmd, latch):
        rs1l, rs2l = rs_layouts("preload")
        rs1, rs2 = data.View(rs1l, cmd.rs1), data.View(rs2l, cmd.rs2)
        m.d.sync += [latch.bd.eq(rs1.bd), latch.bd_rows.eq(rs1.bd_rows),
                     latch.bd_cols.eq(rs1.bd_cols), latch.c.eq(rs2.c),
                     latch.c_rows.eq(rs2.c_rows), latch.c_cols.eq(rs2.c_cols)]
