"""A static walk over a program: the local rows it writes and reads, and the `ExecStats` the golden
model would report for it.

The walk replays the configuration state rows and counts depend on (load states, CONFIG_EX strides
and transposes, CONFIG_ST's scale-free fields and pooling image, the preload latch, the installed
weights' shape) and records:

* `Footprint`: rows written (MVIN blocks and pixel-repeat copies, compute C rows `c_stride` apart)
  and read (compute A `a_stride` apart, the B/D a COMPUTE_PRELOADED installs, the compute's own B
  (OS) or D (WS), MVOUT blocks, a pooled MVOUT's whole image);
* `ExecStats`: instruction counts and the golden model's accounting of DRAM bytes, local rows and
  MACs, rule for rule (`golden/movement.py`, `golden/matmul.py`), so a backend that does not
  interpret commands (the RTL) reports the same statistics as the golden model.

Commands that do not decode legally are skipped (the hardware drops them); they count as "illegal".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...backend import ExecStats
from ...config import GemminiConfig
from ...isa import GARBAGE, IllegalInstruction, Program, decode

__all__ = ["Footprint", "local_footprint", "program_stats"]

_STATE = {"mvin": 0, "mvin2": 1, "mvin3": 2}


@dataclass
class Footprint:
    """Row sets per memory."""

    sp_written: set[int] = field(default_factory=set)
    acc_written: set[int] = field(default_factory=set)
    sp_read: set[int] = field(default_factory=set)
    acc_read: set[int] = field(default_factory=set)

    @property
    def sp_touched(self) -> set[int]:
        return self.sp_written | self.sp_read

    @property
    def acc_touched(self) -> set[int]:
        return self.acc_written | self.acc_read


class _Walk:
    def __init__(self, cfg: GemminiConfig) -> None:
        self.cfg, self.fp, self.stats = cfg, Footprint(), ExecStats()
        d = cfg.dim
        self.ld = [dict(block_stride=d, repeats=1, shrunk=False) for _ in range(3)]
        self.ex = dict(dataflow=0, a_transpose=False, b_transpose=False, a_stride=1, c_stride=1)
        self.pool = None                  # the CONFIG_ST fields while pooling is configured
        self.latch = None
        self.weights = (0, 0)             # WS: rows x cols of the installed weights

    def rows(self, is_acc: bool, written: bool, rows) -> None:
        limit = self.cfg.acc_rows if is_acc else self.cfg.sp_rows
        fp = self.fp
        target = (fp.acc_written if written else fp.acc_read) if is_acc else \
            (fp.sp_written if written else fp.sp_read)
        target.update(r for r in rows if 0 <= r < limit)

    def operand(self, addr, count: int, stride: int = 1) -> None:
        """A scratchpad operand read by a compute (counted as the golden model counts it)."""
        if addr != GARBAGE and count:
            self.rows(False, False, (addr.row + stride * i for i in range(count)))
            self.stats.sp_rows_read += count

    def step(self, inst) -> None:
        name = inst.name
        self.stats.instructions[name] = self.stats.instructions.get(name, 0) + 1
        if name == "config_ld":
            self.ld[inst.id] = dict(block_stride=inst.block_stride,
                                    repeats=inst.pixel_repeats or 1, shrunk=inst.shrunk)
        elif name == "config_ex":
            if not inst.set_only_strides:
                self.ex.update(dataflow=inst.dataflow, a_transpose=inst.a_transpose,
                               b_transpose=inst.b_transpose)
            self.ex.update(a_stride=inst.a_stride, c_stride=inst.c_stride)
        elif name == "config_st":
            self.pool = inst if inst.pool_stride else None
        elif name in _STATE:
            self.mvin(inst, self.ld[_STATE[name]])
        elif name == "mvout":
            self.mvout(inst)
        elif name == "preload":
            self.latch = inst
        elif name in ("compute_preloaded", "compute_accumulated"):
            self.compute(inst, name == "compute_preloaded")

    def mvin(self, inst, ld: dict) -> None:
        cfg, st, d = self.cfg, self.stats, self.cfg.dim
        to_acc = inst.local.is_acc
        esz = cfg.input_bytes if (not to_acc or ld["shrunk"]) else cfg.acc_bytes
        if inst.dram:
            st.dram_bytes_read += inst.rows * inst.cols * esz
        repeats = 1 if to_acc else ld["repeats"]
        for blk in range(-(-inst.cols // d)):
            first = inst.local.row + blk * ld["block_stride"]
            self.rows(to_acc, True, range(first - repeats + 1, first + inst.rows))
            if to_acc:
                st.acc_rows_written += inst.rows
                continue
            for p in range(repeats):            # copy p lands p rows up, never below row 0
                lowest = max(0, p - first)
                if lowest < inst.rows:
                    st.sp_rows_written += inst.rows - lowest

    def mvout(self, inst) -> None:
        cfg, st, d = self.cfg, self.stats, self.cfg.dim
        from_acc = inst.local.is_acc
        if self.pool is not None:
            p = self.pool
            pixels = p.orows * p.ocols
            self.rows(from_acc, False, range(inst.local.row, inst.local.row + pixels))
            if from_acc:
                st.acc_rows_read += pixels
            else:
                st.sp_rows_read += pixels
            if p.porows and p.pocols:
                st.dram_bytes_written += p.porows * p.pocols * inst.cols * cfg.input_bytes
            return
        blocks = -(-inst.cols // d)
        for blk in range(blocks):
            first = inst.local.row + blk * d
            self.rows(from_acc, False, range(first, first + inst.rows))
        if from_acc:
            st.acc_rows_read += inst.rows * blocks
        else:
            st.sp_rows_read += inst.rows * blocks
        osz = cfg.acc_bytes if (from_acc and inst.local.read_full) else cfg.input_bytes
        st.dram_bytes_written += inst.rows * inst.cols * osz

    def compute(self, inst, flip: bool) -> None:
        ex, latch, st = self.ex, self.latch, self.stats
        ws = ex["dataflow"] == 1
        a_live = inst.a != GARBAGE
        if a_live:
            self.operand(inst.a, inst.a_cols if ex["a_transpose"] else inst.a_rows,
                         ex["a_stride"])
        bd_rows, bd_cols = (latch.bd_rows, latch.bd_cols) if latch else (0, 0)
        bd = latch.bd if latch else GARBAGE
        if flip:
            if bd != GARBAGE and bd_rows and bd_cols:
                self.operand(bd, bd_cols if (ws and ex["b_transpose"]) else bd_rows)
            self.weights = (bd_rows, bd_cols) if bd != GARBAGE else (0, 0)
        x_rows, x_cols = (inst.bd_rows, inst.bd_cols) if inst.bd != GARBAGE else (0, 0)
        if ws:
            if a_live:
                st.macs_useful += inst.a_rows * min(inst.a_cols, self.weights[0]) \
                    * self.weights[1]
            if x_rows and x_cols:
                self.operand(inst.bd, x_rows)
        else:
            self.operand(inst.bd, x_cols if ex["b_transpose"] else x_rows)
            if a_live:
                st.macs_useful += inst.a_rows * min(inst.a_cols, x_rows) * x_cols
        st.macs_array += self.cfg.dim ** 3
        if latch and latch.c != GARBAGE and latch.c_rows and latch.c_cols:
            self.rows(latch.c.is_acc, True,
                      (latch.c.row + ex["c_stride"] * i for i in range(latch.c_rows)))
            if latch.c.is_acc:
                st.acc_rows_written += latch.c_rows
            else:
                st.sp_rows_written += latch.c_rows


def _walk(program: Program, cfg: GemminiConfig) -> _Walk:
    walk = _Walk(cfg)
    for cmd in program.commands:
        try:
            inst = decode(cmd, cfg)
        except IllegalInstruction:
            walk.stats.instructions["illegal"] = walk.stats.instructions.get("illegal", 0) + 1
            continue
        walk.step(inst)
    return walk


def local_footprint(program: Program, cfg: GemminiConfig) -> Footprint:
    """The rows `program` writes and reads (see the module docstring)."""
    return _walk(program, cfg).fp


def program_stats(program: Program, cfg: GemminiConfig) -> ExecStats:
    """The `ExecStats` the golden model reports for `program` (illegal commands counted as
    "illegal" and otherwise ignored, as the hardware drops them)."""
    return _walk(program, cfg).stats
