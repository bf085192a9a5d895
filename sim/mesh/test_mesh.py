"""cocotb regression of `MeshWithDelays` (top module ``mesh``) against the numpy block model.

Configured by the JSON in $MESH_SETUP:

* ``config``: the `GemminiConfig` dict of the design, ``tag_bits``: width of its tag;
* ``scenarios``: ``[{"name", "file", "gap", "seed", "timing"}]``.  ``file`` is an .npz with ``a``,
  ``x``, ``p`` (N x DIM x DIM), ``ctrl`` (N x 5: ws, flip, a_transpose, b_transpose, tag) and
  ``expected`` (N x DIM x DIM results of `mesh_model`).  ``gap`` is the probability of idle cycles
  before a beat.  With ``timing`` (``latency_ws``, ``latency_os``, ``block_cycles``,
  ``switch_penalty``) the scenario must run without gaps and the cycle counts are checked too.

Every scenario resets the design, streams its blocks, collects every result row and compares whole
arrays.  A scenario that stops making progress fails, naming the stuck side of the wrapper.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock

from gemmini_gen.config import GemminiConfig
from mesh_driver import MeshDriver

SETUP = json.loads(os.environ.get("MESH_SETUP", '{"scenarios": []}'))
SCENARIOS = {s["name"]: s for s in SETUP["scenarios"]}


def _describe(blocks, n: int) -> str:
    ws, flip, at, bt, tag = (int(v) for v in blocks["ctrl"][n])
    return (f"block {n} ({'WS' if ws else 'OS'}, flip={flip}, a_transpose={at}, "
            f"b_transpose={bt}, tag={tag})")


def check_results(blocks, outputs, dim: int):
    n_blocks = len(blocks["a"])
    indices = np.array([o[1] for o in outputs]).reshape(n_blocks, dim)
    tags = np.array([o[2] for o in outputs]).reshape(n_blocks, dim)
    got = np.array([o[3] for o in outputs]).reshape(n_blocks, dim, dim)
    assert np.array_equal(indices, np.tile(np.arange(dim), (n_blocks, 1))), \
        f"row indices out of order: {indices.tolist()}"
    want_tags = np.repeat(blocks["ctrl"][:, 4][:, None], dim, axis=1)
    assert np.array_equal(tags, want_tags), f"tags: got {tags[:, 0]}, want {want_tags[:, 0]}"
    for n in range(n_blocks):
        if not np.array_equal(got[n], blocks["expected"][n]):
            bad = np.argwhere(got[n] != blocks["expected"][n])
            i, j = bad[0]
            raise AssertionError(
                f"{_describe(blocks, n)}: {len(bad)} wrong elements, first [{i},{j}] = "
                f"{got[n][i, j]}, want {blocks['expected'][n][i, j]}")


def check_timing(blocks, accepted, outputs, timing: dict, dim: int):
    """Back-to-back blocks: blocks are issued every `block_cycles` (plus `switch_penalty` before a
    WS block that follows an OS block), every block's rows leave in consecutive cycles, and without
    a switch penalty the feed never stalls and each block's row 0 leaves exactly `latency_ws` /
    `latency_os` cycles after its last beat was accepted."""
    n_blocks = len(blocks["a"])
    ws = blocks["ctrl"][:, 0].astype(bool)
    latency = [timing["latency_ws" if w else "latency_os"] for w in ws]
    first_out = [outputs[n * dim][0] for n in range(n_blocks)]
    for n in range(n_blocks):
        rows = [o[0] for o in outputs[n * dim:(n + 1) * dim]]
        assert rows == list(range(rows[0], rows[0] + dim)), f"block {n}: rows not contiguous"
    for n in range(1, n_blocks):
        penalty = timing["switch_penalty"] if ws[n] and not ws[n - 1] else 0
        want = timing["block_cycles"] + penalty + latency[n] - latency[n - 1]
        assert first_out[n] - first_out[n - 1] == want, \
            f"{_describe(blocks, n)} came {first_out[n] - first_out[n - 1]} cycles after the " \
            f"previous block, want {want}"
    if not (ws[1:] & ~ws[:-1]).any():      # no switch penalty: nothing may hold a block up
        assert accepted == list(range(accepted[0], accepted[0] + len(accepted))), \
            "feed stalled during back-to-back blocks"
        for n in range(n_blocks):
            last_beat = accepted[(n + 1) * dim - 1]
            assert first_out[n] - last_beat == latency[n], \
                f"{_describe(blocks, n)}: latency {first_out[n] - last_beat}, want {latency[n]}"


@cocotb.test()
@cocotb.parametrize(scenario=[cocotb.Param(name, name=name) for name in SCENARIOS])
async def mesh_scenario(dut, scenario):
    spec = SCENARIOS[scenario]
    blocks = dict(np.load(spec["file"]))
    driver = MeshDriver(dut, GemminiConfig.from_dict(SETUP["config"]), SETUP["tag_bits"])
    Clock(dut.clk, 10, unit="ns").start()
    await driver.reset()
    accepted, outputs = await driver.run(driver.beats(blocks), spec["gap"],
                                         random.Random(spec["seed"]))
    check_results(blocks, outputs, driver.dim)
    if spec.get("timing"):
        check_timing(blocks, accepted, outputs, spec["timing"], driver.dim)
    dut._log.info(f"{scenario}: {len(blocks['a'])} blocks in {driver.cycle} cycles")
