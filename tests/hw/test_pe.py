"""The PE in amaranth.sim against a cycle-level Python reference of its documented semantics."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from gemmini_gen.config import Dataflow, GemminiConfig
from gemmini_gen.hw.pe import PE, ArrayWidths


def wrap(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


class ReferencePE:
    """The PE of gemmini_gen/hw/pe.py, one cycle at a time."""

    def __init__(self, cfg: GemminiConfig):
        self.w = ArrayWidths(cfg)
        self.acc = self.result = 0

    def outputs(self, beat: dict) -> dict:
        """Combinational outputs for this cycle's inputs."""
        w = self.w
        base = beat["preload"] if beat["load"] else self.acc
        if self._ws(beat):
            b_out = wrap(beat["b_in"] + beat["a"] * wrap(base, w.input), w.b)
        else:
            b_out = beat["b_in"]
        return {"b_out": b_out, "result_out": self.result}

    def tick(self, beat: dict):
        w = self.w
        base = beat["preload"] if beat["load"] else self.acc
        if self._ws(beat):
            acc_next = base
        else:
            acc_next = wrap(base + beat["a"] * wrap(beat["b_in"], w.input), w.stationary)
        if w.has_os:
            self.result = acc_next if beat["capture"] else beat["result_in"]
        self.acc = wrap(acc_next, w.stationary)

    def _ws(self, beat) -> bool:
        return bool(beat["ws"]) if self.w.both else self.w.has_ws


def random_beats(cfg: GemminiConfig, n: int, rng: random.Random, extreme=False) -> list[dict]:
    w = ArrayWidths(cfg)

    def value(bits):
        if extreme:
            return rng.choice([-(1 << (bits - 1)), (1 << (bits - 1)) - 1])
        return rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)

    beats = []
    for _ in range(n):
        beats.append({"a": value(w.input), "b_in": value(w.b), "preload": value(w.input),
                      "result_in": value(w.acc), "ws": rng.random() < 0.5,
                      "load": rng.random() < 0.2, "capture": rng.random() < 0.2})
    return beats


def run_pe(cfg: GemminiConfig, beats: list[dict]) -> list[tuple[dict, dict]]:
    """(got, want) outputs of every cycle."""
    dut = PE(cfg)
    ref = ReferencePE(cfg)
    compared = []

    async def testbench(ctx):
        for beat in beats:
            ctx.set(dut.a, beat["a"])
            ctx.set(dut.b_in, beat["b_in"])
            ctx.set(dut.preload, beat["preload"])
            if ref.w.has_os:
                ctx.set(dut.result_in, beat["result_in"])
            ctx.set(dut.ctrl, {"ws": beat["ws"], "load": beat["load"], "capture": beat["capture"]})
            want = ref.outputs(beat)
            got = {"b_out": ctx.get(dut.b_out),
                   "result_out": ctx.get(dut.result_out) if ref.w.has_os else 0}
            if not ref.w.has_os:
                want["result_out"] = 0
            compared.append((got, want))
            ref.tick(beat)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    return compared


CONFIGS = {
    "both_int8": GemminiConfig(),
    "both_int32_wraps": GemminiConfig(input_dtype="int32"),
    "both_int16_acc64": GemminiConfig(input_dtype="int16", acc_dtype="int64"),
    "ws_only": GemminiConfig(dataflow=Dataflow.WS),
    "os_only": GemminiConfig(dataflow=Dataflow.OS),
}


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("extreme", [False, True])
def test_pe_matches_reference(name, extreme):
    cfg = CONFIGS[name]
    beats = random_beats(cfg, 300, random.Random(f"{name}{extreme}"), extreme=extreme)
    for cycle, (got, want) in enumerate(run_pe(cfg, beats)):
        assert got == want, f"cycle {cycle}: {beats[cycle]}"


def _beat(**fields) -> dict:
    beat = {"a": 0, "b_in": 0, "preload": 0, "result_in": 0, "ws": 0, "load": 0, "capture": 0}
    beat.update(fields)
    return beat


def test_os_chain_restarts_from_preload_and_captures():
    """OS: a load beat with preload D=5 and three more beats accumulate 5 + 2*3 - 4*7 + 1*1 + 3*-2
    (the preload link is ignored without load); the capture beat's final sum appears on the result
    chain one cycle later."""
    beats = [_beat(preload=9), _beat(load=1, preload=5, a=2, b_in=3),
             _beat(a=-4, b_in=7, preload=8), _beat(a=1, b_in=1), _beat(a=3, b_in=-2, capture=1),
             _beat(result_in=99)]
    compared = run_pe(CONFIGS["both_int8"], beats)
    assert compared[5][0]["result_out"] == 5 + 6 - 28 + 1 - 6
    assert [got["b_out"] for got, _ in compared[1:5]] == [3, 7, 1, -2]     # B passes through


def test_ws_weight_is_installed_and_held():
    """WS: the load beat installs preload 3 as the weight; later beats reuse it; OS-style idle beats
    (a = 0) in between leave it alone."""
    beats = [_beat(preload=5), _beat(ws=1, load=1, a=2, b_in=10, preload=3),
             _beat(a=0, preload=-7), _beat(ws=1, a=-5, b_in=1), _beat(ws=1, a=4, b_in=0)]
    compared = run_pe(CONFIGS["both_int8"], beats)
    assert [compared[i][0]["b_out"] for i in (1, 3, 4)] == [16, -14, 12]
