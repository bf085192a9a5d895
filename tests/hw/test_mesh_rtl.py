"""`MeshWithDelays` on Verilator against the numpy block model (sim/mesh/test_mesh.py).

One simulator process per design runs all of its scenarios: random blocks with random input gaps,
every transpose combination, preload/flip chains, extreme values that wrap the accumulator,
dataflow switching, and back-to-back blocks whose cycle counts are checked (one block per DIM
cycles, documented latency).  Results are compared as whole arrays.

The large designs run with ``pytest -m slow tests/hw``.
"""

from __future__ import annotations

import numpy as np
import pytest

import mesh_scenarios as sc
from gemmini_gen.config import Dataflow, GemminiConfig

BASE = GemminiConfig()


def _tiled(dim: int, tile_rows: int, tile_cols: int, **fields) -> GemminiConfig:
    return BASE.replace(tile_rows=tile_rows, tile_cols=tile_cols, mesh_rows=dim // tile_rows,
                        mesh_cols=dim // tile_cols, **fields)


DESIGNS = {
    "dim2": _tiled(2, 1, 1),
    "dim4_tiles_2x2": _tiled(4, 2, 2),
    "dim4_tiles_1x1_int16": _tiled(4, 1, 1, input_dtype="int16"),
    "dim4_int32_wraps": _tiled(4, 1, 1, input_dtype="int32"),
    "dim8_one_tile": _tiled(8, 8, 8),
    "dim8_ws_pipelined": _tiled(8, 2, 2, dataflow=Dataflow.WS, tile_latency=1,
                                mesh_output_delay=2),
    "dim8_os_tiles_2x4": _tiled(8, 2, 4, dataflow=Dataflow.OS),
    "dim16": _tiled(16, 1, 1),
}

SLOW_DESIGNS = {
    "dim32": _tiled(32, 1, 1),
    "dim16_one_tile_int16_acc64": _tiled(16, 16, 16, input_dtype="int16", acc_dtype="int64"),
    "dim16_tiles_4x4_latency2": _tiled(16, 4, 4, tile_latency=2, mesh_output_delay=3),
}


def scenarios(cfg: GemminiConfig, timing: dict, *, n_random: int) -> dict:
    rng = np.random.default_rng(cfg.dim)
    flows = sc.dataflows(cfg)
    out = {
        "random_with_gaps": (sc.random_blocks(cfg, n_random, rng), 0.3, None),
        "heavy_gaps": (sc.random_blocks(cfg, 8, rng), 0.7, None),
        "all_transposes": (sc.random_blocks(cfg, 16, rng, transposes=sc.ALL_TRANSPOSES), 0.0,
                           None),
        "chains": (sc.chains(cfg, rng), 0.1, None),
        "extreme_chains": (sc.chains(cfg, rng, kind="min") + sc.chains(cfg, rng, kind="max"),
                           0.0, None),
        "extremes": (sc.extremes(cfg, rng), 0.2, None),
    }
    for ws in flows:
        name = f"back_to_back_{'ws' if ws else 'os'}"
        out[name] = (sc.random_blocks(cfg, 12, rng, ws_choices=[ws], transposes=sc.ALL_TRANSPOSES),
                     0.0, timing)
    if len(flows) == 2:
        switching = [ws for _ in range(4) for ws in (False, True, True, False)]
        blocks = [sc.random_blocks(cfg, 1, rng, ws_choices=[ws], flip_prob=1.0)[0]
                  for ws in switching]
        for i, b in enumerate(blocks):
            b.tag = i
        out["dataflow_switching"] = (blocks, 0.0, timing)
        out["state_across_dataflows"] = (sc.across_dataflows(cfg, rng), 0.2, None)
    return out


@pytest.mark.parametrize("name", list(DESIGNS))
def test_mesh_against_model(name, mesh_design, run_mesh):
    cfg = DESIGNS[name]
    sim, timing = mesh_design(cfg)
    run_mesh(sim, cfg, scenarios(cfg, timing, n_random=40))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SLOW_DESIGNS) + ["dim16"])
def test_mesh_large_against_model(name, mesh_design, run_mesh):
    cfg = {**DESIGNS, **SLOW_DESIGNS}[name]
    sim, timing = mesh_design(cfg)
    rng = np.random.default_rng(99)
    big = {"many_random_blocks": (sc.random_blocks(cfg, 400, rng, transposes=sc.ALL_TRANSPOSES),
                                  0.1, None)}
    run_mesh(sim, cfg, {**scenarios(cfg, timing, n_random=100), **big})
