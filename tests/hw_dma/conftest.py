"""Fixtures: Verilator builds of the DMA harness (`sim/dma/dma_harness.py`), cached by content."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from amaranth.back import verilog

from gemmini_gen.hw.axi_memory import write_storage_verilog
from gemmini_gen.hw.dma import DMAParams
from gemmini_gen.sim_runner import build

SIM_DIR = Path(__file__).resolve().parents[2] / "sim" / "dma"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SIM_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_dma_harness(out_dir: Path, p: DMAParams, *, memory: dict | None = None,
                      tag_width: int = 8):
    """Emit and build the harness; returns the cached SimBuild."""
    harness = _load("dma_harness").DMAHarness(p, tag_width=tag_width, memory=memory)
    top = "dma_model" if memory else "dma_axi"
    out_dir.mkdir(parents=True, exist_ok=True)
    src = out_dir / f"{top}.v"
    src.write_text(verilog.convert(harness, name=top))
    sources = [src]
    if memory:
        sources.append(write_storage_verilog(out_dir))
    return build(top, sources)


def run_dma(sim, work: Path, p: DMAParams, *, mode: str, mem_bytes: int, testcases,
            requests: int = 150, seed: int = 1, **extra):
    work.mkdir(parents=True, exist_ok=True)
    setup = {"params": asdict(p), "tag_width": 8, "mode": mode, "mem_bytes": mem_bytes,
             "seed": seed, "requests": requests, "work_dir": str(work), **extra}
    return sim.run("test_dma", test_dir=SIM_DIR, testcase=list(testcases),
                   extra_env={"DMA_SETUP": json.dumps(setup)})


@pytest.fixture(scope="session")
def dma_harness(tmp_path_factory):
    """`dma_harness(name, params, memory=None)` -> SimBuild (built once per session and name)."""
    root = tmp_path_factory.mktemp("dma_src")
    builds = {}

    def get(name: str, p: DMAParams, memory: dict | None = None):
        if name not in builds:
            builds[name] = build_dma_harness(root / name, p, memory=memory)
        return builds[name]
    return get


@pytest.fixture
def dma_run(tmp_path):
    """`dma_run(sim, params, mode=..., mem_bytes=..., testcases=[...], ...)` runs sim/dma/test_dma.py."""
    def run(sim, p: DMAParams, **kwargs):
        return run_dma(sim, tmp_path, p, **kwargs)
    return run


@pytest.fixture(scope="session")
def dma_sim_dir():
    """Directory of the cocotb test modules of this area."""
    return SIM_DIR
