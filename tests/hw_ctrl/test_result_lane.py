"""The execute controller's write-back column, `ResultLane` (amaranth.sim), against the numpy
reference: ``raw`` is the result element one cycle later, ``elem`` is ``act(OS_SHIFT(raw, shift))``;
and the arguments that choose how lanes are placed."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from amaranth.sim import Simulator

from gemmini_gen import arith
from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.ctrl.execute import ExecuteController, ResultLane, result_lane_module
from gemmini_gen.hw.ctrl.uops import Geometry


def run_lane(acc_bits: int, elem_bits: int, shift_bits: int, xs, shifts, relus):
    """Present x in cycle i and (shift, relu) in cycle i + 1, as the controller does; collect
    (raw, elem) in cycle i + 1."""
    dut = ResultLane(acc_bits, elem_bits, shift_bits)
    raws, elems = [], []
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def bench(ctx):
        for i, x in enumerate(xs):
            ctx.set(dut.x, int(x))
            await ctx.tick()
            ctx.set(dut.shift, int(shifts[i]))
            ctx.set(dut.relu, int(relus[i]))
            raws.append(ctx.get(dut.raw))
            elems.append(ctx.get(dut.elem))
    sim.add_testbench(bench)
    sim.run()
    return np.array(raws, dtype=np.int64), np.array(elems, dtype=np.int64)


@pytest.mark.parametrize("acc_bits, elem_bits", [(32, 8), (20, 16)])
def test_result_lane_matches_reference(acc_bits, elem_bits):
    rng = np.random.default_rng(acc_bits)
    n = 600
    shift_bits = (acc_bits - 1).bit_length()
    lo, hi = -(1 << (acc_bits - 1)), (1 << (acc_bits - 1)) - 1
    xs = np.concatenate([[lo, hi, 0, -1, 1, 5, 7, -5, -7], rng.integers(lo, hi + 1, n)])
    shifts = rng.integers(0, acc_bits, len(xs))
    shifts[:9] = [0, 0, 0, 1, 1, 1, 1, 1, 1]
    relus = rng.integers(0, 2, len(xs))
    raw, elem = run_lane(acc_bits, elem_bits, shift_bits, xs, shifts, relus)
    assert np.array_equal(raw, xs)
    want = arith.os_shift(xs, shifts, elem_bits)
    want = np.where(relus.astype(bool), np.maximum(want, 0), want)
    assert np.array_equal(elem, want)


def _check_lane_placement():
    geo = Geometry(GemminiConfig().with_dim(4))
    assert result_lane_module(32, 8, 5) not in ExecuteController(geo).verilog_modules()
    modules = ExecuteController(geo, lanes="instance").verilog_modules()
    lane = modules[result_lane_module(32, 8, 5)]
    assert isinstance(lane, ResultLane) and lane.module_name == result_lane_module(32, 8, 5)
    assert result_lane_module(32, 8, 5) != result_lane_module(32, 16, 5)
    with pytest.raises(ValueError, match="lanes must be one of inline, instance"):
        ExecuteController(geo, lanes="verilog")
    with pytest.raises(ValueError, match="shift_bits must be a positive integer"):
        ResultLane(32, 8, 0)


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # listed, not converted
def test_lane_placement_arguments():
    _check_lane_placement()
    gc.collect()            # finalise the unconverted objects while their warning is filtered
