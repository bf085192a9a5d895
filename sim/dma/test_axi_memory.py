"""cocotb tests of the AXI4 memory model alone (top: `AXI4Memory`, slave port `axi__*`).

Configured by the JSON in $AXI_MEMORY_SETUP: data_width, size_bytes, read_latency, write_latency,
work_dir, seed.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from gemmini_gen.hw.axi import Burst
from gemmini_gen.hw.axi_memory import encode_path, image_from_dump, image_segments
from streams import start_watchdog

SETUP = json.loads(os.environ.get("AXI_MEMORY_SETUP", "{}"))
PERIOD_NS = 10


class Bench:
    def __init__(self, dut):
        self.dut = dut
        self.bus_bytes = SETUP["data_width"] // 8
        self.size = SETUP["size_bytes"]
        self.latency = SETUP["read_latency"]
        self.rng = random.Random(SETUP.get("seed", 1))
        self.np_rng = np.random.default_rng(SETUP.get("seed", 1))
        self.work = Path(SETUP["work_dir"])
        self.image = np.zeros(self.size, np.uint8)

    async def start(self, master: bool = False):
        d = self.dut
        Clock(d.clk, PERIOD_NS, unit="ns").start()
        d.image__load.value = 0
        d.image__dump.value = 0
        self.master = None
        if master:
            from cocotbext.axi import AxiBus, AxiMaster
            self.master = AxiMaster(AxiBus.from_prefix(d, "axi_"), d.clk, d.rst)
        else:
            for sig in ("arvalid", "awvalid", "wvalid", "rready", "bready"):
                getattr(d, f"axi__{sig}").value = 0
        d.rst.value = 1
        await ClockCycles(d.clk, 3)
        d.rst.value = 0
        await RisingEdge(d.clk)

    async def backdoor(self, op: str, path: Path):
        self.dut.image__path.value = encode_path(path, len(self.dut.image__path) // 8)
        getattr(self.dut, f"image__{op}").value = 1
        await RisingEdge(self.dut.clk)
        getattr(self.dut, f"image__{op}").value = 0
        await RisingEdge(self.dut.clk)

    async def load(self, image: np.ndarray, base: int = 0):
        path = self.work / "in.seg"
        path.write_bytes(image_segments(image, base, self.bus_bytes))
        await self.backdoor("load", path)
        self.image[base:base + image.size] = image

    async def dump(self) -> np.ndarray:
        path = self.work / "out.bin"
        await self.backdoor("dump", path)
        return image_from_dump(path.read_bytes(), self.bus_bytes, 0, self.size)

    def word(self, addr: int) -> int:
        base = addr - addr % self.bus_bytes
        return int.from_bytes(self.image[base:base + self.bus_bytes].tobytes(), "little")


def beat_addresses(addr: int, beats: int, size: int, burst: int) -> list[int]:
    """Byte address of every beat of an AXI4 burst (the specification's formulas)."""
    step = 1 << size
    out, cur = [], addr
    total = beats * step
    for _ in range(beats):
        out.append(cur)
        if burst == Burst.FIXED:
            continue
        nxt = (cur - cur % step) + step
        if burst == Burst.WRAP and nxt % total == 0:
            nxt -= total
        cur = nxt
    return out


@cocotb.test()
async def image_roundtrip(dut):
    """A backdoor load at an offset, then a dump of the whole memory, byte for byte."""
    b = Bench(dut)
    await b.start()
    image = b.np_rng.integers(0, 256, b.size // 2 - 3, np.uint8)
    await b.load(image, base=b.size // 4 + 3)
    got = await b.dump()
    assert np.array_equal(got, b.image), "dumped image differs from the loaded one"


@cocotb.test()
async def read_latency_and_streaming(dut):
    """Bursts (INCR, FIXED, WRAP, narrow) issued back to back: the first beat comes exactly
    read_latency cycles after its AR handshake, later bursts follow with no gap."""
    b = Bench(dut)
    await b.start()
    await b.load(b.np_rng.integers(0, 256, b.size, np.uint8))
    d = b.dut
    full = (b.bus_bytes - 1).bit_length()
    bursts = []
    for i in range(24):
        burst = [Burst.INCR, Burst.FIXED, Burst.WRAP][i % 3]
        beats = b.rng.choice([2, 4, 8]) if burst == Burst.WRAP else b.rng.randint(1, 8)
        size = b.rng.randint(0, full)
        addr = b.rng.randrange(0, b.size - 4096) & ~((1 << size) - 1)
        bursts.append((addr, beats, size, burst, i))
    expected = [(i, b.word(a), k == beats - 1)
                for addr, beats, size, burst, i in bursts
                for k, a in enumerate(beat_addresses(addr, beats, size, burst))]
    cycle = 0
    ar_cycles, r_cycles, got = [], [], []
    dut.axi__rready.value = 1
    pending = list(bursts)
    dog = start_watchdog("AXI memory read path", lambda: len(got),
                         lambda: f"{len(got)} of {len(expected)} beats", period_ns=PERIOD_NS,
                         stall_cycles=500 + 10 * b.latency)

    def drive(item):
        addr, beats, size, burst, i = item
        d.axi__arvalid.value = 1
        d.axi__araddr.value = addr
        d.axi__arlen.value = beats - 1
        d.axi__arsize.value = size
        d.axi__arburst.value = burst
        d.axi__arid.value = i % (1 << len(d.axi__arid))

    drive(pending[0])
    while len(got) < len(expected):
        await RisingEdge(d.clk)
        cycle += 1
        if d.axi__arvalid.value and d.axi__arready.value:
            ar_cycles.append(cycle)
            pending.pop(0)
            if pending:
                drive(pending[0])
            else:
                d.axi__arvalid.value = 0
        if d.axi__rvalid.value:
            r_cycles.append(cycle)
            got.append((int(d.axi__rid.value), int(d.axi__rdata.value), bool(d.axi__rlast.value)))
    dog.cancel()
    id_mask = (1 << len(d.axi__arid)) - 1
    want = [(i & id_mask, word, last) for i, word, last in expected]
    assert got == want, "read data, ids or RLAST differ"
    assert r_cycles[0] - ar_cycles[0] == b.latency, (ar_cycles[0], r_cycles[0])
    # Streaming: every beat after the first is either the next cycle or exactly `latency`
    # after its own burst's AR (when the previous burst finished early).
    first_beats = np.cumsum([0] + [beats for _, beats, *_ in bursts])[:-1]
    for k, idx in enumerate(first_beats):
        if idx:
            assert r_cycles[idx] == max(r_cycles[idx - 1] + 1, ar_cycles[k] + b.latency), k
    assert r_cycles[-1] - r_cycles[0] + 1 >= len(expected)


@cocotb.test()
async def master_random(dut):
    """cocotbext-axi AxiMaster with random stalls on every channel: unaligned, narrow and long
    transfers; reads must return what was written, and the dump must match the numpy mirror."""
    b = Bench(dut)
    await b.start(master=True)
    image = b.np_rng.integers(0, 256, b.size, np.uint8)
    await b.load(image)
    rng = b.rng
    m = b.master
    for ch in (m.write_if.aw_channel, m.write_if.w_channel, m.write_if.b_channel,
               m.read_if.ar_channel, m.read_if.r_channel):
        ch.set_pause_generator(iter(lambda: rng.random() < 0.25, None))
    full = (b.bus_bytes - 1).bit_length()
    done = []
    dog = start_watchdog("AXI memory (AxiMaster traffic)", lambda: len(done),
                         lambda: f"{len(done)} transfers done", period_ns=PERIOD_NS,
                         stall_cycles=2000 + 20 * b.latency)
    for _ in range(60):
        nbytes = rng.randint(1, 300)
        addr = rng.randrange(0, b.size - nbytes)
        size = rng.randint(0, full)
        data = b.np_rng.integers(0, 256, nbytes, np.uint8)
        await m.write(addr, data.tobytes(), size=size)
        b.image[addr:addr + nbytes] = data
        raddr = rng.randrange(0, b.size - nbytes)
        got = (await m.read(raddr, nbytes, size=rng.randint(0, full))).data
        assert got == b.image[raddr:raddr + nbytes].tobytes(), f"read {raddr:#x}+{nbytes}"
        done.append(1)
    dog.cancel()
    await ClockCycles(dut.clk, 4)
    assert np.array_equal(await b.dump(), b.image), "dump differs from the written data"


@cocotb.test()
async def write_response_timing(dut):
    """W beats land at one per cycle; B is offered max(write_latency, 2) cycles after the last beat,
    and the written data reads back."""
    b = Bench(dut)
    await b.start()
    await b.load(b.np_rng.integers(0, 256, b.size, np.uint8))
    d = dut
    wl = max(SETUP["write_latency"], 2)
    full = (b.bus_bytes - 1).bit_length()
    cycle = 0
    for k, beats in enumerate((1, 3, 8)):
        addr = 0x400 * (k + 1)
        data = [b.rng.getrandbits(8 * b.bus_bytes) for _ in range(beats)]
        d.axi__awvalid.value, d.axi__awaddr.value, d.axi__awlen.value = 1, addr, beats - 1
        d.axi__awsize.value, d.axi__awburst.value, d.axi__awid.value = full, Burst.INCR, k
        d.axi__bready.value = 1
        sent, last_w, b_cycle = 0, None, None
        d.axi__wvalid.value, d.axi__wdata.value = 1, data[0]
        d.axi__wstrb.value, d.axi__wlast.value = (1 << b.bus_bytes) - 1, int(beats == 1)
        while b_cycle is None:
            await RisingEdge(d.clk)
            cycle += 1
            assert cycle < 1000, "watchdog: AXI memory write path stuck"
            if d.axi__awvalid.value and d.axi__awready.value:
                d.axi__awvalid.value = 0
            if d.axi__wvalid.value and d.axi__wready.value:
                sent += 1
                if sent == beats:
                    last_w = cycle
                    d.axi__wvalid.value = 0
                else:
                    d.axi__wdata.value = data[sent]
                    d.axi__wlast.value = int(sent == beats - 1)
            if d.axi__bvalid.value and d.axi__bready.value:
                assert int(d.axi__bid.value) == k and int(d.axi__bresp.value) == 0
                b_cycle = cycle
        assert b_cycle - last_w == wl, (beats, last_w, b_cycle)
        for i, word in enumerate(data):
            b.image[addr + i * b.bus_bytes:addr + (i + 1) * b.bus_bytes] = np.frombuffer(
                word.to_bytes(b.bus_bytes, "little"), np.uint8)
    d.axi__bready.value = 0
    assert np.array_equal(await b.dump(), b.image)
