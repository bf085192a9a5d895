"""cocotb side of test_clock_gate.py: random traffic into both variants of each gated unit, with
idle stretches and back-pressure; every output compared every cycle.  $GATE_SETUP gives the sizes."""

from __future__ import annotations

import json
import os
import random
import struct

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

SETUP = json.loads(os.environ.get("GATE_SETUP", "{}"))
CYCLES = 4000


def _scale(rng: random.Random) -> int:
    """fp32 bits of a scale that keeps results in range most of the time, sometimes special, often
    the identity 1.0 (which int8 rows take past the RowScaler's units)."""
    if rng.random() < 0.4:
        return 0x3F800000
    if rng.random() < 0.05:
        return rng.choice([0, 0x7F800000, 0x7FC00000, 0x00000001, 0x80000000])
    value = rng.choice([1.0, -1.0, 0.5, 0.25]) * 2.0 ** rng.randint(-12, 2) * rng.uniform(0.5, 1.5)
    return struct.unpack("<I", struct.pack("<f", value))[0]


def _phase(cycle: int) -> bool:
    """Busy in bursts separated by idle stretches (the gates must close and reopen)."""
    return (cycle // 40) % 3 != 2


def _compare(dut, unit: str, fields: list[str], cycle: int) -> bool:
    plain_valid = int(getattr(dut, f"{unit}_plain_valid").value)
    gated_valid = int(getattr(dut, f"{unit}_gated_valid").value)
    assert gated_valid == plain_valid, f"{unit}: valid differs at cycle {cycle}"
    for field in fields:
        plain = int(getattr(dut, f"{unit}_plain_{field}").value)
        gated = int(getattr(dut, f"{unit}_gated_{field}").value)
        if field in ("ready", "wready", "rready") or plain_valid:
            assert gated == plain, f"{unit}: {field} differs at cycle {cycle}: " \
                                   f"gated {gated:#x}, plain {plain:#x}"
    return bool(plain_valid)


@cocotb.test()
async def gated_units_agree(dut):
    rng = random.Random(7)
    row, acc, tag_bits = SETUP["row"], SETUP["acc"], SETUP["tag_bits"]
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    for name in ("row_valid", "w_valid", "r_valid", "row_ready_out"):
        getattr(dut, name).value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    rows_out = reads_out = 0
    for cycle in range(CYCLES):
        await FallingEdge(dut.clk)
        rows_out += _compare(dut, "row", ["ready", "data", "tag"], cycle)
        reads_out += _compare(dut, "acc", ["wready", "rready", "data", "tag"], cycle)
        busy = _phase(cycle)
        dut.row_valid.value = int(busy and rng.random() < 0.6)
        dut.row_data.value = rng.getrandbits(row["elems"] * row["in_bits"])
        dut.row_scale.value = _scale(rng)
        dut.row_relu.value = rng.getrandbits(1)
        dut.row_tag.value = rng.getrandbits(tag_bits)
        dut.row_ready_out.value = int(rng.random() < 0.7)
        dut.w_valid.value = int(rng.random() < 0.5)
        dut.w_addr.value = rng.randrange(acc["rows"])
        dut.w_data.value = rng.getrandbits(acc["dim"] * acc["bits"])
        dut.w_mask.value = rng.getrandbits(acc["dim"])
        dut.w_accumulate.value = rng.getrandbits(1)
        dut.r_valid.value = int(busy and rng.random() < 0.5)
        dut.r_addr.value = rng.randrange(acc["rows"])
        dut.r_full.value = int(rng.random() < 0.2)
        dut.r_scale.value = _scale(rng)
        dut.r_relu.value = rng.getrandbits(1)
        dut.r_tag.value = rng.getrandbits(tag_bits)
    # Enough results of both kinds went through for the comparison to mean something.
    assert rows_out > CYCLES // 5, rows_out
    assert reads_out > CYCLES // 5, reads_out
