"""cocotb helpers for Amaranth valid/ready streams and struct payloads (no DUT-specific knowledge).

Sampling rule (measured with cocotb 2.1 + Verilator): values read right after ``RisingEdge`` are the
values *before* that edge, so ``valid and ready`` read there is the handshake of that edge; values
written there take effect for the next edge.  `put` and `get` rely on that and, called back to back,
move one item per cycle.
"""

from __future__ import annotations

import random
from typing import Callable

import cocotb
from cocotb.triggers import RisingEdge, Timer
from amaranth.lib import data

__all__ = ["Stream", "pack", "unpack", "random_gaps", "start_watchdog", "watchdog"]


def _is_byte_array(shape) -> bool:
    return isinstance(shape, data.ArrayLayout) and shape.elem_shape.width == 8


def pack(layout: data.StructLayout, values: dict) -> int:
    """Integer of a struct: fields from `values` (byte arrays as bytes/np.uint8, the rest ints)."""
    out = 0
    for name, field in layout:
        value = values.get(name, 0)
        if _is_byte_array(field.shape) and not isinstance(value, int):
            value = int.from_bytes(bytes(value), "little")
        out |= (int(value) & ((1 << field.width) - 1)) << field.offset
    return out


def unpack(layout: data.StructLayout, value: int) -> dict:
    """Fields of a struct integer (byte arrays as `bytes`, the rest as unsigned ints)."""
    out = {}
    for name, field in layout:
        raw = (value >> field.offset) & ((1 << field.width) - 1)
        if _is_byte_array(field.shape):
            out[name] = raw.to_bytes(field.shape.length, "little")
        else:
            out[name] = raw
    return out


class Stream:
    """A DUT stream port `<name>__valid/ready/payload` with struct `layout`.

    `put`/`get` take an optional `gap` callable returning idle cycles to insert first (random
    back-pressure or starvation)."""

    def __init__(self, dut, name: str, layout: data.StructLayout, clk):
        self.valid = getattr(dut, f"{name}__valid")
        self.ready = getattr(dut, f"{name}__ready")
        self.payload = getattr(dut, f"{name}__payload")
        self.layout = layout
        self.clk = clk
        self.name = name
        self.count = 0

    def idle_source(self):
        self.valid.value = 0

    def idle_sink(self):
        self.ready.value = 0

    async def put(self, values: dict, gap: Callable[[], int] | None = None) -> None:
        for _ in range(gap() if gap else 0):
            await RisingEdge(self.clk)
        self.payload.value = pack(self.layout, values)
        self.valid.value = 1
        while True:
            await RisingEdge(self.clk)
            if self.ready.value:
                break
        self.valid.value = 0
        self.count += 1

    async def get(self, gap: Callable[[], int] | None = None) -> dict:
        for _ in range(gap() if gap else 0):
            await RisingEdge(self.clk)
        self.ready.value = 1
        while True:
            await RisingEdge(self.clk)
            if self.valid.value:
                break
        self.ready.value = 0
        self.count += 1
        return unpack(self.layout, int(self.payload.value))


def random_gaps(rng: random.Random, busy: float, longest: int = 4) -> Callable[[], int]:
    """A gap generator: with probability `busy` wait 1..longest cycles, else 0."""
    return lambda: rng.randint(1, longest) if rng.random() < busy else 0


async def watchdog(unit: str, progress: Callable[[], int], describe: Callable[[], str], *,
                   period_ns: float, stall_cycles: int) -> None:
    """Fail the test when `progress()` has not changed for `stall_cycles` cycles, naming `unit`."""
    step = max(1, stall_cycles // 8)
    last, stalled = progress(), 0
    while True:
        await Timer(step * period_ns, unit="ns")
        now = progress()
        if now != last:
            last, stalled = now, 0
            continue
        stalled += step
        if stalled >= stall_cycles:
            raise AssertionError(f"watchdog: {unit} is stuck (no progress for {stalled} cycles; "
                                 f"{describe()})")


def start_watchdog(unit: str, progress, describe, *, period_ns: float, stall_cycles: int = 5000):
    return cocotb.start_soon(watchdog(unit, progress, describe, period_ns=period_ns,
                                      stall_cycles=stall_cycles))
