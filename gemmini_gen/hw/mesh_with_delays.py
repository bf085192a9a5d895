"""MeshWithDelays: the systolic array behind a block-level stream interface.

This is the contract the execute controller drives.  A *block* is DIM *beats* on ``feed``; beat `r`
carries row `r` of three DIM x DIM operands as the program stored them, plus the block's control:

* WS: if ``flip``, install the weights ``W = P`` (``P^T`` with ``b_transpose``); the block's result is
  ``R = X + A.W`` (``X`` = the bias rows D);
* OS: if ``flip``, restart the sums from ``S = P`` (the preloaded D); then ``S += A.X`` (``X`` = the
  rows of B, or of ``B^T`` with ``b_transpose``); the result is ``R = S``;
* ``a_transpose``: the rows on ``a`` are those of ``A^T``.

Any transpose combination works in either dataflow (the ISA permits a subset, ISA.md section 4.3).
Sums wrap modulo 2**W_ACC.  Each block produces DIM ``result`` rows (row 0 first) carrying the block's
``tag``; they come out on their own, without a later block.  ``result`` has no ready: the consumer
must take a row in every cycle it is valid.  Results leave in block order.

How it works: accepted beats go into three `TransposingBuffer`s (A, X, P; ``NUM_SLOTS`` blocks each),
transposed on the way in where the array needs it.  A complete block is *issued*: its P rows are
read in `D` consecutive cycles into the preload chain, then its A and X rows in the next `D` cycles,
overlapped with the next block's P rows.  The rows are skewed into the `Mesh`, the bottom of every
column picks the WS partial sums or the OS result chain, and the output is de-skewed.  See
docs/hw.md for the cycle-level timing and the latency formulas (`latency_ws`, `latency_os`).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Shape, ShapeCastable, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from ..config import GemminiConfig
from .hierarchy import place_interface
from .mesh import Mesh
from .pe import PE_CONTROL, ArrayWidths, sign_extend
from .pipeline import delayed, skewed
from .transposer import TransposingBuffer, buffer_module_name, buffer_signature

__all__ = ["MeshWithDelays", "NUM_SLOTS", "block_control_layout", "feed_layout", "result_layout"]

#: Blocks each operand buffer holds: one being written, one waiting, one being read.
NUM_SLOTS = 3

#: ``dataflow`` field value of an OS block (a WS block has 1, as in CONFIG_EX).
OS = 0


def block_control_layout(tag_shape) -> data.StructLayout:
    """Per-block control, sampled with beat 0 of each block."""
    return data.StructLayout({"dataflow": 1, "flip": 1, "a_transpose": 1, "b_transpose": 1,
                              "tag": tag_shape})


def feed_layout(config: GemminiConfig, tag_shape) -> data.StructLayout:
    """Payload of one ``feed`` beat: row `r` of A, X and P, and the block control."""
    row = data.ArrayLayout(signed(config.input_bits), config.dim)
    return data.StructLayout({"a": row, "x": row, "p": row, "ctrl": block_control_layout(tag_shape)})


def result_layout(config: GemminiConfig, tag_shape) -> data.StructLayout:
    """Payload of one ``result`` beat: row ``index`` of a block's result."""
    return data.StructLayout({"row": data.ArrayLayout(signed(config.acc_bits), config.dim),
                              "index": range(config.dim), "tag": tag_shape})


