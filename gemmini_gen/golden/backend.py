"""The "golden" backend: runs a program on a fresh `GoldenMachine` (numpy functional model)."""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import BackendError, RunResult
from ..config import GemminiConfig
from ..isa import Program
from ..memory import Memory
from .machine import GoldenMachine
from .state import GoldenState

__all__ = ["GoldenBackend", "GoldenRunResult"]


@dataclass
class GoldenRunResult(RunResult):
    """A `RunResult` plus the final architectural state (`state.sp`, `state.acc`, `state.pe`, ...)
    for tests that look inside the accelerator."""

    state: GoldenState | None = None


class GoldenBackend:
    """Backend "golden": bit-exact, counts instructions (no cycles)."""

    name = "golden"

    def __init__(self, config: GemminiConfig, **options) -> None:
        if options:
            raise BackendError(f"the golden backend takes no options, got "
                               f"{', '.join(sorted(options))}")
        self.config = config

    def run(self, program: Program, memory: Memory) -> GoldenRunResult:
        """Run `program` from reset on a copy of `memory`."""
        machine = GoldenMachine(self.config)
        final = memory.copy()
        machine.execute(program, final)
        return GoldenRunResult(memory=final, cycles=None, counters=machine.stats.as_dict(),
                               stats=machine.stats, responses=list(machine.responses),
                               state=machine.state)
