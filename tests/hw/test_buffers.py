"""The transposing block buffer and the skew helpers, in amaranth.sim against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data
from amaranth.sim import Simulator

from gemmini_gen.hw.pipeline import skewed
from gemmini_gen.hw.transposer import TransposingBuffer


@pytest.mark.parametrize("dim", [2, 4, 8])
@pytest.mark.parametrize("transposable", [True, False])
def test_transposing_buffer(dim, transposable):
    """Random row writes (plain or transposed, with idle cycles) into random slots; every row read
    back must match a numpy model, including reads in the cycle of a write (old data)."""
    slots = 3
    rng = np.random.default_rng(dim + 10 * transposable)
    dut = TransposingBuffer(dim, signed(8), slots, transposable=transposable)
    model = np.zeros((slots, dim, dim), np.int64)
    mismatches = []

    async def testbench(ctx):
        expected_next = None
        for _ in range(600):
            write = rng.random() < 0.7
            slot, row = int(rng.integers(slots)), int(rng.integers(dim))
            transpose = bool(transposable and rng.random() < 0.5)
            values = rng.integers(-128, 128, dim)
            read_slot, read_row = int(rng.integers(slots)), int(rng.integers(dim))
            ctx.set(dut.write, {"en": write, "slot": slot, "row": row, "transpose": transpose,
                                "data": [int(v) for v in values]})
            ctx.set(dut.read, {"slot": read_slot, "row": read_row})
            if expected_next is not None:
                got = [ctx.get(dut.read_data[i]) for i in range(dim)]
                if got != expected_next:
                    mismatches.append((got, expected_next))
            expected_next = [int(v) for v in model[read_slot, read_row]]   # before this write
            if write:
                if transpose:
                    model[slot, :, row] = values
                else:
                    model[slot, row, :] = values
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert not mismatches, f"{len(mismatches)} wrong reads, first {mismatches[0]}"


@pytest.mark.parametrize("delays", [[0, 1, 2, 3], [0, 2, 4], [3, 2, 1, 0], [4, 2, 0], [0, 0, 1, 1],
                                    [5]])
def test_skewed_delays_each_element(delays):
    n = len(delays)
    layout = data.ArrayLayout(signed(8), n)
    m = Module()
    source = Signal(layout)
    out = skewed(m, source, delays, "skew")
    rng = np.random.default_rng(n)
    stream = rng.integers(-128, 128, (40, n))
    seen = []

    async def testbench(ctx):
        for values in stream:
            ctx.set(source, [int(v) for v in values])
            seen.append([ctx.get(out[g]) for g in range(n)])
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    got = np.array(seen)
    for g, d in enumerate(delays):
        assert np.array_equal(got[d:, g], stream[:len(stream) - d, g]), f"element {g}"


def test_skewed_rejects_non_monotonic_delays():
    with pytest.raises(ValueError, match="monotonic"):      # rejected before touching a module
        skewed(None, Signal(data.ArrayLayout(8, 3)), [0, 2, 1], "skew")
