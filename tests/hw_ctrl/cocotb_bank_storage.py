"""cocotb side of test_bank_storage.py: random traffic into both storages of every bank shape,
outputs compared every cycle.  $BANK_SETUP lists the shapes."""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

SHAPES = json.loads(os.environ.get("BANK_SETUP", "[]"))
CYCLES = 3000


@cocotb.test()
async def storages_agree(dut):
    rng = random.Random(1)
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    compared = 0
    for cycle in range(CYCLES):
        await FallingEdge(dut.clk)
        for s in SHAPES:
            i = s["index"]
            if cycle > 2:
                for r in range(s["reads"]):
                    want = getattr(dut, f"amaranth{i}_{r}").value.to_unsigned()
                    got = getattr(dut, f"verilog{i}_{r}").value.to_unsigned()
                    assert got == want, f"shape {s}: port {r} at cycle {cycle}: " \
                                        f"verilog {got:#x}, amaranth {want:#x}"
                    compared += 1
            hot = rng.randrange(min(4, s["depth"]))          # a few rows see most traffic
            pick = lambda: hot if rng.random() < 0.5 else rng.randrange(s["depth"])  # noqa: E731
            getattr(dut, f"waddr{i}").value = pick()
            getattr(dut, f"wdata{i}").value = rng.getrandbits(s["elems"] * s["bits"])
            getattr(dut, f"wen{i}").value = rng.getrandbits(s["elems"]) if rng.random() < 0.7 \
                else 0
            for r in range(s["reads"]):
                getattr(dut, f"raddr{i}_{r}").value = pick()
    assert compared > CYCLES
