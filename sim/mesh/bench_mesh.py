"""cocotb throughput benchmarks of `MeshWithDelays` (run by benchmarks/bench_mesh_sim.py).

Configured by the JSON in $MESH_BENCH: ``config`` (GemminiConfig dict), ``mode``, ``cycles`` and
``out`` (where to write the JSON result).

* ``idle`` (top ``mesh_bench_clocked``: `mesh_bench_top.MeshBench` with an HDL clock): the on-chip
  source runs for ``cycles`` cycles while Python awaits one Timer; afterwards the on-chip checksum
  must equal the model's.
* ``drive`` (top ``mesh``): Python presents a beat and samples the result every cycle
  (`mesh_driver.MeshDriver`), for about ``cycles`` cycles of back-to-back blocks; every result row
  is compared with the model.

Both report simulated cycles per wall-clock second of the timed part.
"""

from __future__ import annotations

import json
import os
import random
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import Timer

from gemmini_gen.config import GemminiConfig
from mesh_bench_top import expected_checksum, stimulus
from mesh_driver import MeshDriver
from mesh_model import MeshModel, as_arrays

SETUP = json.loads(os.environ.get("MESH_BENCH", "{}"))
PERIOD_NS = 10


def _report(result: dict):
    with open(SETUP["out"], "w") as f:
        json.dump(result, f)


@cocotb.test(skip=SETUP.get("mode") != "idle")
async def python_idle(dut):
    cfg = GemminiConfig.from_dict(SETUP["config"])
    cycles = SETUP["cycles"]
    dut.run.value = 0
    dut.rst.value = 1
    await Timer(3 * PERIOD_NS, unit="ns")      # the clock runs in HDL (`clocked_wrapper`)
    dut.rst.value = 0
    dut.run.value = 1
    start, cpu = time.perf_counter(), time.process_time()
    await Timer(cycles * PERIOD_NS, unit="ns")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    dut.run.value = 0
    previous = -1
    while int(dut.rows.value) != previous:         # drain: wait until no more rows arrive
        previous = int(dut.rows.value)
        await Timer((8 * cfg.dim + 200) * PERIOD_NS, unit="ns")
    beats, rows = int(dut.beats.value), int(dut.rows.value)
    blocks = beats // cfg.dim
    assert rows == blocks * cfg.dim, f"{rows} rows for {beats} beats"
    checksum = int(dut.checksum.value)
    assert checksum == expected_checksum(cfg, blocks), "checksum differs from the model"
    _report({"mode": "idle", "cycles": cycles, "seconds": seconds, "cpu_seconds": cpu_seconds,
             "blocks": blocks, "cycles_per_second": cycles / seconds})


@cocotb.test(skip=SETUP.get("mode") != "drive")
async def python_driving(dut):
    cfg = GemminiConfig.from_dict(SETUP["config"])
    n_blocks = max(1, SETUP["cycles"] // cfg.dim)
    blocks = stimulus(cfg, n_blocks)
    expected = np.stack(MeshModel(cfg.dim, cfg.input_bits, cfg.acc_bits).run_all(blocks))
    driver = MeshDriver(dut, cfg, tag_bits=8)
    beats = driver.beats(as_arrays(blocks))
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    await driver.reset()
    start_cycle = driver.cycle
    start, cpu = time.perf_counter(), time.process_time()
    _, outputs = await driver.run(beats, 0.0, random.Random(0))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    cycles = driver.cycle - start_cycle
    got = np.array([o[3] for o in outputs]).reshape(expected.shape)
    assert np.array_equal(got, expected), "results differ from the model"
    _report({"mode": "drive", "cycles": cycles, "seconds": seconds, "cpu_seconds": cpu_seconds,
             "blocks": n_blocks, "cycles_per_second": cycles / seconds})
