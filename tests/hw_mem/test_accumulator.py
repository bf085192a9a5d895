"""Accumulator (amaranth.sim) against a numpy model: overwrite/accumulate with element masks,
back-to-back accumulate chains to one row from two clients, the documented write->read visibility,
exact read latency, and scaled reads (ACC_SCALE + ReLU) against `gemmini_gen.arith`."""

from __future__ import annotations

import random

import numpy as np
import pytest

from gemmini_gen import arith
from gemmini_gen.config import GemminiConfig, preset
from gemmini_gen.hw.accumulator import Accumulator

SMALL = preset("small")          # DIM 4, int32 accumulator, 2 banks of 256 rows


def run_traffic(memsim, cfg, *, writes_per_client=200, reads=300, seed=1):
    """Random writes from every write client and concurrent full-width reads; returns
    (write log, read log, read results) with handshake cycles."""
    dut = Accumulator(cfg)
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    hot = [rng.randrange(cfg.acc_rows) for _ in range(3)]        # accumulate chains land here
    full_mask = (1 << cfg.dim) - 1
    wlog, rlog, rdata = [], [], []

    def writer(client, priority):
        async def bench(ctx, cycle):
            for i in range(writes_per_client):
                if rng.random() < 0.25:
                    await ctx.tick()
                row = hot[rng.randrange(3)] if rng.random() < 0.6 else rng.randrange(cfg.acc_rows)
                acc = int(rng.random() < 0.7)
                mask = full_mask if rng.random() < 0.5 else rng.randrange(full_mask + 1)
                values = [int(v) for v in nrng.integers(cfg.acc_min, cfg.acc_max, cfg.dim,
                                                         endpoint=True)]
                when = await memsim.put(ctx, dut.write_port(client),
                                        {"addr": row, "data": values, "mask": mask,
                                         "accumulate": acc}, cycle)
                wlog.append((when, priority, row, values, mask, acc))
        return bench

    async def reader(ctx, cycle):
        for i in range(reads):
            if rng.random() < 0.3:
                await ctx.tick()
            row = hot[rng.randrange(3)] if rng.random() < 0.5 else rng.randrange(cfg.acc_rows)
            when = await memsim.put(ctx, dut.read_store.req,
                                    {"addr": row, "full": 1, "tag": i & 0xFF}, cycle)
            rlog.append((when, row))

    async def collector(ctx, cycle):
        port = dut.read_store.resp
        while len(rdata) < reads:
            _, _, valid, payload, now = await ctx.tick().sample(port.valid, port.payload, cycle)
            if valid:
                rdata.append((now, payload.tag, [payload.data[k] for k in range(cfg.dim)]))

    benches = [writer(c, p) for p, c in enumerate(dut.write_clients)] + [reader, collector]
    memsim.simulate(dut, benches, watchdog_cycles=40 * reads, unit="accumulator")
    return dut, wlog, rlog, rdata


@pytest.mark.parametrize("acc_latency", [1, 2, 3])
def test_accumulate_chains_masks_and_visibility(acc_latency, memsim):
    cfg = SMALL.replace(acc_latency=acc_latency)
    dut, wlog, rlog, rdata = run_traffic(memsim, cfg)
    # Writes take effect in handshake order; a read handshaked in cycle tr sees exactly the
    # writes handshaked in cycles tw <= tr - (acc_latency - 1).
    wlog.sort(key=lambda w: (w[0], w[1]))
    assert any(a[0] + 1 == b[0] and a[2] == b[2] and a[5] and b[5] for a, b in zip(wlog, wlog[1:])), \
        "no back-to-back accumulate to one row was exercised"
    model = np.zeros((cfg.acc_rows, cfg.dim), np.int64)
    expected = []
    pending = iter(wlog)
    nxt = next(pending, None)
    for tr, row in rlog:
        while nxt is not None and nxt[0] <= tr - (acc_latency - 1):
            _, _, wrow, values, mask, acc = nxt
            for k in range(cfg.dim):
                if mask >> k & 1:
                    model[wrow, k] = arith.wrap(model[wrow, k] + values[k], cfg.acc_bits) if acc \
                        else values[k]
            nxt = next(pending, None)
        expected.append(model[row].copy())
    assert [t for t, _, _ in rdata] == [t + dut.read_latency for t, _ in rlog]
    assert [t for _, t, _ in rdata] == [i & 0xFF for i in range(len(rlog))]
    assert np.array_equal(np.array([d for _, _, d in rdata]), np.array(expected))


