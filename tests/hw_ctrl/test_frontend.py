"""`FrontEnd` in amaranth.sim: the micro-ops and row ranges it produces for random legal programs.

The golden model runs the same program one command at a time; before each MVIN, MVOUT and COMPUTE
its configuration state and preload latch give the exact local rows the command reads and writes
(ISA.md section 7).  Every range the front end hands to the reservation station must be exactly
the bounding interval of those rows (none missed: the ordering would be wrong; none extra: it would
cost needless waits), and micro-ops must come out in program order, one per such command.
"""

from __future__ import annotations

import pytest
from amaranth.sim import Simulator

from gemmini_gen.config import preset
from gemmini_gen.golden.machine import GoldenMachine
from gemmini_gen.hw.ctrl.frontend import FrontEnd
from gemmini_gen.hw.ctrl.uops import EX, LD, ST
from gemmini_gen.isa import GARBAGE, Program, decode

WS = 1


def _interval(rows):
    return (min(rows), max(rows) + 1) if rows else None


def _mvin_rows(cfg, state, inst, state_id):
    ld = state.ld[state_id]
    rows = set()
    blocks = -(-inst.cols // cfg.dim)
    for blk in range(blocks):
        for r in range(inst.rows):
            row = inst.local.row + r + blk * ld.block_stride
            rows |= {row - p for p in range(ld.pixel_repeats) if p <= row}
    return inst.local.is_acc, rows


def _mvout_rows(cfg, state, inst):
    st = state.st
    if st.pool_stride:
        return inst.local.is_acc, set(range(inst.local.row,
                                            inst.local.row + st.orows * st.ocols))
    blocks = -(-inst.cols // cfg.dim)
    return inst.local.is_acc, {inst.local.row + b * cfg.dim + r for b in range(blocks)
                               for r in range(inst.rows)}


def _operand_rows(addr, rows, cols, transposed, stride, used=True):
    """Stored rows of an operand whose data is used (none when absent, GARBAGE or empty)."""
    if not used or addr == GARBAGE or rows == 0 or cols == 0:
        return set()
    count = cols if transposed else rows
    return {addr.row + stride * k for k in range(count)}


def _compute_rows(state, inst, flip):
    ex, latch = state.ex, state.latch
    ws = ex.dataflow == WS
    a = _operand_rows(inst.a, inst.a_rows, inst.a_cols, ex.a_transpose, ex.a_stride)
    p = _operand_rows(latch.bd, latch.bd_rows, latch.bd_cols, ws and ex.b_transpose, 1, flip)
    x = _operand_rows(inst.bd, inst.bd_rows, inst.bd_cols, not ws and ex.b_transpose, 1)
    c = set()
    if latch.c != GARBAGE and latch.c_rows and latch.c_cols:
        c = {latch.c.row + ex.c_stride * i for i in range(latch.c_rows)}
    return [a, p, x], (latch.c.is_acc if latch.c != GARBAGE else False, c)


def expected_ranges(cfg, program, memory):
    """Per micro-op in program order: (queue, [(acc, interval) read ranges], (acc, interval) write
    range), intervals None when empty."""
    machine = GoldenMachine(cfg)
    out = []
    for cmd in program.commands:
        inst = decode(cmd, cfg)
        state = machine.state
        if inst.name in ("mvin", "mvin2", "mvin3"):
            acc, rows = _mvin_rows(cfg, state, inst, ("mvin", "mvin2", "mvin3").index(inst.name))
            out.append((LD, [], (acc, _interval(rows))))
        elif inst.name == "mvout":
            acc, rows = _mvout_rows(cfg, state, inst)
            out.append((ST, [(acc, _interval(rows))], None))
        elif inst.name in ("compute_preloaded", "compute_accumulated"):
            reads, (acc, c) = _compute_rows(state, inst, inst.name == "compute_preloaded")
            out.append((EX, [(False, _interval(r)) for r in reads], (acc, _interval(c))))
        machine.execute(Program([cmd], program.regions), memory)
    return out


def _got_range(r):
    return (bool(r.acc), (r.lo, r.hi)) if r.valid else (None, None)


def _want_range(acc_interval):
    acc, interval = acc_interval
    return (bool(acc), interval) if interval else (None, None)


@pytest.mark.parametrize("name,seed", [("small", 1), ("small", 2), ("small_os", 3),
                                       ("small_ws", 4), ("medium", 5)])
def test_ranges_are_exact(name, seed):
    from gemmini_gen.rtl.programs.random_gen import random_case

    cfg = preset(name)
    case = random_case(cfg, seed=seed, commands=250)
    expected = expected_ranges(cfg, case.program, case.memory.copy())
    dut = FrontEnd(cfg)
    got = []

    async def testbench(ctx):
        ctx.set(dut.uop.ready, 1)
        ctx.set(dut.resp.ready, 1)
        ctx.set(dut.idle, 1)
        for cmd in case.program.commands:
            ctx.set(dut.cmd.valid, 1)
            ctx.set(dut.cmd.payload, {"funct": cmd.funct, "rs1": cmd.rs1, "rs2": cmd.rs2})
            await ctx.tick().until(dut.cmd.ready)
            ctx.set(dut.cmd.valid, 0)
            if ctx.get(dut.uop.valid):
                got.append(ctx.get(dut.uop.payload))
        await ctx.tick()
        if ctx.get(dut.uop.valid):
            got.append(ctx.get(dut.uop.payload))
        assert not ctx.get(dut.error), ctx.get(dut.error_info)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert len(got) == len(expected)
    problems = []
    for i, (payload, (queue, reads, write)) in enumerate(zip(got, expected)):
        if payload.queue != queue:
            problems.append(f"micro-op {i}: queue {payload.queue}, expected {queue}")
            continue
        ranges = payload.ranges
        for slot, want in zip(("r0", "r1", "r2"), reads):
            if _got_range(ranges[slot]) != _want_range(want):
                problems.append(f"micro-op {i} {slot}: {_got_range(ranges[slot])} != "
                                f"{_want_range(want)}")
        if write is not None and _got_range(ranges.w) != _want_range(write):
            problems.append(f"micro-op {i} w: {_got_range(ranges.w)} != {_want_range(write)}")
    assert not problems, problems[:6]
