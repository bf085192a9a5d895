"""Micro-operations: the fully resolved commands the front end hands to the controllers, and the local
row ranges the reservation station orders them by.

The front end resolves every configuration a command depends on (ISA.md section 10.1: configs take
effect for later commands of their queue) into the micro-op itself, so the controllers need no
configuration registers and CONFIG commands complete as soon as they are decoded:

* `ld_uop_layout`: one MVIN/MVIN2/MVIN3 with its load state (stride, block stride, scale, shrink,
  pixel repeats);
* `ex_uop_layout`: one PRELOAD merged with its COMPUTE, as three operand row streams (A, P = the
  preloaded B/D, X = the compute's B/D) and the C write-back, with the CONFIG_EX state;
* `st_uop_layout`: one MVOUT with the store state (stride, scale, activation, pooling).

A `range_layout` is a half-open interval ``[lo, hi)`` of rows in the scratchpad or the accumulator.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from ...config import GemminiConfig

__all__ = ["Geometry", "LD", "EX", "ST", "QUEUES"]

#: Queue numbers (ISA.md section 10.1).
LD, EX, ST = 0, 1, 2
QUEUES = ("ld", "ex", "st")


@dataclass(frozen=True)
class Geometry:
    """Widths and layouts shared by the control units of one design point."""

    cfg: GemminiConfig

    # ---- widths ---------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.cfg.dim

    @property
    def row_bits(self) -> int:
        """A local row index (ADDR_BITS)."""
        return self.cfg.addr_bits

    @property
    def range_bits(self) -> int:
        """A range bound: one past the last row of the larger memory fits."""
        return self.cfg.addr_bits + 1

    @property
    def max_cols(self) -> int:
        """Largest MVIN/MVOUT cols field (DIM * MAX_BLOCK_LEN)."""
        return self.cfg.dim * self.cfg.max_block_len

    @property
    def count_shape(self):
        """0..DIM (rows/cols of one DIM x DIM operand)."""
        return range(self.cfg.dim + 1)

    @property
    def shift_shape(self):
        """in_shift: 0..W_ACC-1 (larger values are illegal)."""
        return range(self.cfg.acc_bits)

    @property
    def sp_row_layout(self) -> data.ArrayLayout:
        return data.ArrayLayout(signed(self.cfg.input_bits), self.cfg.dim)

    @property
    def acc_row_layout(self) -> data.ArrayLayout:
        return data.ArrayLayout(signed(self.cfg.acc_bits), self.cfg.dim)

    # ---- ranges ---------------------------------------------------------------------------------
    @property
    def range_layout(self) -> data.StructLayout:
        return data.StructLayout({"valid": 1, "acc": 1, "lo": unsigned(self.range_bits),
                                  "hi": unsigned(self.range_bits)})

    def ranges_layout(self, reads: int, write: bool) -> data.StructLayout:
        """`reads` read ranges and optionally one write range."""
        fields = {f"r{i}": self.range_layout for i in range(reads)}
        if write:
            fields["w"] = self.range_layout
        return data.StructLayout(fields)

    #: (read ranges, has a write range) per queue: MVIN writes, MVOUT reads, an execute op reads
    #: A, P and X and writes C.
    QUEUE_RANGES = {LD: (0, True), EX: (3, True), ST: (1, False)}

    def queue_ranges_layout(self, queue: int) -> data.StructLayout:
        return self.ranges_layout(*self.QUEUE_RANGES[queue])

    @property
    def all_ranges_layout(self) -> data.StructLayout:
        """Every range slot any queue uses (what the front end produces)."""
        return self.ranges_layout(3, True)

    # ---- micro-ops ------------------------------------------------------------------------------
    @property
    def ld_uop_layout(self) -> data.StructLayout:
        return data.StructLayout({
            "dram": unsigned(64),        # first DRAM row's byte address
            "zero": 1,                   # rs1 == 0: zero fill, no DRAM access
            "row": unsigned(self.row_bits),
            "acc": 1,                    # destination is the accumulator
            "accumulate": 1,             # accumulator: add instead of overwrite
            "elem": 1,                   # DRAM elements are elem_t (scratchpad, or shrunk acc)
            "rows": self.count_shape,
            "cols": range(self.max_cols + 1),
            "stride": unsigned(64),      # DRAM bytes between rows
            "block_stride": unsigned(16),
            "scale": unsigned(32),       # MVIN_SCALE factor (fp32 bits)
            "repeats": self.count_shape,  # pixel repeats (>= 1)
        })

    @property
    def pool_layout(self) -> data.StructLayout:
        return data.StructLayout({"stride": 2, "size": 2, "upad": 2, "lpad": 2, "out_dim": 8,
                                  "porows": 8, "pocols": 8, "orows": 8, "ocols": 8})

    @property
    def st_uop_layout(self) -> data.StructLayout:
        return data.StructLayout({
            "dram": unsigned(64),
            "row": unsigned(self.row_bits),
            "acc": 1,                    # source is the accumulator
            "full": 1,                   # accumulator source: raw acc_t output
            "rows": self.count_shape,
            "cols": range(self.max_cols + 1),
            "stride": unsigned(32),      # DRAM bytes between rows (pooling: between pixels)
            "scale": unsigned(32),       # acc_scale (fp32 bits)
            "relu": 1,                   # acc_act == RELU
            "pool": self.pool_layout,    # pooling when pool.stride != 0
        })

    @property
    def operand_stream_layout(self) -> data.StructLayout:
        """DIM beats of one operand: beat r < count is scratchpad row ``row + r*stride`` with its
        first ``width`` elements kept (the rest zero); beats >= count are zero rows."""
        return data.StructLayout({"row": unsigned(self.row_bits), "stride": unsigned(16),
                                  "count": self.count_shape, "width": self.count_shape,
                                  "garbage": 1})

    @property
    def c_layout(self) -> data.StructLayout:
        """Result rows r < rows go to local row ``row + r*stride``, first `cols` elements."""
        return data.StructLayout({"write": 1, "row": unsigned(self.row_bits), "acc": 1,
                                  "accumulate": 1, "rows": self.count_shape,
                                  "cols": self.count_shape, "stride": unsigned(16)})

    @property
    def ex_ctrl_layout(self) -> data.StructLayout:
        return data.StructLayout({"dataflow": 1, "flip": 1, "a_transpose": 1, "b_transpose": 1})

    @property
    def ex_uop_layout(self) -> data.StructLayout:
        s = self.operand_stream_layout
        return data.StructLayout({
            "a": s, "p": s, "x": s,      # A, the preloaded B/D (flip only), the compute's B/D
            "c": self.c_layout,
            "ctrl": self.ex_ctrl_layout,
            "relu": 1,                   # sys_act == RELU (scratchpad C only)
            "shift": self.shift_shape,   # in_shift (OS, scratchpad C only)
        })

    def uop_layout(self, queue: int) -> data.StructLayout:
        return (self.ld_uop_layout, self.ex_uop_layout, self.st_uop_layout)[queue]
