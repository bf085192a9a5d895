"""The accelerator against a Python AXI memory (cocotbext-axi `AxiRam`) with random back-pressure
and latency on all five channels, plus an AXI4 rule checker (valid/payload stability, INCR
full-width bursts within dma_max_bytes and 4 KiB, WLAST placement, non-zero WSTRB).  Small programs:
Python runs every cycle here."""

from __future__ import annotations

import pytest

from gemmini_gen import preset
from gemmini_gen.rtl.programs import directed_cases, random_case

pytest.importorskip("cocotbext.axi")

CFG = "small_os"
DIRECTED = ["mvin_mvout_stride", "mvin_mvout_block_stride", "mvin_mvout_acc", "max_pool",
            "matmul_os", "raw_hazard", "fence_roundtrip"]


@pytest.mark.parametrize("pause", (0.3, 0.7))
def test_random_latency_and_back_pressure(pause, rtl, golden_check):
    cfg = preset(CFG)
    cases = directed_cases(cfg, 5, DIRECTED) + [random_case(cfg, 500 + i, 120) for i in range(2)]
    results = rtl(CFG, memory="axiram", pause=pause, seed=int(pause * 10)).run_many(
        [(c.program, c.memory) for c in cases])
    golden_check(cfg, cases, results)
    for r in results:
        # Reads: the load controller fetches a dram_stride-0 row once for all its local rows, so
        # the bus may carry fewer bytes than the program names; it reads iff the program does.
        assert (r.counters["read_beats"] > 0) == (r.stats.dram_bytes_read > 0)
        assert r.counters["write_bytes"] == r.stats.dram_bytes_written


def test_protocol_checker_flags_violations():
    """The checker itself: bursts over the limit or across 4 KiB, wrong WLAST, zero WSTRB."""
    from gemmini_gen.rtl.python_memory import PythonMemory

    checker = object.__new__(PythonMemory)      # the checking logic only, no simulator
    checker.bus_bytes, checker.max_burst = 8, 64
    checker.violations, checker._aw_beats, checker._w_runs, checker._w_beats = [], [], [], 0
    ok = {"araddr": 0x1000, "arlen": 7, "arsize": 3, "arburst": 1, "arid": 0}
    checker._handshake("ar", ok)
    assert checker.violations == []
    checker._handshake("ar", {**ok, "arlen": 8})
    checker._handshake("ar", {**ok, "araddr": 0x1FF8, "arlen": 1})
    checker._handshake("ar", {**ok, "arsize": 2})
    assert len(checker.violations) == 3
    checker.violations.clear()
    checker._handshake("w", {"wdata": 0, "wstrb": 0xFF, "wlast": 0})      # W before its AW
    checker._handshake("aw", {"awaddr": 0, "awlen": 2, "awsize": 3, "awburst": 1, "awid": 0})
    checker._handshake("w", {"wdata": 0, "wstrb": 0, "wlast": 1})         # 2 of 3 beats
    assert any("WSTRB = 0" in v for v in checker.violations)
    assert any("W burst of 2 beats" in v for v in checker.violations)