def fp32_fields(bits: int) -> dict:
    return {"frac": bits & 0x7FFFFF, "exp": (bits >> 23) & 0xFF, "sign": bits >> 31}


SCALE_CASES = [0.5, 2.0, 1.0, -1.0, 0.1, 1 / 3, 2.0 ** -20, 1e-3, 0.0]


@pytest.mark.parametrize("cfg", [SMALL, GemminiConfig()], ids=["small", "default"])
def test_scaled_reads(cfg, memsim):
    dut = Accumulator(cfg)
    nrng = np.random.default_rng(11)
    rows = 12
    special = [0, 1, -1, 5, 7, -5, 3, 66, 1000, 255, -255, 33554433, cfg.acc_max, cfg.acc_min,
               127, -128, 128, -129, (1 << 24) + 1, -(1 << 24) - 3]
    values = nrng.integers(cfg.acc_min, cfg.acc_max, (rows, cfg.dim), endpoint=True)
    flat = values.reshape(-1)
    flat[:len(special)] = special[:flat.size]
    small = nrng.integers(-600, 600, (rows // 2, cfg.dim))        # lands near elem range
    values[rows // 2:] = small
    reads = []
    for i in range(40):
        scale = SCALE_CASES[i % len(SCALE_CASES)] if i < 30 else float(nrng.uniform(-3, 3))
        reads.append((i % rows, int(i % 5 == 4), arith.f32_bits(scale), int(i % 3 == 0)))
    # ISA section 6 double-rounding examples: 66 * 0x3F1D1746 -> 40, 33554433 * 2**-26 -> 0.
    reads.append((special.index(66) // cfg.dim, 0, 0x3F1D1746, 0))
    reads.append((special.index(33554433) // cfg.dim, 0, 0x32800000, 0))
    got = []

    async def bench(ctx, cycle):
        for r in range(rows):
            await memsim.put(ctx, dut.write_port("load"),
                             {"addr": r, "data": [int(v) for v in values[r]],
                              "mask": (1 << cfg.dim) - 1, "accumulate": 0}, cycle)
        await ctx.tick().repeat(cfg.acc_latency)
        for i, (row, full, scale, relu) in enumerate(reads):
            await memsim.put(ctx, dut.read_store.req, {"addr": row, "full": full,
                                                       "scale": fp32_fields(scale),
                                                       "relu": relu, "tag": i}, cycle)

    async def collect(ctx, cycle):
        port = dut.read_store.resp
        while len(got) < len(reads):
            _, _, valid, payload = await ctx.tick().sample(port.valid, port.payload)
            if valid:
                got.append([payload.data[k] for k in range(cfg.dim)])

    memsim.simulate(dut, [bench, collect], watchdog_cycles=2000, unit="accumulator")
    want = []
    for row, full, scale, relu in reads:
        if full:
            want.append(values[row])
        else:
            out = arith.scale_to_int(values[row], arith.f32_from_bits(scale), cfg.input_bits)
            want.append(arith.relu(out) if relu else out)
    assert np.array_equal(np.array(got), np.array(want))
    assert got[-2][special.index(66) % cfg.dim] == 40
    assert got[-1][special.index(33554433) % cfg.dim] == 0
    scaled = np.array([g for g, r in zip(got, reads) if not r[1]])
    assert scaled.min() == cfg.elem_min and scaled.max() == cfg.elem_max   # both saturations


def test_read_without_scaler_returns_raw(memsim):
    cfg = SMALL.replace(acc_scale="none")
    dut = Accumulator(cfg)
    assert dut.read_latency == 1
    got = []

    async def bench(ctx, cycle):
        await memsim.put(ctx, dut.write_port("ex"), {"addr": 3, "data": [300, -300, 5, 9],
                                                     "mask": 0b1111, "accumulate": 1}, cycle)
        await ctx.tick().repeat(cfg.acc_latency)
        await memsim.put(ctx, dut.read_store.req, {"addr": 3, "full": 0, "tag": 0}, cycle)
        while not got:
            _, _, valid, payload = await ctx.tick().sample(dut.read_store.resp.valid,
                                                           dut.read_store.resp.payload)
            if valid:
                got.append([payload.data[k] for k in range(cfg.dim)])
    memsim.simulate(dut, [bench], watchdog_cycles=100, unit="accumulator")
    assert got == [[300, -300, 5, 9]]
