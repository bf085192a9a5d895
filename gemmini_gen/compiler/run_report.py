"""Per-layer totals over the runs of a compiled model, and the report `gemmini-run` writes.

`RunReport.add(result)` sums each step's MACs, cycles, calls and counters over runs (batches);
`to_dict()` gives the JSON report:

    {"model", "config", "backend", "total_cycles",
     "layers": [{"name", "op", "on", "macs", "cycles", "utilization", "utilization_basis",
                 "calls", "counters", "why_host"}],
     "host_ops", "notes", "cycles_note", ...}

Utilization is never guessed: with measured cycles (RTL) it is ``MACs / (cycles x DIM^2)``
(basis "cycles"); without them (golden model) it is the useful share of the MAC slots of the computes
the program issued, ``macs_useful / macs_array`` from the instruction-level counts (basis
"array": an upper bound on the time-based figure, since it ignores every stall); the reference
executor counts neither, so its utilization is null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import GemminiConfig
from .program import CompiledModel, RunResult, Step

__all__ = ["LayerTotals", "RunReport", "host_reason"]

_LAYOUT_OPS = {"Flatten", "Reshape", "Transpose", "Identity"}
_FLOAT_OPS = {"AveragePool", "GlobalAveragePool", "Softmax", "BatchNormalization"}
_GEMM_OPS = {"Conv", "MatMul", "Gemm"}


def host_reason(step: Step, notes: list[str]) -> str:
    """Why a host step is not on the accelerator (one phrase)."""
    for note in notes:
        if note.startswith(f"{step.name}: ") and "stays on the host" in note:
            return note.split("stays on the host", 1)[1].strip(" ()")
    op = step.op
    if op in ("QuantizeLinear", "DequantizeLinear"):
        return "float <-> integer conversion: the accelerator computes on integer codes"
    if op == "MaxPool":
        return "no pooling unit: the tiler does not fuse pooling into the GEMM output"
    if op in _LAYOUT_OPS:
        return "layout only, no arithmetic"
    if op == "Lut":
        return "a quantized elementwise table: the accelerator has no table unit"
    if op in _GEMM_OPS:
        return ("a float operator (allowed by --allow-host-ops): quantize the model to run it on the "
                "accelerator")
    if op in _FLOAT_OPS:
        return "a float operator: the accelerator computes on integer codes"
    if op in ("Relu", "Clip", "Add"):
        return "a standalone elementwise operator: the accelerator applies these only to its own outputs"
    return "no accelerator implementation (run by onnxruntime on the host, allowed by --allow-host-ops)"


@dataclass
class LayerTotals:
    name: str
    op: str
    on: str
    macs: int = 0
    cycles: int | None = 0
    calls: int = 0
    counters: dict[str, int] = field(default_factory=dict)


class RunReport:
    """Totals of one compiled model's runs on one executor."""

    def __init__(self, compiled: CompiledModel, backend: str) -> None:
        self.compiled = compiled
        self.config: GemminiConfig = compiled.config
        self.backend = backend
        self.runs = 0
        self.layers = [LayerTotals(s.name, s.op, s.on, cycles=0 if s.on == "accelerator" else None)
                       for s in compiled.steps]

    def add(self, result: RunResult) -> None:
        self.runs += 1
        for totals, step in zip(self.layers, result.steps):
            totals.macs += step.macs
            totals.calls += step.calls
            if totals.on == "accelerator":
                totals.cycles = None if step.cycles is None or totals.cycles is None \
                    else totals.cycles + step.cycles
            for key, value in step.counters.items():
                totals.counters[key] = totals.counters.get(key, 0) + value

    @property
    def total_cycles(self) -> int | None:
        cycles = [t.cycles for t in self.layers if t.on == "accelerator"]
        return None if any(c is None for c in cycles) else sum(cycles)

    def utilization(self, totals: LayerTotals) -> tuple[float | None, str | None]:
        """(utilization, basis) of one layer (see the module docstring)."""
        if totals.on != "accelerator":
            return None, None
        if totals.cycles:
            return totals.macs / (totals.cycles * self.config.dim ** 2), "cycles"
        slots = totals.counters.get("macs_array")
        if slots:
            return totals.counters.get("macs_useful", 0) / slots, "array"
        return None, None

    def to_dict(self) -> dict:
        layers = []
        for totals, step in zip(self.layers, self.compiled.steps):
            utilization, basis = self.utilization(totals)
            entry = {"name": totals.name, "op": totals.op, "on": totals.on, "macs": totals.macs,
                     "cycles": totals.cycles, "utilization": utilization, "utilization_basis": basis,
                     "calls": totals.calls, "counters": dict(sorted(totals.counters.items()))}
            if totals.on == "host":
                entry["why_host"] = host_reason(step, self.compiled.notes)
            layers.append(entry)
        accelerator_macs = sum(t.macs for t in self.layers if t.on == "accelerator")
        return {
            "backend": self.backend,
            "config": self.config.to_dict(),
            "config_name": self.config.name,
            "runs": self.runs,
            "total_cycles": self.total_cycles,
            "cycles_note": self._cycles_note(),
            "accelerator_macs": accelerator_macs,
            "layers": layers,
            "host_ops": [{"name": e["name"], "op": e["op"], "why": e["why_host"]}
                         for e in layers if e["on"] == "host"],
            "notes": list(self.compiled.notes),
        }

    def _cycles_note(self) -> str:
        if not any(t.on == "accelerator" for t in self.layers):
            return "no step ran on the accelerator"
        if self.total_cycles is not None:
            return (f"cycles measured by the {self.backend} backend from each program's first command "
                    f"to idle, summed over layers and runs; utilization = MACs / (cycles x DIM^2)")
        if any(self.utilization(t)[1] == "array" for t in self.layers):
            return (f"the {self.backend} backend does not model time: cycles are null (no estimate is "
                    f"given); utilization is the useful share of the MAC slots of the issued computes "
                    f"(instruction-level counts), an upper bound on time-based utilization")
        return (f"the {self.backend} executor models neither time nor the array's issue: cycles and "
                f"utilization are null")
