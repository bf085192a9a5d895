"""cocotb test of `dma_traffic.DMATraffic`: whole-image copies with Python idle.

$DMA_TRAFFIC_SETUP (JSON): params (DMAParams fields), mem_bytes, work_dir, seed, runs = [{name,
mode (0 read, 1 copy, 2 write), rows, src, dst, stride, nbytes}], results (optional JSON output
path).  The memory starts as random bytes; after the runs the dumped image must equal a numpy replay
of the runs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer

from gemmini_gen.hw.axi_memory import encode_path, image_from_dump, image_segments
from gemmini_gen.hw.dma import DMAParams

SETUP = json.loads(os.environ.get("DMA_TRAFFIC_SETUP", "{}"))
PERIOD_NS = 10
POLL_CYCLES = 2000


async def backdoor(dut, op: str, path: Path):
    dut.image__path.value = encode_path(path, len(dut.image__path) // 8)
    getattr(dut, f"image__{op}").value = 1
    await RisingEdge(dut.clk)
    getattr(dut, f"image__{op}").value = 0
    await RisingEdge(dut.clk)


@cocotb.test()
async def traffic(dut):
    p = DMAParams(**SETUP["params"])
    size = SETUP["mem_bytes"]
    work = Path(SETUP["work_dir"])
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    for name in ("start", "mode", "image__load", "image__dump"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0

    figures = {}
    image = np.random.default_rng(SETUP.get("seed", 1)).integers(0, 256, size, np.uint8)
    t0 = time.perf_counter()
    path = work / "image.seg"
    path.write_bytes(image_segments(image, 0, p.bus_bytes))
    t1 = time.perf_counter()
    await backdoor(dut, "load", path)
    t2 = time.perf_counter()
    figures["image"] = {"bytes": size, "format_s": t1 - t0, "load_s": t2 - t1}

    expected = image.copy()
    for run in SETUP["runs"]:
        for key in ("mode", "rows", "src", "dst", "stride", "nbytes"):
            getattr(dut, key).value = int(run[key])
        dut.start.value = 1
        await RisingEdge(dut.clk)
        dut.start.value = 0
        await RisingEdge(dut.clk)          # reads after this edge see `done` cleared by `start`
        budget = 40 * run["rows"] * (run["nbytes"] // p.bus_bytes + 2) + 1000
        wall = time.perf_counter()
        while not dut.done.value:
            await Timer(POLL_CYCLES * PERIOD_NS, unit="ns")
            if int(dut.cycles.value) > budget:
                raise AssertionError(f"watchdog: DMA traffic '{run['name']}' stuck after "
                                     f"{int(dut.cycles.value)} cycles")
        wall = time.perf_counter() - wall
        cycles = int(dut.cycles.value)
        moved = run["rows"] * run["nbytes"]
        figures[run["name"]] = {"rows": run["rows"], "bytes": moved, "cycles": cycles,
                                "bytes_per_cycle": moved / cycles, "wall_s": wall,
                                "sim_cycles_per_s": cycles / wall}
        n = run["nbytes"]
        for i in range(run["rows"] if run["mode"] else 0):
            src, dst = run["src"] + i * run["stride"], run["dst"] + i * run["stride"]
            if run["mode"] == 1:
                expected[dst:dst + n] = expected[src:src + n]
            else:
                row = np.full(-(-n // 4), i & 0xFFFF_FFFF, "<u4").view(np.uint8)
                expected[dst:dst + n] = row[:n]

    t0 = time.perf_counter()
    out = work / "dump.bin"
    await backdoor(dut, "dump", out)
    t1 = time.perf_counter()
    got = image_from_dump(out.read_bytes(), p.bus_bytes, 0, size)
    t2 = time.perf_counter()
    figures["image"].update({"dump_s": t1 - t0, "parse_s": t2 - t1})
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, f"{bad.size} bytes differ after the copies, first at {bad[:4]}"
    dut._log.info(f"figures: {json.dumps(figures)}")
    if SETUP.get("results"):
        Path(SETUP["results"]).write_text(json.dumps(figures, indent=1))
