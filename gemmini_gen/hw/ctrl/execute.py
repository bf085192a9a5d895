"""Execute controller: merged PRELOAD+COMPUTE micro-ops -> the systolic array -> C write-back (ISA.md
sections 7.5, 7.6).

*Accept.*  An op enters when a slot of the in-flight ring is free and none of the rows it reads
(A, P, X) is still to be written by an op already in flight (the execute queue's own RAW
interlock; other queues are ordered by the reservation station).  Its three operand streams go to
three `OperandReader`s, its block control to the feeder, its write-back parameters into the ring;
the ring slot is the op's tag in the array.

*Feed.*  Beat r of an op carries row r of A, X and P (zero rows where the operand is absent) with
the op's control; `MeshWithDelays` takes a block of DIM beats every DIM cycles, and the readers run
ahead so consecutive ops follow each other without gaps.

*Write-back.*  Result row r of an op goes, if it writes C and r < C.rows, to local row
``C.row + r*c_stride`` with the first C.cols elements enabled: raw acc_t into the accumulator
(overwrite or accumulate), or ``act(OS_SHIFT(x, in_shift if OS else 0))`` into the scratchpad.
The write ports must never refuse a write (``ex`` is the first, highest-priority write client of
both memories).  The ring slot is freed with the op's last row; ``done`` pulses when that row is
visible to every reader.  Each column's result element goes through a `ResultLane` (its register
and the scratchpad path's OS_SHIFT and RELU), converted once as a Verilog module and instantiated
per column (``lanes="instance"``, the accelerator's choice) or elaborated inline (amaranth.sim).
The same goes for the accept interlock's 16 per-slot `WriteHazard` checks (``checks``) and the
three `OperandReader`s (``readers``): one Verilog module each, instantiated, to convert less.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..arith import os_shift
from ..bank_ports import ReadPortSignature, write_port_signature
from ..fifo import BufferedFIFO
from ..hierarchy import place, place_interface
from ..mesh_with_delays import MeshWithDelays
from .operand_reader import (READ_TAG, OperandReader, operand_reader_module,
                             operand_reader_signature)
from .reservation import overlaps
from .rows import delayed_pulse, first_elements
from .uops import EX, Geometry

__all__ = ["ExecuteController", "ResultLane", "RING", "WriteHazard"]

RING = 16                # ops in flight between acceptance and write-back
FEED_OPS = 8             # ops buffered in front of the feeder


LANES = ("inline", "instance")


class ResultLane(wiring.Component):
    """One column of the write-back: ``raw`` is the result element ``x`` registered (the
    accumulator's data), ``elem`` is ``act(OS_SHIFT(raw, shift))`` (the scratchpad's), where
    ``relu`` and ``shift`` belong to the registered row."""

    def __init__(self, acc_bits: int, elem_bits: int, shift_bits: int):
        for name, value in (("acc_bits", acc_bits), ("elem_bits", elem_bits),
                            ("shift_bits", shift_bits)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.acc_bits, self.elem_bits, self.shift_bits = acc_bits, elem_bits, shift_bits
        super().__init__(result_lane_signature(acc_bits, elem_bits, shift_bits))

    @property
    def module_name(self) -> str:
        return result_lane_module(self.acc_bits, self.elem_bits, self.shift_bits)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.raw.eq(self.x)
        shifted = Signal(signed(self.elem_bits))
        m.d.comb += [shifted.eq(os_shift(self.raw, self.shift, self.elem_bits)),
                     self.elem.eq(Mux(self.relu & (shifted < 0), 0, shifted))]
        return m


def result_lane_module(acc_bits: int, elem_bits: int, shift_bits: int) -> str:
    """Verilog module name of a `ResultLane`: one per parameterisation."""
    return f"gemmini_result_lane_a{acc_bits}_e{elem_bits}_s{shift_bits}"


def result_lane_signature(acc_bits: int, elem_bits: int, shift_bits: int) -> wiring.Signature:
    return wiring.Signature({"x": In(signed(acc_bits)), "shift": In(shift_bits), "relu": In(1),
                             "raw": Out(signed(acc_bits)), "elem": Out(signed(elem_bits))})


class WriteHazard(wiring.Component):
    """Combinational: whether any read range of a new op (``reads``: its A, P and X ranges) overlaps
    the scratchpad range an op in flight will write (``write``, one ring slot's)."""

    def __init__(self, geo: Geometry):
        if not isinstance(geo, Geometry):
            raise TypeError(f"expected a Geometry, got {geo!r}")
        self.geo = geo
        super().__init__(write_hazard_signature(geo))

    @property
    def module_name(self) -> str:
        return write_hazard_module(self.geo)

    def elaborate(self, platform):
        m = Module()
        hit = Const(0)
        for read in ("r0", "r1", "r2"):
            hit = hit | overlaps(self.reads[read], self.write)
        m.d.comb += self.conflict.eq(hit)
        return m


def write_hazard_module(geo: Geometry) -> str:
    """Verilog module name of a `WriteHazard`: one per range width."""
    return f"gemmini_ex_write_hazard_r{geo.range_bits}"


def write_hazard_signature(geo: Geometry) -> wiring.Signature:
    return wiring.Signature({"reads": In(geo.queue_ranges_layout(EX)),
                             "write": In(geo.range_layout), "conflict": Out(1)})


class ExecuteController(wiring.Component):
    """Ports: ``uop`` (In stream {uop: ex_uop, ranges}), ``done``, ``read_a``/``read_p``/``read_x``
    (scratchpad read clients), ``sp_write``/``acc_write`` (write clients), and ``active``,
    ``overlap_wait``, ``read_wait`` {a, p, x}, ``garbage`` {a, p, x} (a beat fed with that operand
    GARBAGE) for status and counters.  `lanes` places the write-back's `ResultLane`s, `checks`
    the accept interlock's per-slot `WriteHazard`s and `readers` the three `OperandReader`s
    inline or as instances of one Verilog module each."""

    def __init__(self, geo: Geometry, *, lanes: str = "inline", checks: str = "inline",
                 readers: str = "inline"):
        for option, value in (("lanes", lanes), ("checks", checks), ("readers", readers)):
            if value not in LANES:
                raise ValueError(f"{option} must be one of {', '.join(LANES)}, got {value!r}")
        self.geo = geo
        self.lanes, self.checks, self.readers = lanes, checks, readers
        cfg = geo.cfg
        self.tag_bits = (RING - 1).bit_length()
        self.mesh = MeshWithDelays(cfg, tag_shape=unsigned(self.tag_bits))
        read = ReadPortSignature(cfg.sp_addr_bits, geo.sp_row_layout, READ_TAG)
        abc = data.StructLayout({"a": 1, "p": 1, "x": 1})
        super().__init__({
            "uop": In(stream.Signature(data.StructLayout({
                "uop": geo.ex_uop_layout, "ranges": geo.queue_ranges_layout(EX)}))),
            "done": Out(1),
            "read_a": Out(read), "read_p": Out(read), "read_x": Out(read),
            "sp_write": Out(write_port_signature(cfg.sp_addr_bits, geo.sp_row_layout)),
            "acc_write": Out(write_port_signature(cfg.acc_addr_bits, geo.acc_row_layout,
                                                  extra={"accumulate": unsigned(1)})),
            "active": Out(1),
            "overlap_wait": Out(1),
            "read_wait": Out(abc),
            "garbage": Out(abc),
        })

    def _lane_widths(self) -> tuple[int, int, int]:
        cfg = self.geo.cfg
        return cfg.acc_bits, cfg.input_bits, Shape.cast(self.geo.shift_shape).width

    def verilog_modules(self):
        """The array's modules, the result lane's (``lanes="instance"``), the write hazard
        check's (``checks="instance"``) and the operand reader's (``readers="instance"``)."""
        modules = self.mesh.verilog_modules()
        if self.lanes == "instance":
            lane = ResultLane(*self._lane_widths())
            modules[lane.module_name] = lane
        if self.checks == "instance":
            check = WriteHazard(self.geo)
            modules[check.module_name] = check
        if self.readers == "instance":
            reader = OperandReader(self.geo)
            modules[reader.module_name] = reader
        return modules

    def elaborate(self, platform):
        geo, cfg = self.geo, self.geo.cfg
        dim = geo.dim
        m = Module()
        m.submodules.mesh = mesh = self.mesh
        reader_module = operand_reader_module(geo) if self.readers == "instance" else None
        readers = {name: place_interface(m, f"reader_{name}", operand_reader_signature(geo),
                                         module_name=reader_module,
                                         build=lambda: OperandReader(geo))
                   for name in ("a", "p", "x")}
        for name, reader in readers.items():
            wiring.connect(m, reader.read, wiring.flipped(getattr(self, f"read_{name}")))
            m.d.comb += self.read_wait[name].eq(reader.wait)

        # ---- the ring of ops in flight ----------------------------------------------------------
        entry_layout = data.StructLayout({"c": geo.c_layout, "relu": 1, "shift": geo.shift_shape,
                                          "os": 1, "sp_write": geo.range_layout})
        ring = [Signal(entry_layout, name=f"slot{k}") for k in range(RING)]
        live = Signal(RING)
        tail = Signal(self.tag_bits)              # next slot to fill
        head = Signal(self.tag_bits)              # oldest op in flight
        count = Signal(range(RING + 1))

        # ---- accept -----------------------------------------------------------------------------
        new, new_ranges = self.uop.payload.uop, self.uop.payload.ranges
        feed_layout = data.StructLayout({"ctrl": geo.ex_ctrl_layout, "tag": self.tag_bits,
                                         "garbage": data.StructLayout({"a": 1, "p": 1, "x": 1})})
        m.submodules.feed_ops = feed_ops = BufferedFIFO(width=feed_layout.size,
                                                        depth=FEED_OPS)
        hazard = Signal()
        check_module = write_hazard_module(geo) if self.checks == "instance" else None
        slot_hazards = []
        for k in range(RING):
            check = place(m, f"hazard{k}", write_hazard_signature(geo),
                          {"reads": new_ranges, "write": ring[k].sp_write},
                          module_name=check_module, build=lambda: WriteHazard(geo), clocked=False)
            slot_hazards.append(check["conflict"])
        m.d.comb += hazard.eq((live & Cat(slot_hazards)).any())
        space = (count < RING) & feed_ops.w_rdy
        for reader in readers.values():
            space = space & reader.op.ready
        accept = Signal()
        m.d.comb += [accept.eq(self.uop.valid & space & ~hazard), self.uop.ready.eq(accept),
                     self.overlap_wait.eq(self.uop.valid & hazard)]
        for name, reader in readers.items():
            m.d.comb += [reader.op.valid.eq(accept), reader.op.payload.eq(new[name])]
        feed_entry = data.View(feed_layout, feed_ops.w_data)
        m.d.comb += [feed_ops.w_en.eq(accept), feed_entry.ctrl.eq(new.ctrl),
                     feed_entry.tag.eq(tail)]
        for name in ("a", "p", "x"):
            m.d.comb += feed_entry.garbage[name].eq(new[name].garbage)
        entry = Signal(entry_layout)
        m.d.comb += [entry.c.eq(new.c), entry.relu.eq(new.relu), entry.shift.eq(new.shift),
                     entry.os.eq(new.ctrl.dataflow == 0),
                     entry.sp_write.eq(new_ranges.w),
                     entry.sp_write.valid.eq(new_ranges.w.valid & ~new_ranges.w.acc)]
        with m.If(accept):
            m.d.sync += tail.eq(tail + 1)
        for k in range(RING):
            with m.If(accept & (tail == k)):
                m.d.sync += ring[k].eq(entry)

        # ---- feed -------------------------------------------------------------------------------
        feed = mesh.feed
        current = data.View(feed_layout, feed_ops.r_data)
        beat = Signal(range(dim))
        ready_all = feed_ops.r_rdy
        for reader in readers.values():
            ready_all = ready_all & reader.rows.valid
        m.d.comb += [
            feed.valid.eq(ready_all),
            feed.payload.a.eq(readers["a"].rows.payload),
            feed.payload.x.eq(readers["x"].rows.payload),
            feed.payload.p.eq(readers["p"].rows.payload),
            feed.payload.ctrl.dataflow.eq(current.ctrl.dataflow),
            feed.payload.ctrl.flip.eq(current.ctrl.flip),
            feed.payload.ctrl.a_transpose.eq(current.ctrl.a_transpose),
            feed.payload.ctrl.b_transpose.eq(current.ctrl.b_transpose),
            feed.payload.ctrl.tag.eq(current.tag),
        ]
        fed = feed.valid & feed.ready
        for reader in readers.values():
            m.d.comb += reader.rows.ready.eq(fed)
        with m.If(fed):
            m.d.sync += beat.eq(Mux(beat == dim - 1, 0, beat + 1))
            with m.If(beat == dim - 1):
                m.d.comb += feed_ops.r_en.eq(1)
        for name in ("a", "p", "x"):
            m.d.comb += self.garbage[name].eq(fed & current.garbage[name])

        # ---- write-back -------------------------------------------------------------------------
        result = mesh.result
        got = Signal()
        got_index = Signal(range(dim))
        got_entry = Signal(entry_layout)
        m.d.sync += [got.eq(result.valid), got_index.eq(result.payload.index),
                     got_entry.eq(Array(ring)[result.payload.tag])]
        c = got_entry.c
        writes, addr = Signal(), Signal(geo.row_bits)
        mask, shift = Signal(dim), Signal(geo.shift_shape)
        m.d.comb += [writes.eq(got & c.write & (got_index < c.rows)),
                     addr.eq(c.row + c.stride * got_index), mask.eq(first_elements(c.cols, dim)),
                     shift.eq(Mux(got_entry.os, got_entry.shift, 0))]
        sp, acc = self.sp_write, self.acc_write
        m.d.comb += [
            acc.valid.eq(writes & c.acc), acc.payload.addr.eq(addr), acc.payload.mask.eq(mask),
            acc.payload.accumulate.eq(c.accumulate),
            sp.valid.eq(writes & ~c.acc), sp.payload.addr.eq(addr), sp.payload.mask.eq(mask),
        ]
        widths = self._lane_widths()
        lane_module = result_lane_module(*widths) if self.lanes == "instance" else None
        for k in range(dim):
            outputs = place(m, f"lane{k}", result_lane_signature(*widths),
                            {"x": result.payload.row[k], "shift": shift, "relu": got_entry.relu},
                            module_name=lane_module, build=lambda: ResultLane(*widths))
            m.d.comb += [acc.payload.data[k].eq(outputs["raw"]),
                         sp.payload.data[k].eq(outputs["elem"])]
        retire = got & (got_index == dim - 1)
        with m.If(retire):
            m.d.sync += head.eq(head + 1)
        set_live = (accept << tail)[:RING]
        clear_live = (retire << head)[:RING]
        m.d.sync += [live.eq((live | set_live) & ~clear_live), count.eq(count + accept - retire)]
        m.d.comb += self.done.eq(delayed_pulse(m, retire, cfg.acc_latency - 1, "done"))

        active = (count != 0) | mesh.busy
        for reader in readers.values():
            active = active | reader.active
        m.d.comb += self.active.eq(active)
        return m

