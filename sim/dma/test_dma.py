"""cocotb tests of the DMA reader and writer (top: `dma_harness.DMAHarness`).

Configured by the JSON in $DMA_SETUP:
  params      DMAParams fields             tag_width   tag bits of the harness
  mode        "axiram" (cocotbext-axi AxiRam on the `axi` port) or "model" (internal AXI4Memory)
  mem_bytes   memory size (AxiRam size, or the model's size_bytes)
  seed, requests, work_dir (scratch files), results (optional JSON output of `throughput`)
Every test checks whole byte arrays against a numpy model of the memory.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from amaranth.hdl import unsigned
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from gemmini_gen.hw.axi_memory import encode_path, image_from_dump, image_segments
from gemmini_gen.hw.dma import DMAParams
from gemmini_gen.hw.dma.params import (read_request_layout, read_response_layout,
                                       write_done_layout, write_request_layout)
from streams import Stream, random_gaps, start_watchdog

SETUP = json.loads(os.environ.get("DMA_SETUP", "{}"))
PERIOD_NS = 10


class Bench:
    """Clock, reset, the four streams and a numpy mirror of the memory."""

    def __init__(self, dut):
        self.dut = dut
        self.p = DMAParams(**SETUP["params"])
        self.mode = SETUP["mode"]
        self.size = SETUP["mem_bytes"]
        self.rng = random.Random(SETUP.get("seed", 1))
        self.np_rng = np.random.default_rng(SETUP.get("seed", 1))
        self.work = Path(SETUP["work_dir"])
        tag = unsigned(SETUP["tag_width"])
        clk = dut.clk
        self.rd_req = Stream(dut, "rd_req", read_request_layout(self.p, tag), clk)
        self.rd_resp = Stream(dut, "rd_resp", read_response_layout(self.p, tag), clk)
        self.wr_req = Stream(dut, "wr_req", write_request_layout(self.p, tag), clk)
        self.wr_done = Stream(dut, "wr_done", write_done_layout(self.p, tag), clk)
        self.tag_mask = (1 << SETUP["tag_width"]) - 1
        self.ram = None
        self.image = np.zeros(self.size, np.uint8)
        self.axi_stats = {"ar": 0, "aw": 0, "max_reads": 0, "max_writes": 0}

    async def start(self):
        Clock(self.dut.clk, PERIOD_NS, unit="ns").start()
        for s in (self.rd_req, self.wr_req):
            s.idle_source()
        for s in (self.rd_resp, self.wr_done):
            s.idle_sink()
        if self.mode == "model":
            self.dut.image__load.value = 0
            self.dut.image__dump.value = 0
        self.dut.rst.value = 1
        if self.mode == "axiram":
            from cocotbext.axi import AxiBus, AxiRam
            self.ram = AxiRam(AxiBus.from_prefix(self.dut, "axi_"), self.dut.clk, self.dut.rst,
                              size=self.size)
            # AxiRam queues only 2 address requests by default; let the DMA's own limit show.
            self.ram.read_if.ar_channel.queue_occupancy_limit = 4 * self.p.max_in_flight
            self.ram.write_if.aw_channel.queue_occupancy_limit = 4 * self.p.max_in_flight
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    # ---- memory contents -------------------------------------------------------------------
    async def fill(self, image: np.ndarray):
        self.image = image.copy()
        if self.mode == "axiram":
            self.ram.write(0, image.tobytes())
            return
        path = self.work / "image_in.seg"
        path.write_bytes(image_segments(image, 0, self.p.bus_bytes))
        await self._backdoor(path, "load")

    async def contents(self) -> np.ndarray:
        if self.mode == "axiram":
            return np.frombuffer(self.ram.read(0, self.size), np.uint8)
        path = self.work / "image_out.bin"
        await self._backdoor(path, "dump")
        return image_from_dump(path.read_bytes(), self.p.bus_bytes, 0, self.size)

    async def _backdoor(self, path: Path, op: str):
        self.dut.image__path.value = encode_path(path, len(self.dut.image__path) // 8)
        getattr(self.dut, f"image__{op}").value = 1
        await RisingEdge(self.dut.clk)
        getattr(self.dut, f"image__{op}").value = 0
        await RisingEdge(self.dut.clk)

    def expect(self, addr: int, nbytes: int) -> bytes:
        return self.image[(addr + np.arange(nbytes)) % self.size].tobytes()

    # ---- AXI traffic rules (only visible with the AxiRam top) ------------------------------
    def monitor_axi(self):
        if self.mode == "axiram":
            cocotb.start_soon(self._monitor())

    async def _monitor(self):
        d, p = self.dut, self.p
        reads = writes = 0
        size_code = p.beat_shift
        while True:
            await RisingEdge(d.clk)
            for ch in ("ar", "aw"):
                if getattr(d, f"axi__{ch}valid").value and getattr(d, f"axi__{ch}ready").value:
                    addr = int(getattr(d, f"axi__{ch}addr").value)
                    beats = int(getattr(d, f"axi__{ch}len").value) + 1
                    assert int(getattr(d, f"axi__{ch}burst").value) == 1, f"{ch}: not INCR"
                    assert int(getattr(d, f"axi__{ch}size").value) == size_code, f"{ch}: narrow"
                    assert addr % p.bus_bytes == 0, f"{ch}: unaligned burst {addr:#x}"
                    nbytes = beats * p.bus_bytes
                    assert nbytes <= p.burst_bytes, f"{ch}: {nbytes}-byte burst at {addr:#x}"
                    assert addr // 4096 == (addr + nbytes - 1) // 4096, \
                        f"{ch}: burst {addr:#x}+{nbytes} crosses 4 KiB"
                    self.axi_stats[ch] += 1
                    if ch == "ar":
                        reads += 1
                    else:
                        writes += 1
            if d.axi__rvalid.value and d.axi__rready.value and d.axi__rlast.value:
                reads -= 1
            if d.axi__bvalid.value and d.axi__bready.value:
                writes -= 1
            self.axi_stats["max_reads"] = max(self.axi_stats["max_reads"], reads)
            self.axi_stats["max_writes"] = max(self.axi_stats["max_writes"], writes)
            assert reads <= p.max_in_flight, f"reader has {reads} bursts outstanding"
            assert writes <= p.max_in_flight, f"writer has {writes} bursts outstanding"

    def set_axi_pauses(self, busy: float):
        """Random stalls on every channel of the AxiRam (its pause generators)."""
        if self.mode != "axiram":
            return
        rng = self.rng

        def gen():
            while True:
                yield rng.random() < busy

        for ch in (self.ram.read_if.ar_channel, self.ram.read_if.r_channel,
                   self.ram.write_if.aw_channel, self.ram.write_if.w_channel,
                   self.ram.write_if.b_channel):
            ch.set_pause_generator(gen())

    # ---- request generators ----------------------------------------------------------------
    def random_request(self, lo: int, hi: int) -> tuple[int, int]:
        """(addr, nbytes) inside [lo, hi): any alignment, often near a 4 KiB page end."""
        nbytes = self.rng.choice([self.rng.randint(1, self.p.max_row_bytes), self.p.max_row_bytes])
        if self.rng.random() < 0.3:
            page_end = self.rng.randrange(lo // 4096 + 1, hi // 4096) * 4096
            addr = page_end - self.rng.randint(1, nbytes)
        else:
            addr = self.rng.randrange(lo, hi - nbytes)
        return addr, nbytes


async def run_reads(b: Bench, reqs, gap_in=None, gap_out=None):
    """Issue `reqs` [(addr, nbytes)] on the reader; check every response in order."""
    results = []

    async def produce():
        for i, (addr, n) in enumerate(reqs):
            await b.rd_req.put({"addr": addr, "nbytes": n, "tag": i & b.tag_mask}, gap_in)

    task = cocotb.start_soon(produce())
    dog = start_watchdog("DMA reader", lambda: b.rd_resp.count,
                         lambda: f"{b.rd_req.count} requests accepted, {b.rd_resp.count} answered",
                         period_ns=PERIOD_NS)
    for i, (addr, n) in enumerate(reqs):
        resp = await b.rd_resp.get(gap_out)
        assert resp["tag"] == i & b.tag_mask, f"response {i}: tag {resp['tag']}"
        assert resp["error"] == 0, f"response {i}: error flag"
        got, want = resp["data"][:n], b.expect(addr, n)
        assert got == want, f"read {i} ({addr:#x}+{n}): got {got.hex()} want {want.hex()}"
        results.append(got)
    await task
    dog.cancel()
    return results


async def run_writes(b: Bench, reqs, gap_in=None, gap_out=None):
    """Write `reqs` [(addr, nbytes)] with random data; update the mirror; wait for every done."""
    payloads = [b.np_rng.integers(0, 256, n, np.uint8) for _, n in reqs]

    async def produce():
        for i, ((addr, n), data) in enumerate(zip(reqs, payloads)):
            await b.wr_req.put({"addr": addr, "nbytes": n, "data": data.tobytes(),
                                "tag": i & b.tag_mask}, gap_in)

    task = cocotb.start_soon(produce())
    dog = start_watchdog("DMA writer", lambda: b.wr_done.count,
                         lambda: f"{b.wr_req.count} requests accepted, {b.wr_done.count} done",
                         period_ns=PERIOD_NS)
    for (addr, n), data in zip(reqs, payloads):
        b.image[(addr + np.arange(n)) % b.size] = data
    for i in range(len(reqs)):
        done = await b.wr_done.get(gap_out)
        assert done["tag"] == i & b.tag_mask and done["error"] == 0, f"done {i}: {done}"
    await task
    dog.cancel()
    await RisingEdge(b.dut.clk)
    assert not b.dut.wr_busy.value, "writer busy after every request completed"


def high_base(b: Bench) -> int:
    """A 64-bit base address aliasing memory offset 0 (exercises the upper address bits)."""
    return (b.rng.getrandbits(b.p.addr_width - 1) // b.size) * b.size


@cocotb.test()
async def reader_random(dut):
    """Random unaligned reads (sizes 1..max, 4 KiB crossings), back-pressure on both sides."""
    b = Bench(dut)
    await b.start()
    await b.fill(b.np_rng.integers(0, 256, b.size, np.uint8))
    b.monitor_axi()
    b.set_axi_pauses(0.3)
    base = high_base(b) if b.mode == "axiram" else 0
    reqs = [b.random_request(0, b.size) for _ in range(SETUP["requests"])]
    reqs = [(base + a, n) for a, n in reqs]
    await run_reads(b, reqs, random_gaps(b.rng, 0.2), random_gaps(b.rng, 0.3))
    # Fast phase: consumer always ready, producer never idle.
    b.set_axi_pauses(0.0)
    await run_reads(b, reqs[: len(reqs) // 2])
    await RisingEdge(dut.clk)
    assert not dut.rd_busy.value, "reader busy after every response was taken"


@cocotb.test()
async def reader_many_outstanding(dut):
    """A slow R channel: the reader must keep exactly max_in_flight bursts outstanding."""
    b = Bench(dut)
    await b.start()
    await b.fill(b.np_rng.integers(0, 256, b.size, np.uint8))
    b.monitor_axi()
    if b.mode == "axiram":
        rng = b.rng
        b.ram.read_if.r_channel.set_pause_generator(iter(lambda: rng.random() < 0.7, None))
    reqs = [(b.rng.randrange(0, b.size - b.p.max_row_bytes), b.p.max_row_bytes)
            for _ in range(4 * b.p.max_in_flight)]
    await run_reads(b, reqs)
    if b.mode == "axiram":
        assert b.axi_stats["max_reads"] == b.p.max_in_flight, b.axi_stats


@cocotb.test()
async def writer_random(dut):
    """Random unaligned writes over a random background; the whole memory must match."""
    b = Bench(dut)
    await b.start()
    await b.fill(b.np_rng.integers(0, 256, b.size, np.uint8))
    b.monitor_axi()
    b.set_axi_pauses(0.3)
    base = high_base(b) if b.mode == "axiram" else 0
    reqs = [b.random_request(0, b.size) for _ in range(SETUP["requests"])]
    reqs = [(base + a, n) for a, n in reqs]
    await run_writes(b, reqs, random_gaps(b.rng, 0.2), random_gaps(b.rng, 0.3))
    b.set_axi_pauses(0.0)
    await run_writes(b, [b.random_request(0, b.size) for _ in range(SETUP["requests"] // 2)])
    got = await b.contents()
    bad = np.flatnonzero(got != b.image)
    assert bad.size == 0, f"{bad.size} bytes differ, first at {bad[:8]}"


@cocotb.test()
async def reader_and_writer_together(dut):
    """Reads of one half of memory while the writer fills the other half."""
    b = Bench(dut)
    await b.start()
    await b.fill(b.np_rng.integers(0, 256, b.size, np.uint8))
    b.monitor_axi()
    b.set_axi_pauses(0.2)
    half = b.size // 2
    reads = [b.random_request(0, half) for _ in range(SETUP["requests"])]
    writes = [b.random_request(half, b.size) for _ in range(SETUP["requests"])]
    wtask = cocotb.start_soon(run_writes(b, writes, random_gaps(b.rng, 0.1)))
    await run_reads(b, reads, None, random_gaps(b.rng, 0.1))
    await wtask
    got = await b.contents()
    assert np.array_equal(got, b.image), "memory differs after concurrent reads and writes"


@cocotb.test()
async def throughput(dut):
    """Back-to-back aligned max-size rows with nothing stalling: cycles per direction."""
    b = Bench(dut)
    await b.start()
    await b.fill(b.np_rng.integers(0, 256, b.size, np.uint8))
    n = SETUP.get("throughput_rows", 256)
    row = b.p.max_row_bytes
    reqs = [((i * row) % (b.size - row), row) for i in range(n)]
    figures = {}
    for name, run in (("read", run_reads), ("write", run_writes)):
        start = cocotb.utils.get_sim_time("ns")
        await run(b, reqs)
        cycles = (cocotb.utils.get_sim_time("ns") - start) / PERIOD_NS
        figures[name] = {"rows": n, "bytes": n * row, "cycles": cycles,
                         "bytes_per_cycle": n * row / cycles}
    got = await b.contents()
    assert np.array_equal(got, b.image)
    dut._log.info(f"throughput: {figures}")
    if SETUP.get("results"):
        Path(SETUP["results"]).write_text(json.dumps(figures))


@cocotb.test()
async def isolated_read_latency(dut):
    """Memory model only: an isolated request of b beats answers read_latency + b + 1 cycles after
    its handshake (the latency docs/dma.md promises the load controller)."""
    b = Bench(dut)
    await b.start()
    await b.fill(b.np_rng.integers(0, 256, b.size, np.uint8))
    latency = SETUP["read_latency"]
    for addr, n in ((0x100, 1), (0x203, b.p.bus_bytes), (0x300, b.p.max_row_bytes),
                    (0x405, b.p.max_row_bytes)):
        await b.rd_req.put({"addr": addr, "nbytes": n, "tag": 1})
        start = cocotb.utils.get_sim_time("ns")
        resp = await b.rd_resp.get()
        cycles = (cocotb.utils.get_sim_time("ns") - start) / PERIOD_NS
        assert resp["data"][:n] == b.expect(addr, n)
        assert cycles == latency + b.p.row_beats(addr, n) + 1, (addr, n, cycles)