class MeshWithDelays(wiring.Component):
    """The array for `config` with its operand buffers, skew and de-skew registers.

    Ports: ``feed`` (``In(stream.Signature(feed_layout))``), ``result``
    (``Out(stream.Signature(result_layout, always_ready=True))``) and ``busy`` (``Out(1)``: some
    accepted beat's results are still to come).

    `tag_shape` is any shape (e.g. a `data.Layout`) of at least one bit.  `cells` and `module_prefix`
    are passed to `Mesh`; with ``cells="instance"`` the three operand buffers are instances of one
    separately converted module per kind (`verilog_modules`) too.
    """

    def __init__(self, config: GemminiConfig, *, tag_shape=unsigned(8), cells: str = "instance",
                 module_prefix: str | None = None):
        self.widths = ArrayWidths(config)
        self.config = config
        if not isinstance(tag_shape, ShapeCastable):
            tag_shape = Shape.cast(tag_shape)
        if Shape.cast(tag_shape).width < 1:
            raise ValueError(f"tag_shape must be at least one bit wide, got {tag_shape!r}")
        self.tag_shape = tag_shape
        self.mesh = Mesh(config, cells=cells, module_prefix=module_prefix)
        # The operand buffers: A is transposable in every dataflow, X where OS runs, P where WS
        # runs.  With ``cells="instance"`` each kind is converted once and instantiated.
        w = self.widths
        self._buffer_kinds = {"a": True, "x": w.has_os, "p": w.has_ws}
        self._buffers_as_instances = cells == "instance"
        super().__init__({
            "feed": In(stream.Signature(feed_layout(config, tag_shape))),
            "result": Out(stream.Signature(result_layout(config, tag_shape), always_ready=True)),
            "busy": Out(1),
        })

    # ------------------------------------------------------------------------------------------
    # Timing, for the performance model (see docs/hw.md)
    # ------------------------------------------------------------------------------------------
    @property
    def block_cycles(self) -> int:
        """Steady-state issue interval: one block every DIM cycles."""
        return self.config.dim

    @property
    def pipeline_depth(self) -> int:
        """Cycles from a row entering the mesh (un-skewed) to its WS result row leaving the wrapper."""
        c = self.config
        return (c.mesh_rows + c.mesh_cols - 1) * (c.tile_latency + 1) + c.mesh_output_delay

    @property
    def latency_ws(self) -> int:
        """Cycles from accepting the last beat of a WS block to its result row 0 (row r: +r), when
        no earlier block holds it up."""
        return self.config.dim + 2 + self.pipeline_depth

    @property
    def latency_os(self) -> int:
        """As `latency_ws`, for an OS block (its sums leave through the result chain, DIM later)."""
        return 2 * self.config.dim + 2 + self.pipeline_depth

    @property
    def switch_penalty(self) -> int:
        """Idle cycles inserted between an OS block and a following WS block (0 otherwise)."""
        return self.config.dim if self.widths.both else 0

    def verilog_modules(self) -> dict[str, wiring.Component]:
        """Separately converted modules this design instantiates (see `hierarchy`)."""
        modules = dict(self.mesh.verilog_modules())
        if self._buffers_as_instances:
            for transposable in set(self._buffer_kinds.values()):
                buffer = self._buffer(transposable)
                modules[buffer.module_name] = buffer
        return modules

    @property
    def _buffer_shape(self) -> tuple:
        """(dim, element shape, slots) of the operand buffers."""
        return self.config.dim, signed(self.widths.input), NUM_SLOTS

    def _buffer(self, transposable: bool) -> TransposingBuffer:
        return TransposingBuffer(*self._buffer_shape, transposable=transposable)

    def _place_buffer(self, m: Module, operand: str):
        """The operand buffer of `operand` ("a", "x" or "p"), inline or as an instance of the
        module `verilog_modules` lists for its kind."""
        transposable = self._buffer_kinds[operand]
        module_name = (buffer_module_name(*self._buffer_shape, transposable)
                       if self._buffers_as_instances else None)
        return place_interface(m, f"{operand}_buffer", buffer_signature(*self._buffer_shape),
                               module_name=module_name,
                               build=lambda: self._buffer(transposable))

    # ------------------------------------------------------------------------------------------
    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        D, S = cfg.dim, cfg.tile_latency + 1
        R, C, tr, tc = cfg.mesh_rows, cfg.mesh_cols, cfg.tile_rows, cfg.tile_cols
        m = Module()
        m.submodules.mesh = mesh = self.mesh
        elem = signed(w.input)
        a_buf, x_buf, p_buf = (self._place_buffer(m, operand) for operand in "axp")
        # What the sequencers remember about a block: its effective dataflow, flip and tag.
        block_layout = data.StructLayout({"os": 1, "flip": 1, "tag": self.tag_shape})

        def is_os(ctrl):
            return ctrl.dataflow == OS if w.both else Const(int(w.has_os))

        # --- Input: write accepted beats into slot `wslot`, row `wrow` -----------------------------
        feed = self.feed
        wslot = Signal(range(NUM_SLOTS))
        wrow = Signal(range(D))
        held = Signal(block_control_layout(self.tag_shape))   # control of the block being written
        used = Signal(range(NUM_SLOTS + 1))                    # slots written and not yet retired
        first_beat, last_beat, accept, completing = Signal(), Signal(), Signal(), Signal()
        m.d.comb += [first_beat.eq(wrow == 0), last_beat.eq(wrow == D - 1),
                     feed.ready.eq(~first_beat | (used < NUM_SLOTS)),
                     accept.eq(feed.valid & feed.ready), completing.eq(accept & last_beat)]
        ctrl = Signal(block_control_layout(self.tag_shape))
        with m.If(first_beat):
            m.d.comb += ctrl.eq(feed.payload.ctrl)
        with m.Else():
            m.d.comb += ctrl.eq(held)
        os_now = Signal()
        m.d.comb += os_now.eq(is_os(ctrl))
        writes = ((a_buf, feed.payload.a, ctrl.a_transpose ^ os_now),
                  (x_buf, feed.payload.x, ctrl.b_transpose & os_now),
                  (p_buf, feed.payload.p, ctrl.b_transpose & ~os_now))
        for buf, row_data, transpose in writes:
            m.d.comb += [buf.write.en.eq(accept), buf.write.slot.eq(wslot),
                         buf.write.row.eq(wrow), buf.write.transpose.eq(transpose),
                         buf.write.data.eq(row_data)]
        slot_blocks = Signal(data.ArrayLayout(block_layout, NUM_SLOTS))
        with m.If(accept):
            m.d.sync += wrow.eq(wrow + 1)
            with m.If(first_beat):
                m.d.sync += held.eq(feed.payload.ctrl)
                for k in range(NUM_SLOTS):
                    with m.If(wslot == k):
                        m.d.sync += [slot_blocks[k].os.eq(os_now),
                                     slot_blocks[k].flip.eq(feed.payload.ctrl.flip),
                                     slot_blocks[k].tag.eq(feed.payload.ctrl.tag)]
            with m.If(last_beat):
                m.d.sync += wslot.eq(_next_slot(wslot))

        # --- Issue: P rows of a block in D cycles, then its A and X rows in the next D -------------
        waiting = Signal(range(NUM_SLOTS + 1))    # complete blocks not yet issued
        issue_slot = Signal(range(NUM_SLOTS))
        next_block = Signal(block_layout)
        m.d.comb += next_block.eq(slot_blocks[issue_slot])
        p_active, p_row, p_slot = Signal(), Signal(range(D)), Signal(range(NUM_SLOTS))
        p_block = Signal(block_layout)
        p_last = Signal()
        m.d.comb += p_last.eq(p_active & (p_row == D - 1))
        may_issue = Const(1)
        if w.both:
            # A WS block's partial sums leave D cycles earlier than an OS block's result chain:
            # keep a WS block 2*D cycles behind an OS block so their outputs never collide.
            os_hold = Signal(range(2 * D))
            may_issue = next_block.os | (os_hold == 0)
        issue = Signal()
        m.d.comb += issue.eq(((waiting != 0) | completing) & (~p_active | p_last) & may_issue)
        if w.both:
            with m.If(issue & next_block.os):
                m.d.sync += os_hold.eq(2 * D - 1)
            with m.Elif(os_hold != 0):
                m.d.sync += os_hold.eq(os_hold - 1)
        m.d.sync += waiting.eq(waiting + completing - issue)
        with m.If(issue):
            m.d.sync += [p_active.eq(1), p_row.eq(0), p_slot.eq(issue_slot),
                         p_block.eq(next_block), issue_slot.eq(_next_slot(issue_slot))]
        with m.Elif(p_active):
            m.d.sync += [p_row.eq(p_row + 1), p_active.eq(~p_last)]

        a_active, a_row, a_slot = Signal(), Signal(range(D)), Signal(range(NUM_SLOTS))
        a_block = Signal(block_layout)
        retire = Signal()
        m.d.comb += retire.eq(a_active & (a_row == D - 1))
        with m.If(p_last):
            m.d.sync += [a_active.eq(1), a_row.eq(0), a_slot.eq(p_slot), a_block.eq(p_block)]
        with m.Elif(a_active):
            m.d.sync += [a_row.eq(a_row + 1), a_active.eq(~retire)]
        m.d.sync += used.eq(used + (accept & first_beat) - retire)

        m.d.comb += [p_buf.read.slot.eq(p_slot), p_buf.read.row.eq(p_row)]
        for buf in (a_buf, x_buf):
            m.d.comb += [buf.read.slot.eq(a_slot), buf.read.row.eq(a_row)]

        # --- Feed stage (buffer data arrives): mirror, skew, into the mesh --------------------------
        f_valid, f_row = Signal(), Signal(range(D))
        f_block = Signal(block_layout)
        m.d.sync += [f_valid.eq(a_active), f_row.eq(a_row), f_block.eq(a_block)]
        # Logical row i of the array lives in physical row D-1-i: feed A's elements reversed.
        a_rows = Signal(data.ArrayLayout(data.ArrayLayout(elem, tr), R))
        mirrored = Cat(a_buf.read_data[D - 1 - i] for i in range(D))
        m.d.comb += a_rows.eq(Mux(f_valid, mirrored, 0))
        m.d.comb += mesh.a.eq(skewed(m, a_rows, [t * S for t in range(R)], "a_skew"))
        column_delays = [c * S for c in range(C)]
        by_column = data.ArrayLayout(data.ArrayLayout(elem, tc), C)
        x_in = skewed(m, data.View(by_column, x_buf.read_data.as_value()), column_delays, "x_skew")
        m.d.comb += mesh.preload.eq(skewed(m, data.View(by_column, p_buf.read_data.as_value()),
                                           column_delays, "p_skew"))
        for c in range(C):
            for p in range(tc):      # sign-extend to the width of the b path
                m.d.comb += mesh.b_in[c][p].eq(sign_extend(x_in[c][p], w.b))
        beat_ctrl = Signal(PE_CONTROL)
        m.d.comb += [beat_ctrl.ws.eq(f_valid & ~f_block.os),
                     beat_ctrl.load.eq(f_valid & (f_row == 0) & f_block.flip),
                     beat_ctrl.capture.eq(f_valid & (f_row == D - 1) & f_block.os)]
        m.d.comb += mesh.ctrl.eq(beat_ctrl)     # (the mesh skews the control itself)

        # --- Output: pick WS sums or OS results per column, de-skew, attach index and tag ----------
        sums = Signal(data.ArrayLayout(data.ArrayLayout(signed(w.acc), tc), C))
        for c in range(C):
            if w.both:
                with m.If(mesh.ctrl_out[c].ws):
                    m.d.comb += sums[c].eq(mesh.b_out[c])
                with m.Else():
                    m.d.comb += sums[c].eq(mesh.result[c])
            else:
                m.d.comb += sums[c].eq(mesh.b_out[c] if w.has_ws else mesh.result[c])
        aligned = skewed(m, sums, [(C - 1 - c) * S for c in range(C)], "deskew")
        result = self.result
        m.d.comb += result.payload.row.eq(aligned.as_value())

        track = Signal(data.StructLayout({"valid": 1, "os": 1, "row": range(D)}))
        m.d.comb += [track.valid.eq(f_valid), track.os.eq(f_block.os), track.row.eq(f_row)]
        ws_tap = delayed(m, track, self.pipeline_depth, "ws_track", reset_less=False)
        ws_out = ws_tap.valid & ~ws_tap.os if w.has_ws else Const(0)
        m.d.comb += result.payload.index.eq(ws_tap.row)
        if w.has_os:
            os_tap = delayed(m, ws_tap, D, "os_track", reset_less=False)
            os_out = os_tap.valid & os_tap.os
            with m.If(os_out):
                m.d.comb += result.payload.index.eq(os_tap.row)
        else:
            os_out = Const(0)
        m.d.comb += result.valid.eq(ws_out | os_out)
        done = result.valid & (result.payload.index == D - 1)

        tag_width = Shape.cast(self.tag_shape).width
        in_flight = (2 * D + self.pipeline_depth) // D + 2
        m.submodules.tags = tags = SyncFIFO(width=tag_width, depth=in_flight)
        m.d.comb += [tags.w_en.eq(p_last), tags.w_data.eq(p_block.tag),
                     tags.r_en.eq(done), result.payload.tag.eq(tags.r_data)]

        pending = Signal(range(NUM_SLOTS + in_flight + 1))   # blocks accepted, results not all out
        m.d.sync += pending.eq(pending + (accept & first_beat) - done)
        m.d.comb += self.busy.eq(pending != 0)
        return m


def _next_slot(slot):
    """The slot after `slot` in the ring of `NUM_SLOTS`."""
    return Mux(slot == NUM_SLOTS - 1, 0, slot + 1)
