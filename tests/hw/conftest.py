"""Fixtures for the array tests: Verilator builds of `MeshWithDelays` (top ``mesh``, built once per
session and config, cached by content on disk) and a runner for the cocotb regression in
sim/mesh/test_mesh.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gemmini_gen.config import GemminiConfig
from gemmini_gen.emit import build_top, convert
from gemmini_gen.sim_runner import SimBuild, build

SIM_DIR = Path(__file__).resolve().parents[2] / "sim" / "mesh"
if str(SIM_DIR) not in sys.path:       # mesh_model / mesh_scenarios, as the cocotb process sees them
    sys.path.insert(0, str(SIM_DIR))

TOP = "mesh"
TAG_BITS = 8          # the `mesh` top's tag (MeshWithDelays default)


def emit_mesh(cfg: GemminiConfig, out_dir: Path):
    """Write mesh.v for `cfg` into `out_dir`; return (path, component)."""
    component = build_top(cfg, TOP)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{TOP}.v"
    path.write_text(convert(component, TOP))
    return path, component


def timing(component) -> dict:
    return {"latency_ws": component.latency_ws, "latency_os": component.latency_os,
            "block_cycles": component.block_cycles, "switch_penalty": component.switch_penalty}


@pytest.fixture(scope="session")
def mesh_design(tmp_path_factory):
    """`mesh_design(cfg)` -> (SimBuild, timing dict), built once per session and config."""
    root = tmp_path_factory.mktemp("mesh_src")
    designs = {}

    def get(cfg: GemminiConfig):
        key = cfg.content_hash()
        if key not in designs:
            path, component = emit_mesh(cfg, root / key)
            designs[key] = (build(TOP, [path], name=f"mesh-{key}"), timing(component))
        return designs[key]
    return get


@pytest.fixture
def run_mesh(tmp_path):
    """`run_mesh(sim, cfg, scenarios)` runs every scenario in one simulator process.

    `scenarios` maps a name to ``(blocks, gap, timing_or_None)``."""
    import mesh_scenarios

    def run(sim: SimBuild, cfg: GemminiConfig, scenarios: dict):
        specs = []
        for seed, (name, (blocks, gap, expect_timing)) in enumerate(scenarios.items()):
            path = mesh_scenarios.save(cfg, blocks, tmp_path / f"{name}.npz")
            specs.append({"name": name, "file": str(path), "gap": gap, "seed": seed,
                          "timing": expect_timing})
        setup = {"config": cfg.to_dict(), "tag_bits": TAG_BITS, "scenarios": specs}
        return sim.run("test_mesh", test_dir=SIM_DIR, extra_env={"MESH_SETUP": json.dumps(setup)})
    return run
