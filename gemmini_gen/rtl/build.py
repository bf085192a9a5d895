"""Cached Verilator builds of `AcceleratorHarness`: one per (config, `HarnessParams`, waves).

With the memory model, the simulated top is `CLOCKED_TOP`, a Verilog wrapper that sets the time
scale and passes every port of the harness through, and the clock is generated in C++ by our own
simulation main (`clocked_main.cpp`, replacing cocotb's): it runs the clock edges between two of
cocotb's timers as plain model evaluations, without the VPI phases cocotb's main runs at every time
step, as long as no Python callback waits on a signal.  ``clk`` stays visible for `RisingEdge`
awaits.  A value Python writes in a `RisingEdge` callback can already be seen by that edge, so
Python must only write levels it holds for several cycles.  cocotb-driven bus models (the
external-AXI variant for cocotbext-axi) need the cocotb clock instead and get the plain `TOP` with
cocotb's main (`SimBuild.hdl_clock` is False).

Emitting the Verilog of a DIM-16 accelerator takes seconds, so a build is looked up before anything
is emitted: the key hashes the config, the harness parameters, the wave option and the source of
every module the RTL is generated from (`gemmini_gen/hw`, `gemmini_gen/isa`, `config.py`, the
harness modules here) plus the Amaranth version.  The emitted Verilog is kept under the simulation
cache (`sim_runner.cache_root()/rtl-harness/<key>/`), and `sim_runner.build` caches the compiled
model by the Verilog's content, so an unchanged design costs one hash of the sources.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from ..config import GemminiConfig
from ..sim_runner import SimBuild, build, cache_root

__all__ = ["CLOCKED_MAIN", "CLOCKED_TOP", "PERIOD_NS", "TOP", "clocked_wrapper",
           "harness_build", "source_fingerprint"]

TOP = "gemmini_harness"
CLOCKED_TOP = "gemmini_harness_clocked"
PERIOD_NS = 10
CLOCKED_MAIN = Path(__file__).resolve().parent / "clocked_main.cpp"
# The wrapper's time scale is 1ns/1ps: the main counts time in picoseconds.
CLOCK_ARGS = ("-CFLAGS", "-DGEMMINI_CLOCK=clk", "-CFLAGS", f"-DGEMMINI_HALF_PERIOD={PERIOD_NS * 500}")
_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCE_GLOBS = ("hw/**/*.py", "isa/*.py", "config.py", "arith.py", "emit.py", "rtl/harness.py",
                 "rtl/command_feeder.py", "rtl/response_ring.py", "rtl/axi_gate.py",
                 "rtl/build.py", "rtl/clocked_main.cpp")


@lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """Hash of every source file the harness Verilog derives from, and of the Amaranth version."""
    import amaranth

    h = hashlib.sha256(amaranth.__version__.encode())
    files = sorted({p for pattern in _SOURCE_GLOBS for p in _PACKAGE.glob(pattern)})
    for path in files:
        h.update(str(path.relative_to(_PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def _key(cfg: GemminiConfig, params, waves: bool) -> str:
    blob = json.dumps({"config": cfg.to_dict() | {"name": ""}, "params": asdict(params),
                       "waves": waves, "sources": source_fingerprint()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def harness_build(cfg: GemminiConfig, params, waves: bool = False) -> SimBuild:
    """The compiled harness for `cfg` and `params` (a `HarnessParams`), built if not cached.

    The returned `SimBuild` has `build_seconds` (0 when cached), `cached`, `emit_seconds` (the
    time spent generating Verilog, 0 when the emitted sources were reused) and `hdl_clock` (the
    clock runs in HDL; else the simulation must drive ``clk``)."""
    key = _key(cfg, params, waves)
    src_dir = cache_root() / "rtl-harness" / key
    src_dir.mkdir(parents=True, exist_ok=True)
    # Several processes (parallel test runs, users) may ask for the same build at once: one builds,
    # the others wait for it and then find it cached.
    with open(src_dir / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(cfg, params, waves, src_dir)


def clocked_wrapper(harness) -> str:
    """Verilog of `CLOCKED_TOP`: `TOP` under a 1ns/1ps time scale with every port passed through
    (the clock is driven by `clocked_main.cpp`)."""
    from amaranth.hdl import Const, Value
    from amaranth.lib import wiring

    decls, conns = ["  input clk"], ["    .clk(clk)"]
    for path, member, value in harness.signature.flatten(harness):
        name = "__".join(map(str, path))
        value = Value.cast(value)
        if name == "clk" or isinstance(value, Const):
            continue
        width = f"[{len(value) - 1}:0] " if len(value) > 1 else ""
        decls.append(f"  {'input' if member.flow == wiring.In else 'output'} {width}{name}")
        conns.append(f"    .{name}({name})")
    return ("`timescale 1ns/1ps\n"
            f"module {CLOCKED_TOP}(\n" + ",\n".join(decls) + "\n);\n"
            f"  {TOP} harness(\n" + ",\n".join(conns) + "\n  );\nendmodule\n")


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)                        # never leave a half-written source behind


def _build_locked(cfg: GemminiConfig, params, waves: bool, src_dir: Path) -> SimBuild:
    from ..hw.axi_memory import write_storage_verilog

    top_v, wrapper_v = src_dir / f"{TOP}.v", src_dir / f"{CLOCKED_TOP}.v"
    emit_seconds = 0.0
    if not (top_v.exists() and wrapper_v.exists()):
        from ..emit import convert_built
        from .harness import AcceleratorHarness

        start = time.monotonic()
        top_text, wrapper_text = convert_built(lambda: AcceleratorHarness(cfg, params), TOP,
                                               clocked_wrapper)
        _write(top_v, top_text)
        _write(wrapper_v, wrapper_text)
        emit_seconds = time.monotonic() - start
    storage_v = write_storage_verilog(src_dir)
    if params.external:
        sim = build(TOP, [top_v, storage_v], waves=waves, name=f"{TOP}-{cfg.slug()}")
    else:
        sim = build(CLOCKED_TOP, [wrapper_v, top_v, storage_v], waves=waves,
                    extra_args=CLOCK_ARGS, main=CLOCKED_MAIN, name=f"{TOP}-{cfg.slug()}")
    sim.hdl_clock = not params.external
    sim.emit_seconds = emit_seconds
    return sim
