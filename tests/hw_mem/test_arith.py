"""`hw/arith.py` against the numpy reference `gemmini_gen.arith` (amaranth.sim): R1 rounding shift and
saturation exhaustively over small widths, R2 scale_to_int on ISA section 6 examples, rounding ties,
double-rounding cases, saturation at both ends and random operands."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.sim import Simulator

from gemmini_gen import arith
from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.accumulator import Accumulator
from gemmini_gen.hw.arith import (RowScaler, ScaleToInt, os_shift, place_scalers, rshift_rne,
                                  saturate, scaler_modules)
from gemmini_gen.hw.ctrl.load import LoadController
from gemmini_gen.hw.ctrl.uops import Geometry
from gemmini_gen.hw.dma.params import DMAParams


def f32(bits: int) -> np.float32:
    return arith.f32_from_bits(bits)


def run_comb(inputs: dict, outputs: dict, vectors):
    """Evaluate a combinational circuit for each vector (a dict of input values)."""
    m = Module()
    for name, sig in outputs.items():
        m.d.comb += Signal.like(sig, name=f"keep_{name}").eq(sig)
    results = []
    sim = Simulator(m)

    async def bench(ctx):
        for vec in vectors:
            for name, value in vec.items():
                ctx.set(inputs[name], value)
            results.append({name: ctx.get(sig) for name, sig in outputs.items()})
    sim.add_testbench(bench)
    sim.run()
    return results


def test_rshift_rne_and_os_shift_exhaustive_8bit():
    x = Signal(signed(8))
    s = Signal(unsigned(5))
    outs = {"r1": rshift_rne(x, s), "os": os_shift(rshift_rne(x, s) * 3, 0, 8),
            "sat4": saturate(x, 4)}
    xs, ss = np.meshgrid(np.arange(-128, 128), np.arange(0, 32), indexing="ij")
    xs, ss = xs.ravel(), ss.ravel()
    got = run_comb({"x": x, "s": s}, outs, [{"x": int(a), "s": int(b)} for a, b in zip(xs, ss)])
    r1 = np.array([g["r1"] for g in got])
    want = arith.rshift_rne(xs, np.minimum(ss, 63))
    assert np.array_equal(r1, want)
    assert np.array_equal(np.array([g["os"] for g in got]), arith.sat(want * 3, 8))
    assert np.array_equal(np.array([g["sat4"] for g in got]),
                          np.clip(xs, -8, 7))


def test_rshift_rne_spec_examples_and_wide_random():
    cases = [(5, 1, 2), (7, 1, 4), (-5, 1, -2), (-7, 1, -4), (10, 2, 2), (14, 2, 4), (13, 2, 3),
             (-10, 2, -2), (-11, 2, -3)]
    x = Signal(signed(32))
    s = Signal(unsigned(6))
    rng = np.random.default_rng(7)
    rx = rng.integers(-(1 << 31), 1 << 31, 3000)
    rs = rng.integers(0, 64, 3000)
    vectors = [{"x": a, "s": b} for a, b, _ in cases] + \
              [{"x": int(a), "s": int(b)} for a, b in zip(rx, rs)]
    got = [g["r"] for g in run_comb({"x": x, "s": s}, {"r": os_shift(x, s, 32)}, vectors)]
    assert got[:len(cases)] == [c[2] for c in cases]
    want = arith.os_shift(np.array([v["x"] for v in vectors]), np.array([v["s"] for v in vectors]), 32)
    assert np.array_equal(np.array(got), want)


def run_scaler(in_width: int, out_width: int, xs, scale_bits, relu):
    """Push one (x, scale, relu) per cycle through ScaleToInt; results in order."""
    dut = ScaleToInt(in_width, out_width)
    n = len(xs)
    out = []
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for i in range(n + dut.LATENCY):
            if i < n:
                ctx.set(dut.x, int(xs[i]))
                ctx.set(dut.scale.as_value(), int(scale_bits[i]))
                ctx.set(dut.relu, int(relu[i]))
            await ctx.tick()
            if i >= dut.LATENCY - 1:
                out.append(ctx.get(dut.y))
    sim.add_testbench(bench)
    sim.run()
    return np.array(out[:n], dtype=np.int64)


def reference(xs, scale_bits, relu, out_width):
    want = np.array([arith.scale_to_int(np.int64(x), f32(b), out_width)
                     for x, b in zip(xs, scale_bits)], dtype=np.int64)
    return np.where(np.asarray(relu, bool), np.maximum(want, 0), want)


SPEC_EXAMPLES = [  # ISA section 6, w = 8: (x, scale bits, result)
    (5, arith.f32_bits(0.5), 2), (7, arith.f32_bits(0.5), 4), (-5, arith.f32_bits(0.5), -2),
    (3, arith.f32_bits(0.5), 2), (-1, arith.f32_bits(0.5), 0), (100, arith.f32_bits(2.0), 127),
    (-100, arith.f32_bits(2.0), -128), (1000, arith.f32_bits(np.float32(0.1)), 100),
    (66, 0x3F1D1746, 40), (33554433, 0x32800000, 0),
]


def corner_operands(in_width: int, rng):
    lo, hi = -(1 << (in_width - 1)), (1 << (in_width - 1)) - 1
    xs = [0, 1, -1, 2, -2, 3, 5, 7, -5, 66, 100, -100, 1000, lo, hi, lo + 1, hi - 1]
    for k in (24, 25, 26, 31, 53, 54, 62):
        if k < in_width - 1:
            xs += [(1 << k) + 1, (1 << k) - 1, -(1 << k) - 1, (1 << k) + 3]
    scales = [arith.f32_bits(v) for v in (0.5, 2.0, 1.0, -1.0, 0.25, 0.1, 1.5, -0.5, 3.0,
                                          1 / 3, 1e-6, 127.5)]
    scales += [0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x3F1D1746, 0x32800000]
    out_x, out_f = [], []
    for x in (x for x in xs if lo <= x <= hi):
        for f in scales:
            y = float(np.float32(np.float32(np.int64(x)) * f32(f)))
            if abs(y) < 2.0 ** 62:
                out_x.append(x)
                out_f.append(f)
    return out_x, out_f


def random_operands(in_width: int, rng, n: int):
    """Random x; scales 2**-k (exact halves: ties) and random fp32 around the range of x."""
    xs = rng.integers(-(1 << (in_width - 1)), (1 << (in_width - 1)) - 1, n, dtype=np.int64,
                      endpoint=True)
    exps = rng.integers(127 - min(in_width, 60) - 4, 127 + 6, n)
    fracs = rng.integers(0, 1 << 23, n)
    fracs[: n // 4] = 0                                   # powers of two: exact ties
    signs = rng.integers(0, 2, n)
    scales = (signs << 31) | (exps << 23) | fracs
    keep = [i for i in range(n)
            if abs(float(np.float32(np.float32(xs[i]) * f32(int(scales[i]))))) < 2.0 ** 62]
    return xs[keep], scales[keep]


def test_scale_spec_examples():
    xs = [c[0] for c in SPEC_EXAMPLES]
    scales = [c[1] for c in SPEC_EXAMPLES]
    got = run_scaler(32, 8, xs, scales, [0] * len(xs))
    assert list(got) == [c[2] for c in SPEC_EXAMPLES]
    assert np.array_equal(got, reference(xs, scales, [0] * len(xs), 8))


@pytest.mark.parametrize("in_width,out_width", [(32, 8), (64, 8), (8, 8), (32, 16), (64, 32)])
def test_scale_matches_reference(in_width, out_width):
    rng = np.random.default_rng(in_width * 100 + out_width)
    cx, cf = corner_operands(in_width, rng)
    rx, rf = random_operands(in_width, rng, 5000)
    xs = np.concatenate([np.array(cx, np.int64), rx])
    fs = np.concatenate([np.array(cf, np.int64), rf])
    relu = rng.integers(0, 2, xs.size)
    got = run_scaler(in_width, out_width, xs, fs, relu)
    want = reference(xs, fs, relu, out_width)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(int(xs[i]), hex(int(fs[i])), int(got[i]), int(want[i]))
                           for i in bad[:5]]
    # Both saturation limits and both signs were exercised.
    assert want.min() == -(1 << (out_width - 1)) and want.max() == (1 << (out_width - 1)) - 1


@pytest.mark.parametrize("in_width", [32, 8])
def test_row_scaler_stream_with_backpressure(in_width):
    """Rows with random scales (int8 rows: half of them at the identity scale 1.0, which bypasses
    the units) against the reference, tags in order, under random stalls."""
    dim, rows = 4, 40
    rng = np.random.default_rng(3)
    dut = RowScaler(dim, in_width, 8, tag_shape=unsigned(6))
    assert dut.identity_bypass == (in_width == 8)
    data = rng.integers(-(1 << (in_width - 1)), 1 << (in_width - 1), (rows, dim))
    scales = [arith.f32_bits(np.float32(rng.uniform(-2, 2) * 2.0 ** -int(rng.integers(0, 20))))
              if in_width == 32 or rng.random() < 0.5 else arith.f32_bits(1.0)
              for _ in range(rows)]
    relu = rng.integers(0, 2, rows)
    got = []
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def producer(ctx):
        for r in range(rows):
            for k in range(dim):
                ctx.set(dut.i.payload.data[k], int(data[r, k]))
            ctx.set(dut.i.payload.scale.as_value(), scales[r])
            ctx.set(dut.i.payload.relu, int(relu[r]))
            ctx.set(dut.i.payload.tag, r)
            ctx.set(dut.i.valid, 1)
            await ctx.tick().until(dut.i.ready)
            ctx.set(dut.i.valid, 0)
            if rng.random() < 0.3:
                await ctx.tick()

    async def consumer(ctx):
        cycles = 0
        while len(got) < rows:
            ready = rng.random() < 0.6
            ctx.set(dut.o.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.o.valid, dut.o.payload)
            cycles += 1
            assert cycles < 50 * rows, "watchdog: RowScaler stuck"
            if valid and ready:
                got.append((payload.tag, [payload.data[k] for k in range(dim)]))
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    assert [t for t, _ in got] == list(range(rows))
    want = np.stack([reference(data[r], [scales[r]] * dim, [relu[r]] * dim, 8) for r in range(rows)])
    assert np.array_equal(np.array([d for _, d in got]), want)


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # the rejected objects
def test_scaler_rejects_bad_widths():
    with pytest.raises(ValueError, match="out_width must be in 2..32"):
        ScaleToInt(32, 64)
    with pytest.raises(ValueError, match="dim must be a positive integer"):
        RowScaler(0, 32, 8)
    gc.collect()            # finalise the rejected objects while their warning is filtered


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # listed, not converted
def test_scaler_units_as_verilog_modules():
    """``units="instance"``: one module per (in_width, out_width), listed by every unit that
    places scalers; inline units list none.  (The instances themselves are simulated by the
    full-accelerator tests, tests/hw_ctrl and tests/rtl, against the golden model.)"""
    _check_scaler_modules()
    gc.collect()            # finalise the unconverted objects while their warning is filtered


def _check_scaler_modules():
    (name, unit), = scaler_modules(32, 8, "instance").items()
    assert isinstance(unit, ScaleToInt) and (unit.in_width, unit.out_width) == (32, 8)
    assert name == unit.module_name != ScaleToInt(8, 8).module_name
    assert scaler_modules(32, 8, "inline") == {}
    assert RowScaler(4, 32, 8, units="instance").verilog_modules().keys() == {name}
    assert RowScaler(4, 32, 8).verilog_modules() == {}
    cfg = GemminiConfig().with_dim(4)
    acc = Accumulator(cfg, storage="verilog", scalers="instance")
    assert name in acc.verilog_modules()
    load = LoadController(Geometry(cfg), DMAParams.from_config(cfg), scalers="instance")
    assert load.verilog_modules().keys() == {ScaleToInt(8, 8).module_name}


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # the rejected objects
def test_scaler_placement_rejects_bad_arguments():
    _check_bad_scaler_arguments()
    gc.collect()


def _check_bad_scaler_arguments():
    cfg = GemminiConfig().with_dim(4)
    with pytest.raises(ValueError, match="units must be one of inline, instance"):
        RowScaler(4, 32, 8, units="verilog")
    with pytest.raises(ValueError, match="units must be one of inline, instance"):
        place_scalers(Module(), "u", 32, 8, en=1, xs=[], scale=0, relu=0, units="x")
    with pytest.raises(ValueError, match="scalers must be one of inline, instance"):
        Accumulator(cfg, scalers="verilog")
    with pytest.raises(ValueError, match="scalers must be one of inline, instance"):
        LoadController(Geometry(cfg), DMAParams.from_config(cfg), scalers="verilog")
