"""`CounterUnit` in amaranth.sim against a cycle-level Python model of ISA.md sections 7.8 / 10.2.

Random COUNTER operations (reset, snapshot reset, take snapshot, configure, read; several at once)
interleaved with random event activity: every response must equal the model's, and so must every
counter value read back at the end.
"""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.ctrl.counters import NUM_EXTERNAL, NUM_INTERNAL, CounterUnit

MASK = (1 << 64) - 1


class CounterModel:
    """The ISA's counter semantics, counting the events offered each cycle."""

    def __init__(self, n: int):
        self.event = [0] * n
        self.external = [False] * n
        self.value = [0] * n
        self.snapshot = [0] * n
        self.snapshot_mode = False

    def operate(self, op: dict) -> int:
        """Apply one operation (before this cycle's counting) and return its response."""
        if op["reset"]:
            self.value = [0] * len(self.value)
        if op["snapshot_reset"]:
            self.snapshot_mode = False
        if op["take_snapshot"]:
            self.snapshot = list(self.value)
            self.snapshot_mode = True
        i = op["index"]
        if op["configure"]:
            self.event[i], self.external[i], self.value[i] = op["event"], op["external"], 0
        return self.snapshot[i] if self.snapshot_mode else self.value[i]

    def count(self, internal: list[int], external: list[int], skip: set[int]) -> None:
        for i in range(len(self.value)):
            if i in skip or not self.event[i]:
                continue
            if self.external[i]:
                step = external[self.event[i]] if self.event[i] <= NUM_EXTERNAL else 0
            else:
                step = internal[self.event[i]] if self.event[i] <= NUM_INTERNAL else 0
            self.value[i] = (self.value[i] + step) & MASK


def _random_op(rng: random.Random, n: int) -> dict:
    external = rng.random() < 0.3
    return {"valid": 1, "reset": int(rng.random() < 0.1),
            "snapshot_reset": int(rng.random() < 0.15), "take_snapshot": int(rng.random() < 0.15),
            "configure": int(rng.random() < 0.3), "index": rng.randrange(n),
            "event": rng.randrange(1, (NUM_EXTERNAL if external else NUM_INTERNAL) + 1),
            "external": int(external)}


@pytest.mark.parametrize("num_counters", [8, 3])
def test_counters_match_model(num_counters):
    cfg = GemminiConfig(num_counters=num_counters)
    dut = CounterUnit(cfg)
    n = dut.count
    model = CounterModel(n)
    rng = random.Random(num_counters)
    mismatches = []

    async def testbench(ctx):
        for cycle in range(3000):
            internal = [0] + [int(rng.random() < 0.5) for _ in range(NUM_INTERNAL)]
            external = [0] + [rng.randrange(0, 70) for _ in range(NUM_EXTERNAL)]
            ctx.set(dut.events, {"internal": internal, "external": external})
            op = _random_op(rng, n) if rng.random() < 0.2 else None
            skip = set()
            if op is not None:
                ctx.set(dut.op, op)
                expected = model.operate(op)
                got = ctx.get(dut.value)
                if got != expected:
                    mismatches.append((cycle, op, expected, got))
                skip = set(range(n)) if op["reset"] else set()
                if op["configure"]:
                    skip.add(op["index"])
            else:
                ctx.set(dut.op, {"valid": 0})
            model.count(internal, external, skip)
            await ctx.tick()
        ctx.set(dut.events, {"internal": [0] * (NUM_INTERNAL + 1),
                             "external": [0] * (NUM_EXTERNAL + 1)})
        ctx.set(dut.op, {"valid": 1, "snapshot_reset": 1})
        model.operate({"reset": 0, "snapshot_reset": 1, "take_snapshot": 0, "configure": 0,
                       "index": 0})
        await ctx.tick()
        for i in range(n):
            ctx.set(dut.op, {"valid": 1, "index": i})
            if ctx.get(dut.value) != model.value[i]:
                mismatches.append(("final", i, model.value[i], ctx.get(dut.value)))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert not mismatches, mismatches[:5]
    assert any(model.value), "no counter ever counted"
