"""amaranth.sim helpers for the local-memory tests (Glasgow-style stream put/get with a cycle counter)."""

from __future__ import annotations

import types

import pytest
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator


async def put(ctx, port, payload, cycle):
    """Offer `payload` on stream `port` until taken; returns the cycle of the handshake."""
    ctx.set(port.payload, payload)
    ctx.set(port.valid, 1)
    (when,) = await ctx.tick().sample(cycle).until(port.ready)
    ctx.set(port.valid, 0)
    return when


def simulate(dut, benches, *, watchdog_cycles: int, unit: str):
    """Run `benches` (async fns of (ctx, cycle)) against `dut` with a free-running cycle counter;
    fail naming `unit` if they have not all finished after `watchdog_cycles` cycles."""
    top = Module()
    top.submodules.dut = dut
    cycle = Signal(32)
    top.d.sync += cycle.eq(cycle + 1)
    sim = Simulator(top)
    sim.add_clock(1e-6)
    finished = []
    for bench in benches:
        async def run(ctx, bench=bench):
            await bench(ctx, cycle)
            finished.append(bench)
        sim.add_testbench(run)

    async def watchdog(ctx):
        for _ in range(watchdog_cycles):
            await ctx.tick()
        raise AssertionError(f"watchdog: {unit} stuck ({len(finished)} of {len(benches)} "
                             f"testbench processes finished after {watchdog_cycles} cycles)")
    sim.add_process(watchdog)          # background: the run ends when every bench has finished
    sim.run()
    assert len(finished) == len(benches)


@pytest.fixture
def memsim():
    return types.SimpleNamespace(put=put, simulate=simulate)
