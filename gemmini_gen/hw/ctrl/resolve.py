"""Resolution of commands into micro-ops: the configuration state the front end keeps (ISA.md section
5) and the combinational logic that turns a decoded MVIN, MVOUT or PRELOAD+COMPUTE into a micro-op,
its local row ranges (ISA.md section 10.1) and the checks that depend on that state.

Each ``resolve_*`` function adds comb statements to a module and returns ``(uop, ranges, checks)``:
`uop` and `ranges` are Signals of the `Geometry` layouts, `checks` a list of ``(violated, cause)``
in the order the golden model tests them.  Every check here is one the golden model makes, so a
program it accepts is never rejected.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data

from ...arith import f32_bits
from ...isa.table import GARBAGE
from .decoder import local_layout, rs_layouts
from .interface import ErrorCause
from .uops import Geometry

__all__ = ["ConfigState", "resolve_compute", "resolve_mvin", "resolve_mvout"]

ONE = f32_bits(1.0)          # reset value of every scale (ISA.md section 5)


class ConfigState:
    """Layouts and reset values of the configuration registers and the preload latch."""

    def __init__(self, geo: Geometry):
        cfg = geo.cfg
        self.ex_layout = data.StructLayout({
            "dataflow": 1, "relu": 1, "shift": geo.shift_shape, "a_transpose": 1,
            "b_transpose": 1, "a_stride": unsigned(16), "c_stride": unsigned(16)})
        self.ex_init = {"a_stride": 1, "c_stride": 1}
        self.ld_layout = data.StructLayout({
            "stride": unsigned(64), "block_stride": unsigned(16), "scale": unsigned(32),
            "shrunk": 1, "repeats": geo.count_shape})
        self.ld_init = {"stride": cfg.sp_row_bytes, "block_stride": cfg.dim, "scale": ONE,
                        "repeats": 1}
        self.st_layout = data.StructLayout({
            "stride": unsigned(32), "relu": 1, "scale": unsigned(32), "pool": geo.pool_layout})
        self.st_init = {"stride": cfg.sp_row_bytes, "scale": ONE}
        self.latch_layout = data.StructLayout({
            "bd": unsigned(32), "bd_rows": geo.count_shape, "bd_cols": geo.count_shape,
            "c": unsigned(32), "c_rows": geo.count_shape, "c_cols": geo.count_shape})
        self.latch_init = {"bd": GARBAGE, "c": GARBAGE}


def _range(m: Module, geo: Geometry, name: str, valid, acc, lo, hi):
    r = Signal(geo.range_layout, name=name)
    m.d.comb += [r.valid.eq(valid), r.acc.eq(acc), r.lo.eq(lo), r.hi.eq(hi)]
    return r


def _mem_rows(geo: Geometry, acc):
    return Mux(acc, geo.cfg.acc_rows, geo.cfg.sp_rows)


def resolve_mvin(m: Module, geo: Geometry, cmd, ld):
    """MVIN/MVIN2/MVIN3 `cmd` (a COMMAND_LAYOUT view) with its load state `ld` (ConfigState
    ld_layout view)."""
    cfg = geo.cfg
    rs2 = data.View(rs_layouts("mvin")[1], cmd.rs2)
    local = data.View(local_layout(cfg), rs2.local)
    rows, cols = rs2.rows, rs2.cols
    uop = Signal(geo.ld_uop_layout, name="mvin_uop")
    elem = ~local.acc | ld.shrunk
    blocks = Signal(range(geo.max_cols + 1), name="mvin_blocks")
    m.d.comb += blocks.eq((cols + cfg.dim - 1) >> (cfg.dim.bit_length() - 1))
    last = Signal(32, name="mvin_last")          # one past the last row written
    m.d.comb += last.eq(local.row + (blocks - 1) * ld.block_stride + rows)
    low = Signal(geo.range_bits, name="mvin_low")  # pixel repeats write up to repeats-1 rows lower
    m.d.comb += low.eq(Mux(local.row >= ld.repeats - 1, local.row - (ld.repeats - 1), 0))
    m.d.comb += [
        uop.dram.eq(cmd.rs1), uop.zero.eq(cmd.rs1 == 0), uop.row.eq(local.row),
        uop.acc.eq(local.acc), uop.accumulate.eq(local.accumulate), uop.elem.eq(elem),
        uop.rows.eq(rows), uop.cols.eq(cols), uop.stride.eq(ld.stride),
        uop.block_stride.eq(ld.block_stride), uop.scale.eq(ld.scale), uop.repeats.eq(ld.repeats),
    ]
    ranges = Signal(geo.all_ranges_layout, name="mvin_ranges")
    m.d.comb += ranges.w.eq(_range(m, geo, "mvin_w", 1, local.acc, low, last))
    repeated = ld.repeats > 1
    checks = [
        (~elem & (cols > cfg.dim * cfg.max_block_len_acc), ErrorCause.BAD_SIZE),
        (ld.block_stride < rows, ErrorCause.SEQUENCE),
        (repeated & local.acc, ErrorCause.SEQUENCE),
        (repeated & (cols * ld.repeats > cfg.dim), ErrorCause.SEQUENCE),
        (last > _mem_rows(geo, local.acc), ErrorCause.BAD_ADDRESS),
    ]
    return uop, ranges, checks


def resolve_mvout(m: Module, geo: Geometry, cmd, st):
    """MVOUT `cmd` with the store state `st` (ConfigState st_layout view)."""
    cfg = geo.cfg
    rs2 = data.View(rs_layouts("mvout")[1], cmd.rs2)
    local = data.View(local_layout(cfg), rs2.local)
    rows, cols = rs2.rows, rs2.cols
    pooled = st.pool.stride != 0
    uop = Signal(geo.st_uop_layout, name="mvout_uop")
    blocks = Signal(range(geo.max_cols + 1), name="mvout_blocks")
    m.d.comb += blocks.eq((cols + cfg.dim - 1) >> (cfg.dim.bit_length() - 1))
    last = Signal(32, name="mvout_last")         # one past the last row read
    with m.If(pooled):
        m.d.comb += last.eq(local.row + st.pool.orows * st.pool.ocols)
    with m.Else():
        m.d.comb += last.eq(local.row + (blocks - 1) * cfg.dim + rows)
    m.d.comb += [
        uop.dram.eq(cmd.rs1), uop.row.eq(local.row), uop.acc.eq(local.acc),
        uop.full.eq(local.acc & local.read_full & ~pooled), uop.rows.eq(Mux(pooled, 0, rows)),
        uop.cols.eq(cols), uop.stride.eq(st.stride), uop.scale.eq(st.scale),
        uop.relu.eq(st.relu), uop.pool.eq(st.pool),
    ]
    ranges = Signal(geo.all_ranges_layout, name="mvout_ranges")
    m.d.comb += ranges.r0.eq(_range(m, geo, "mvout_r", 1, local.acc, local.row, last))
    checks = [
        (~pooled & ((rows < 1) | (rows > cfg.dim)), ErrorCause.BAD_SIZE),
        (pooled & (cols > cfg.dim), ErrorCause.BAD_SIZE),
        (last > _mem_rows(geo, local.acc), ErrorCause.BAD_ADDRESS),
    ]
    return uop, ranges, checks


def _stream(m: Module, geo: Geometry, name: str, addr, used, rows, cols, transposed, stride):
    """One operand row stream: stored rows are the logical rows (or, transposed, the logical
    columns); no reads at all when the operand is unused, GARBAGE or empty.  Returns (stream view,
    its read range, one past its last row)."""
    s = Signal(geo.operand_stream_layout, name=f"{name}_stream")
    garbage = addr == GARBAGE
    count, width = Mux(transposed, cols, rows), Mux(transposed, rows, cols)
    reads = used & ~garbage & (width != 0)
    m.d.comb += [s.row.eq(addr[:geo.row_bits]), s.stride.eq(stride),
                 s.count.eq(Mux(reads, count, 0)), s.width.eq(width),
                 s.garbage.eq(used & garbage)]
    last = Signal(32, name=f"{name}_last")
    m.d.comb += last.eq(s.row + stride * (s.count - 1) + 1)
    return s, _range(m, geo, f"{name}_r", s.count != 0, 0, s.row, last), last


def resolve_compute(m: Module, geo: Geometry, cmd, flip, ex, latch):
    """COMPUTE_PRELOADED (`flip`) / COMPUTE_ACCUMULATED `cmd` merged with the preload `latch`, under
    the execute state `ex` (ConfigState views)."""
    cfg = geo.cfg
    r1, r2 = rs_layouts("compute_preloaded")
    rs1, rs2 = data.View(r1, cmd.rs1), data.View(r2, cmd.rs2)
    ws = ex.dataflow == 1
    uop = Signal(geo.ex_uop_layout, name="compute_uop")
    a, a_range, a_last = _stream(m, geo, "a", rs1.a, 1, rs1.a_rows, rs1.a_cols, ex.a_transpose,
                                 ex.a_stride)
    p, p_range, p_last = _stream(m, geo, "p", latch.bd, flip, latch.bd_rows, latch.bd_cols,
                                 ws & ex.b_transpose, 1)
    x, x_range, x_last = _stream(m, geo, "x", rs2.bd, 1, rs2.bd_rows, rs2.bd_cols,
                                 ~ws & ex.b_transpose, 1)
    c_local = data.View(local_layout(cfg), latch.c)
    writes = (latch.c != GARBAGE) & (latch.c_rows != 0) & (latch.c_cols != 0)
    c_last = Signal(32, name="c_last")
    m.d.comb += c_last.eq(c_local.row + ex.c_stride * (latch.c_rows - 1) + 1)
    m.d.comb += [
        uop.a.eq(a), uop.p.eq(p), uop.x.eq(x),
        uop.c.write.eq(writes), uop.c.row.eq(c_local.row), uop.c.acc.eq(c_local.acc),
        uop.c.accumulate.eq(c_local.accumulate), uop.c.rows.eq(latch.c_rows),
        uop.c.cols.eq(latch.c_cols), uop.c.stride.eq(ex.c_stride),
        uop.ctrl.dataflow.eq(ex.dataflow), uop.ctrl.flip.eq(flip),
        uop.ctrl.a_transpose.eq(ex.a_transpose), uop.ctrl.b_transpose.eq(ex.b_transpose),
        uop.relu.eq(ex.relu), uop.shift.eq(ex.shift),
    ]
    ranges = Signal(geo.all_ranges_layout, name="compute_ranges")
    m.d.comb += [ranges.r0.eq(a_range), ranges.r1.eq(p_range), ranges.r2.eq(x_range),
                 ranges.w.eq(_range(m, geo, "c_w", writes, c_local.acc, c_local.row, c_last))]
    unavailable = ws if not cfg.has_ws else (~ws if not cfg.has_os else 0)
    checks = [(unavailable, ErrorCause.MISSING_FEATURE)]
    for s, last in ((a, a_last), (p, p_last), (x, x_last)):
        checks.append(((s.count != 0) & (last > cfg.sp_rows), ErrorCause.BAD_ADDRESS))
    checks.append((writes & (c_last > _mem_rows(geo, c_local.acc)), ErrorCause.BAD_ADDRESS))
    return uop, ranges, checks
