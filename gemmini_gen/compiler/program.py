"""A compiled model: an ordered list of steps, each on the accelerator or on the host, and how to run it.

`CompiledModel.run(inputs, executor)` validates the inputs against the model's declared inputs, executes
the steps in order (accelerator layers through a `GemmExecutor`, everything else in numpy or through the
onnxruntime fallback) and returns the outputs together with a per-step report: where each step ran, its
MACs, and the executor's cycles and counters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..config import GemminiConfig
from .errors import CompilerError, InputError
from .gemm_executor import GemmExecutor, ReferenceGemmExecutor
from .gemm_layer import GemmLayer
from .graph import ValueInfo
from .resadd import ResaddLayer

__all__ = ["Step", "StepReport", "RunResult", "CompiledModel"]


@dataclass
class StepReport:
    name: str
    op: str
    on: str                                 # "accelerator" | "host"
    macs: int = 0
    cycles: int | None = None
    calls: int = 0
    counters: dict[str, int] = field(default_factory=dict)


@dataclass
class Step:
    """One unit of work: an accelerator layer (`layer` set: a `GemmLayer` or a `ResaddLayer`) or a host
    function (`host` set)."""

    name: str
    op: str
    on: str
    sources: tuple[str, ...]
    inputs: list[str]
    outputs: list[str]
    layer: GemmLayer | ResaddLayer | None = None
    host: Callable[[list], list] | None = None

    def run(self, values: dict[str, np.ndarray], executor: GemmExecutor) -> StepReport:
        args = [values[i] if i else None for i in self.inputs]
        try:
            if self.layer is not None:
                y, run = self.layer.run_step(args, executor)
                outs = [y]
                report = StepReport(self.name, self.op, self.on, run.macs, run.cycles, run.calls,
                                    run.counters)
            else:
                outs = self.host(args)
                report = StepReport(self.name, self.op, self.on)
        except CompilerError:
            raise
        except (ValueError, IndexError, TypeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CompilerError(f"step {self.name!r} ({self.op}) failed: {first}") from None
        for name, value in zip(self.outputs, outs):
            if name:
                values[name] = value
        return report


@dataclass
class RunResult:
    outputs: dict[str, np.ndarray]
    steps: list[StepReport]

    @property
    def total_macs(self) -> int:
        return sum(s.macs for s in self.steps)

    @property
    def total_cycles(self) -> int | None:
        cycles = [s.cycles for s in self.steps if s.on == "accelerator"]
        return None if any(c is None for c in cycles) else sum(cycles)


@dataclass
class CompiledModel:
    inputs: list[ValueInfo]
    outputs: list[ValueInfo]
    steps: list[Step]
    constants: dict[str, np.ndarray]
    config: GemminiConfig
    notes: list[str] = field(default_factory=list)

    @property
    def accelerator_steps(self) -> list[Step]:
        return [s for s in self.steps if s.on == "accelerator"]

    def placement(self) -> list[tuple[str, str, str]]:
        """(step name, op, where) for every step, in execution order."""
        return [(s.name, s.op, s.on) for s in self.steps]

    def check_inputs(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        expected = {vi.name: vi for vi in self.inputs}
        for name in inputs:
            if name not in expected:
                raise InputError(f"unknown input {name!r}; the model's inputs are "
                                 f"{', '.join(vi.describe() for vi in self.inputs) or 'none'}")
        checked = {}
        for name, vi in expected.items():
            if name not in inputs:
                raise InputError(f"missing input {name!r}; the model's inputs are "
                                 f"{', '.join(v.describe() for v in self.inputs)}")
            value = np.asarray(inputs[name])
            if value.dtype != vi.dtype:
                raise InputError(f"input {name!r} has dtype {value.dtype}, the model expects {vi.dtype}")
            if vi.shape is not None and (value.ndim != len(vi.shape) or any(
                    isinstance(d, int) and d != s for d, s in zip(vi.shape, value.shape))):
                raise InputError(f"input {name!r} has shape {value.shape}, the model expects "
                                 f"{vi.shape_text()}")
            checked[name] = value
        return checked

    def run(self, inputs: Mapping[str, np.ndarray], executor: GemmExecutor | None = None) -> RunResult:
        executor = executor if executor is not None else ReferenceGemmExecutor(self.config)
        values: dict[str, np.ndarray] = dict(self.constants)
        values.update(self.check_inputs(inputs))
        reports = [step.run(values, executor) for step in self.steps]
        return RunResult({vi.name: values[vi.name] for vi in self.outputs}, reports)
