"""`CommandFeeder`: streams a program's commands from an on-chip ring that Python fills through the
memory model's binary backdoor, so Python stays off the per-cycle path however long the program is.

The ring is `depth` records of the binary program form (ISA docs, "Binary form"): 192 bits =
funct (u64) | rs1 (u64) | rs2 (u64), little-endian, record i at slot i mod depth.  Python writes a
chunk of records (a load file of one or two segments, see `ring_segment`), pulses ``load``, and raises
``limit`` to the number of records now loaded (counted since reset).  The feeder reads
slot after slot while ``issued < limit`` and offers one command per cycle on ``cmd``; ``fed`` counts
the commands the accelerator accepted.  Python may overwrite a slot once ``fed`` has passed it.
The storage is the memory model's Verilog storage module (`hw.axi_memory.STORAGE_VERILOG`), so
simulator sources must include `write_storage_verilog`'s file.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, Signal
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..hw.axi_memory import STORAGE_MODULE, storage_segment
from ..hw.ctrl.interface import COMMAND_LAYOUT

__all__ = ["CommandFeeder", "RECORD_BYTES", "ring_segment"]

RECORD_BYTES = 24          # one command record: funct, rs1, rs2 as u64 each
_FIFO_DEPTH = 8


def ring_segment(records: np.ndarray, first_slot: int) -> bytes:
    """Load-file segment placing `records` (N x 24 bytes, uint8) at ring slots first_slot.. (the
    caller splits chunks at the end of the ring)."""
    return storage_segment(np.asarray(records, dtype=np.uint8).reshape(-1, RECORD_BYTES), first_slot)


class CommandFeeder(wiring.Component):
    """Ring of `depth` command records -> ``cmd`` stream (see module docstring).

    Ports: ``path`` (file name for the backdoor, as `hw.axi_memory.encode_path` encodes it),
    ``load`` (one-cycle pulse), ``limit`` (records loaded), ``cmd`` (Out stream of
    COMMAND_LAYOUT), ``fed`` (commands accepted since reset)."""

    def __init__(self, depth: int = 16384, path_bytes: int = 256):
        if not isinstance(depth, int) or depth < 2 * _FIFO_DEPTH or depth & (depth - 1):
            raise ValueError(f"command ring depth must be a power of two >= {2 * _FIFO_DEPTH}, "
                             f"got {depth!r}")
        if not isinstance(path_bytes, int) or path_bytes < 1:
            raise ValueError(f"path_bytes must be a positive integer, got {path_bytes!r}")
        self.depth = depth
        self.path_bytes = path_bytes
        super().__init__({
            "path": In(8 * path_bytes),
            "load": In(1),
            "limit": In(32),
            "cmd": Out(stream.Signature(COMMAND_LAYOUT)),
            "fed": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        abits = exact_log2(self.depth)
        record_bits = 8 * RECORD_BYTES
        rd_en = Signal()
        rd_data = Signal(record_bits)
        issued = Signal(32)
        m.submodules.ring = Instance(
            STORAGE_MODULE, p_WIDTH=record_bits, p_ABITS=abits, p_PATH_BYTES=self.path_bytes,
            i_clk=ClockSignal(), i_rd_en=rd_en, i_rd_addr=issued[:abits], o_rd_data=rd_data,
            i_wr_en=Const(0), i_wr_addr=Const(0, abits), i_wr_data=Const(0, record_bits),
            i_wr_strb=Const(0, record_bits // 8), i_path=self.path, i_load=self.load,
            i_dump=Const(0))

        # The storage answers one cycle after a read; a small FIFO absorbs the answers so a read
        # can be issued every cycle while the accelerator keeps taking commands.
        m.submodules.queue = queue = fifo.SyncFIFOBuffered(width=COMMAND_LAYOUT.size,
                                                           depth=_FIFO_DEPTH)
        in_flight = Signal()
        room = queue.level + in_flight < _FIFO_DEPTH - 1
        m.d.comb += rd_en.eq((issued != self.limit) & room)
        m.d.sync += in_flight.eq(rd_en)
        m.d.comb += [
            queue.w_en.eq(in_flight),
            queue.w_data.eq(Cat(rd_data[0:7], rd_data[64:128], rd_data[128:192])),
            self.cmd.valid.eq(queue.r_rdy),
            self.cmd.payload.eq(queue.r_data),
            queue.r_en.eq(self.cmd.ready),
        ]
        with m.If(rd_en):
            m.d.sync += issued.eq(issued + 1)
        with m.If(self.cmd.valid & self.cmd.ready):
            m.d.sync += self.fed.eq(self.fed + 1)
        return m
