"""Scratchpad (amaranth.sim) against a numpy model: element masks, concurrent clients with random
gaps, bank conflicts (fixed priority) and parallel banks, exact read latency, write-first reads."""

from __future__ import annotations

import gc

import random

import numpy as np
import pytest

from gemmini_gen.config import preset
from gemmini_gen.hw.scratchpad import Scratchpad

CONFIGS = {
    "small": preset("small"),                                   # DIM 4, int8, 4 banks, delay 4
    "int16_2banks_delay1": preset("small").replace(input_dtype="int16", sp_banks=2,
                                                   spad_read_delay=1),
}


def random_row(rng, cfg):
    return [int(v) for v in rng.integers(cfg.elem_min, cfg.elem_max + 1, cfg.dim)]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_random_traffic(name, memsim):
    cfg = CONFIGS[name]
    dut = Scratchpad(cfg)
    rng = np.random.default_rng(5)
    gaps = random.Random(5)
    model = np.zeros((cfg.sp_rows, cfg.dim), np.int64)
    full = (1 << cfg.dim) - 1
    # Each write client owns half of the rows (so the final contents do not depend on which of
    # two same-cycle writes lands first), and favours a few rows to stack partial writes.
    plans = {}
    for client, parity in (("ex", 0), ("load", 1)):
        hot = [int(r) * 2 + parity for r in rng.integers(0, cfg.sp_rows // 2, 8)]
        plan = []
        for _ in range(250):
            row = hot[gaps.randrange(8)] if gaps.random() < 0.4 else \
                int(rng.integers(0, cfg.sp_rows // 2)) * 2 + parity
            mask = full if gaps.random() < 0.3 else int(rng.integers(0, full + 1))
            plan.append((row, random_row(rng, cfg), mask))
            for k in range(cfg.dim):
                if mask >> k & 1:
                    model[row, k] = plan[-1][1][k]
        plans[client] = plan
    written = sorted({r for p in plans.values() for r, _, _ in p})
    reads = {c: [written[gaps.randrange(len(written))] if gaps.random() < 0.8
                 else gaps.randrange(cfg.sp_rows) for _ in range(200)]
             for c in dut.read_clients}
    got = {c: [] for c in dut.read_clients}
    issued = {c: [] for c in dut.read_clients}
    phase = {"writes_done": 0}

    def writer(client):
        async def bench(ctx, cycle):
            for row, values, mask in plans[client]:
                if gaps.random() < 0.3:
                    await ctx.tick()
                await memsim.put(ctx, dut.write_port(client),
                                 {"addr": row, "data": values, "mask": mask}, cycle)
            phase["writes_done"] += 1
        return bench

    def reader(client):
        async def bench(ctx, cycle):
            while phase["writes_done"] < 2:
                await ctx.tick()
            await ctx.tick()
            for i, row in enumerate(reads[client]):
                if gaps.random() < 0.3:
                    await ctx.tick()
                when = await memsim.put(ctx, dut.read_port(client).req,
                                        {"addr": row, "tag": i & 0xFF}, cycle)
                issued[client].append(when)
        return bench

    def collector(client):
        port = dut.read_port(client).resp

        async def bench(ctx, cycle):
            while len(got[client]) < len(reads[client]):
                _, _, valid, payload, now = await ctx.tick().sample(port.valid, port.payload, cycle)
                if valid:
                    got[client].append((now, payload.tag, [payload.data[k] for k in range(cfg.dim)]))
        return bench

    benches = [writer(c) for c in dut.write_clients]
    benches += [f(c) for c in dut.read_clients for f in (reader, collector)]
    memsim.simulate(dut, benches, watchdog_cycles=20000, unit="scratchpad")
    for c in dut.read_clients:
        when = np.array([t for t, _, _ in got[c]])
        assert np.array_equal(when, np.array(issued[c]) + cfg.spad_read_delay), c
        assert [t for _, t, _ in got[c]] == [i & 0xFF for i in range(len(reads[c]))]
        assert np.array_equal(np.array([d for _, _, d in got[c]]), model[reads[c]]), c


def test_bank_conflicts_and_parallel_banks(memsim):
    cfg = CONFIGS["small"]
    dut = Scratchpad(cfg)
    rows = cfg.sp_bank_rows
    when = {}

    def read(client, addr, key):
        async def bench(ctx, cycle):
            when[key] = await memsim.put(ctx, dut.read_port(client).req, {"addr": addr, "tag": 0},
                                         cycle)
        return bench

    def write(client, addr, key):
        async def bench(ctx, cycle):
            await ctx.tick().repeat(10)
            when[key] = await memsim.put(ctx, dut.write_port(client),
                                         {"addr": addr, "data": [1] * cfg.dim, "mask": 1}, cycle)
        return bench

    # Same bank: served one per cycle in client order.  Distinct banks: all in the same cycle.
    memsim.simulate(dut, [read("store", 5, "s"), read("ex_bd", 6, "b"), read("ex_a", 7, "a"),
                          write("load", rows + 1, "l"), write("ex", rows + 2, "e")],
                    watchdog_cycles=100, unit="scratchpad")
    assert when["b"] == when["a"] + 1 and when["s"] == when["a"] + 2
    assert when["l"] == when["e"] + 1
    when.clear()
    memsim.simulate(dut, [read("store", 3 * rows, "s"), read("ex_bd", 2 * rows, "b"),
                          read("ex_a", 5, "a"), write("load", rows, "l"), write("ex", 0, "e")],
                    watchdog_cycles=100, unit="scratchpad")
    assert when["a"] == when["b"] == when["s"]
    assert when["l"] == when["e"]


def test_read_during_write_returns_new_elements(memsim):
    cfg = CONFIGS["small"]
    dut = Scratchpad(cfg)
    out, when = [], {}

    async def first_write(ctx, cycle):
        await memsim.put(ctx, dut.write_port("load"), {"addr": 9, "data": [1, 2, 3, 4],
                                                       "mask": 0b1111}, cycle)
        await ctx.tick()
        when["w"] = await memsim.put(ctx, dut.write_port("ex"),
                                     {"addr": 9, "data": [-5, -6, -7, -8], "mask": 0b0101}, cycle)

    async def read(ctx, cycle):
        await ctx.tick().repeat(2)
        when["r"] = await memsim.put(ctx, dut.read_port("store").req, {"addr": 9, "tag": 1}, cycle)
        while not out:
            _, _, valid, payload = await ctx.tick().sample(dut.read_store.resp.valid,
                                                           dut.read_store.resp.payload)
            if valid:
                out.append([payload.data[k] for k in range(cfg.dim)])

    memsim.simulate(dut, [first_write, read], watchdog_cycles=100, unit="scratchpad")
    assert when["w"] == when["r"]
    assert out == [[-5, 2, -7, 4]]


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # the rejected objects
def test_rejects_bad_clients():
    with pytest.raises(ValueError, match="duplicate read client names"):
        Scratchpad(preset("small"), read_clients=("a", "a"))
    with pytest.raises(ValueError, match="at least one write client"):
        Scratchpad(preset("small"), write_clients=())
    gc.collect()            # finalise the rejected objects while their warning is filtered
