"""cocotb: two ways to move a whole memory image into/out of the AXI4Memory model, timed.

* the model's binary image backdoor (``$fread`` / ``$fwrite``, one pulse each);
* one VPI write/read per bus word of the storage array (needs the array built public).

$IMAGE_SETUP (JSON): data_width, size_bytes, work_dir, results.  Both loads must dump identically.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from gemmini_gen.hw.axi_memory import encode_path, image_from_dump, image_segments

SETUP = json.loads(os.environ.get("IMAGE_SETUP", "{}"))


async def backdoor(dut, op: str, path: Path):
    dut.image__path.value = encode_path(path, len(dut.image__path) // 8)
    getattr(dut, f"image__{op}").value = 1
    await RisingEdge(dut.clk)
    getattr(dut, f"image__{op}").value = 0
    await RisingEdge(dut.clk)


@cocotb.test()
async def image_load_methods(dut):
    bus = SETUP["data_width"] // 8
    size = SETUP["size_bytes"]
    work = Path(SETUP["work_dir"])
    Clock(dut.clk, 10, unit="ns").start()
    dut.image__load.value = 0
    dut.image__dump.value = 0
    await ClockCycles(dut.clk, 2)
    rng = np.random.default_rng(1)
    figures = {"bytes": size}

    image = rng.integers(0, 256, size, np.uint8)
    t0 = time.perf_counter()
    (work / "in.seg").write_bytes(image_segments(image, 0, bus))
    await backdoor(dut, "load", work / "in.seg")
    figures["file_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    await backdoor(dut, "dump", work / "out.bin")
    got = image_from_dump((work / "out.bin").read_bytes(), bus, 0, size)
    figures["file_dump_s"] = time.perf_counter() - t0
    assert np.array_equal(got, image), "backdoor load/dump round trip differs"

    image = rng.integers(0, 256, size, np.uint8)
    words = image.reshape(-1, bus)
    storage = dut.memory.storage.mem if hasattr(dut, "memory") else dut.storage.mem
    t0 = time.perf_counter()
    for i, w in enumerate(words):
        storage[i].value = int.from_bytes(w.tobytes(), "little")
    await RisingEdge(dut.clk)
    figures["vpi_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = b"".join(int(storage[i].value).to_bytes(bus, "little") for i in range(len(words)))
    figures["vpi_dump_s"] = time.perf_counter() - t0
    assert back == image.tobytes(), "VPI round trip differs"
    await backdoor(dut, "dump", work / "out.bin")
    assert np.array_equal(image_from_dump((work / "out.bin").read_bytes(), bus, 0, size), image)
    Path(SETUP["results"]).write_text(json.dumps(figures))
