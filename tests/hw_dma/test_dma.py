"""DMA reader/writer against cocotbext-axi's AxiRam (random stalls) and against the HDL memory model.

Each case runs the cocotb tests of `sim/dma/test_dma.py`; they compare whole byte arrays.
"""

from __future__ import annotations

import pytest

from gemmini_gen.config import GemminiConfig, preset
from gemmini_gen.hw.dma import DMAParams

GEOMETRIES = {
    # The default design point: 16-byte beats, 64-byte bursts, 64-byte rows, 16 in flight.
    "default": DMAParams.from_config(GemminiConfig()),
    # 8-byte beats: a 64-byte row is 8..9 beats, split in two bursts when unaligned.
    "small": DMAParams.from_config(preset("small")),
    # Rows longer than a burst (DIM 32 acc rows): up to three bursts per row, few in flight.
    "long_rows": DMAParams(bus_bytes=16, max_row_bytes=128, burst_bytes=64, max_in_flight=3),
    # One-beat bursts on a 256-bit bus.
    "wide_bus": DMAParams(bus_bytes=32, max_row_bytes=96, burst_bytes=32, max_in_flight=5),
}

AXIRAM_TESTS = ["reader_random", "reader_many_outstanding", "writer_random",
                "reader_and_writer_together"]


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_dma_against_axiram(name, dma_harness, dma_run):
    p = GEOMETRIES[name]
    sim = dma_harness(name, p)
    dma_run(sim, p, mode="axiram", mem_bytes=1 << 15, testcases=AXIRAM_TESTS,
            requests=120)


@pytest.mark.parametrize("name", ["default", "long_rows"])
def test_dma_against_memory_model(name, dma_harness, dma_run):
    p = GEOMETRIES[name]
    mem_bytes = 1 << 16
    sim = dma_harness(f"{name}_model", p, memory={"size_bytes": mem_bytes, "read_latency": 40,
                                                  "write_latency": 10})
    dma_run(sim, p, mode="model", mem_bytes=mem_bytes, requests=400, read_latency=40,
            testcases=AXIRAM_TESTS + ["throughput", "isolated_read_latency"])
