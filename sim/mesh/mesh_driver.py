"""cocotb driver for a `MeshWithDelays` top: resets it, streams packed beats into ``feed`` (with
optional random gaps) and records every ``result`` row, naming the stuck side if it hangs."""

from __future__ import annotations

import random

from amaranth.hdl import unsigned
from cocotb.triggers import ClockCycles, FallingEdge

from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.mesh_with_delays import feed_layout, result_layout
from mesh_bits import pack, pack_row, unpack_row

__all__ = ["MeshDriver", "STALL_LIMIT"]

#: Cycles without any progress after which a run is declared stuck.
STALL_LIMIT = 2000


class MeshDriver:
    """Drives ``feed`` and watches ``result`` of a `MeshWithDelays` top, one FallingEdge per
    cycle (values are stable there: writes take effect at the next rising edge)."""

    def __init__(self, dut, config: GemminiConfig, tag_bits: int):
        self.dut = dut
        self.config = config
        self.dim = config.dim
        tag = unsigned(tag_bits)
        self.feed = feed_layout(self.config, tag)
        self.result = result_layout(self.config, tag)
        self.row_field = self.result["row"]
        self.cycle = 0

    async def reset(self):
        self.dut.feed__valid.value = 0
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0
        await FallingEdge(self.dut.clk)

    def beats(self, blocks) -> list[int]:
        """The packed payload of every beat, in order."""
        bits = self.config.input_bits
        out = []
        for n in range(len(blocks["a"])):
            ws, flip, at, bt, tag = (int(v) for v in blocks["ctrl"][n])
            ctrl = pack(self.feed["ctrl"].shape, {"dataflow": ws, "flip": flip, "a_transpose": at,
                                                  "b_transpose": bt, "tag": tag})
            for r in range(self.dim):
                out.append(pack_row(blocks["a"][n][r], bits) << self.feed["a"].offset
                           | pack_row(blocks["x"][n][r], bits) << self.feed["x"].offset
                           | pack_row(blocks["p"][n][r], bits) << self.feed["p"].offset
                           | ctrl << self.feed["ctrl"].offset)
        return out

    async def run(self, beats: list[int], gap: float, rng: random.Random):
        """Stream `beats`; return (accept cycle of each beat, [(cycle, index, tag, row)]).
        ``busy`` must be clear in the cycle after the last result row."""
        dut, dim = self.dut, self.dim
        expected_rows = len(beats)
        accepted, outputs = [], []
        sent, idle, presenting, ready, last_progress = 0, 0, False, False, self.cycle
        acc_bits = self.config.acc_bits
        while len(outputs) < expected_rows:
            if dut.result__valid.value:
                raw = dut.result__payload.value.to_unsigned()
                row = unpack_row((raw >> self.row_field.offset) & ((1 << self.row_field.width) - 1),
                                 dim, acc_bits)
                index = (raw >> self.result["index"].offset) & ((1 << self.result["index"].width) - 1)
                tag = (raw >> self.result["tag"].offset) & ((1 << self.result["tag"].width) - 1)
                outputs.append((self.cycle, index, tag, row))
                last_progress = self.cycle
            if presenting and ready:          # the beat shown last cycle was taken at the edge
                accepted.append(self.cycle - 1)
                sent += 1
                presenting = False
                last_progress = self.cycle
            if not presenting and sent < len(beats):
                if idle == 0 and gap and rng.random() < gap:
                    idle = rng.randint(1, 3)
                if idle:
                    idle -= 1
                    dut.feed__valid.value = 0
                else:
                    dut.feed__payload.value = beats[sent]
                    dut.feed__valid.value = 1
                    presenting = True
            elif not presenting:
                dut.feed__valid.value = 0
            ready = bool(dut.feed__ready.value)
            if self.cycle - last_progress > STALL_LIMIT:
                side = ("feed (not ready)" if presenting and not ready
                        else "result (no output while busy)")
                raise AssertionError(
                    f"MeshWithDelays stuck at {side}: {sent}/{len(beats)} beats accepted, "
                    f"{len(outputs)}/{expected_rows} rows out, busy={int(dut.busy.value)}")
            await FallingEdge(dut.clk)
            self.cycle += 1
        dut.feed__valid.value = 0
        assert not dut.busy.value, "busy still set after the last result row"
        return accepted, outputs
