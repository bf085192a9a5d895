"""`BufferedFIFO` behaves cycle for cycle like Amaranth's `SyncFIFOBuffered` (amaranth.sim)."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.sim import Simulator

from gemmini_gen.hw.fifo import BufferedFIFO


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_buffered_fifo_matches_amaranth(depth):
    """Both queues get the same random writes and reads (often back-pressured); every cycle their
    readiness, levels and (when readable) output data must agree, and the read-out sequence must
    be the written sequence."""
    width = 12
    rng = np.random.default_rng(depth)
    m = Module()
    m.submodules.ours = ours = BufferedFIFO(width=width, depth=depth)
    m.submodules.theirs = theirs = SyncFIFOBuffered(width=width, depth=depth)
    differences, written, read = [], [], []

    async def testbench(ctx):
        for cycle in range(800):
            w_en, r_en = bool(rng.random() < 0.6), bool(rng.random() < 0.5)
            value = int(rng.integers(1 << width))
            for fifo in (ours, theirs):
                ctx.set(fifo.w_en, w_en)
                ctx.set(fifo.w_data, value)
                ctx.set(fifo.r_en, r_en)
            state = [(ctx.get(f.w_rdy), ctx.get(f.r_rdy), ctx.get(f.level), ctx.get(f.w_level),
                      ctx.get(f.r_level), ctx.get(f.r_data) if ctx.get(f.r_rdy) else None)
                     for f in (ours, theirs)]
            if state[0] != state[1]:
                differences.append((cycle, state))
            if w_en and state[0][0]:
                written.append(value)
            if r_en and state[0][1]:
                read.append(state[0][5])
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert differences == []
    assert len(read) > 100 and read == written[:len(read)]
