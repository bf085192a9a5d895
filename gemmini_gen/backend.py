"""The backend interface: anything that can run a `Program` against a `Memory`.

```python
backend = get_backend("golden", cfg)           # or "rtl"
result = backend.run(program, memory)          # memory is not modified
result.memory.read_array("C", (64, 64), np.int8)
result.stats.instructions["mvin"], result.stats.macs_useful
```
Backends are registered by name with the module path of their class, imported only when asked for,
so importing this module never imports Amaranth or cocotb.
A backend class is constructed as `cls(config, **options)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .config import GemminiConfig
from .memory import Memory

if TYPE_CHECKING:
    from .isa import Program

__all__ = [
    "Backend", "BackendError", "ExecStats", "RunResult", "backend_names", "get_backend",
    "register_backend",
]


class BackendError(ValueError):
    """An unknown or unavailable backend, or a bad backend option (one-line message)."""


@dataclass
class ExecStats:
    """What an analytic model needs from one run.

    `instructions` counts executed commands by mnemonic, including the commands a LOOP_WS expands
    into (the LOOP_WS itself counts once as "loop_ws").  Row counts are local-memory rows of DIM
    elements touched (a multi-block access counts each block's rows; compute reads count A, B/D and
    bias rows).  `macs_useful` = rows * k * cols actually multiplied; `macs_array` = DIM**3 per
    compute (what the array spends).
    """

    instructions: dict[str, int] = field(default_factory=dict)
    dram_bytes_read: int = 0
    dram_bytes_written: int = 0
    sp_rows_read: int = 0
    sp_rows_written: int = 0
    acc_rows_read: int = 0
    acc_rows_written: int = 0
    macs_useful: int = 0
    macs_array: int = 0

    @property
    def total_instructions(self) -> int:
        return sum(self.instructions.values())

    @property
    def mvin_count(self) -> int:
        return sum(self.instructions.get(n, 0) for n in ("mvin", "mvin2", "mvin3"))

    @property
    def mvout_count(self) -> int:
        return self.instructions.get("mvout", 0)

    @property
    def compute_count(self) -> int:
        return sum(self.instructions.get(n, 0)
                   for n in ("compute_preloaded", "compute_accumulated"))

    def as_dict(self) -> dict[str, int]:
        """Flat name -> value (instruction counts as `inst.<mnemonic>`)."""
        out = {f"inst.{name}": count for name, count in self.instructions.items()}
        for name in ("dram_bytes_read", "dram_bytes_written", "sp_rows_read", "sp_rows_written",
                     "acc_rows_read", "acc_rows_written", "macs_useful", "macs_array"):
            out[name] = getattr(self, name)
        return out


@dataclass
class RunResult:
    """The outcome of one run.

    `memory`: the final memory (a new object).  `cycles`: simulated cycles (RTL) or None (golden).
    `counters`: RTL performance counters / golden instruction-level counts (`ExecStats.as_dict`).
    `responses`: the values returned by COUNTER commands, in command order.
    """

    memory: Memory
    cycles: int | None
    counters: dict[str, int]
    stats: ExecStats
    responses: list[int] = field(default_factory=list)


@runtime_checkable
class Backend(Protocol):
    name: str
    config: GemminiConfig

    def run(self, program: "Program", memory: Memory) -> RunResult: ...


# name -> "module:Class"; a backend's module is imported only by `get_backend`.
_REGISTRY: dict[str, str] = {
    "golden": "gemmini_gen.golden.backend:GoldenBackend",
    "rtl": "gemmini_gen.rtl.backend:RtlBackend",
}


def register_backend(name: str, target: str) -> None:
    """Register (or replace) backend `name` as "package.module:ClassName"."""
    if ":" not in target:
        raise BackendError(f"backend target must be 'module:Class', got {target!r}")
    _REGISTRY[name] = target


def backend_names() -> list[str]:
    return list(_REGISTRY)


def get_backend(name: str, config: GemminiConfig, **options) -> Backend:
    """An instance of backend `name` for `config` (options are backend-specific)."""
    if name not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r} (choose from {', '.join(_REGISTRY)})")
    module_name, _, class_name = _REGISTRY[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise BackendError(f"backend {name!r} is not available (module {module_name} "
                               f"not found)") from None
        raise
    return getattr(module, class_name)(config, **options)
