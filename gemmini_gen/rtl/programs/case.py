"""`ProgramCase`: one test program with its initial memory and what a comparison must know about it,
and `CaseBuilder`, the small helper the directed programs are written with.

A case is backend-neutral: run `case.program` on `case.memory` with any backend and compare the
results (`compare.py`).  `checked_responses[i]` says whether the i-th COUNTER response has a value
every backend must agree on (a disabled counter reads 0); the others are compared by count only,
since the golden model counts commands where the hardware counts cycles.  `readback` describes the
read-back region (which local rows landed where), so a mismatch there is reported as a scratchpad
or accumulator row and column instead of a byte offset.  `expected` optionally holds independent
numpy results for some regions (region name -> array), which validate the program itself against the
golden model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from ...config import GemminiConfig
from ...isa import Command, Program
from ...memory import Memory, Region

__all__ = ["CaseBuilder", "ProgramCase", "ReadbackBlock"]


@dataclass(frozen=True)
class ReadbackBlock:
    """Local rows [first_row, first_row + rows) of `source` ("sp", "acc_full" or "acc_scaled"),
    stored at `offset` bytes into the read-back region, `row_bytes` per row."""

    source: str
    first_row: int
    rows: int
    offset: int
    row_bytes: int


@dataclass
class ProgramCase:
    """A program, its initial memory and the comparison metadata (see the module docstring)."""

    name: str
    program: Program
    memory: Memory
    checked_responses: list[bool] = field(default_factory=list)
    readback: list[ReadbackBlock] = field(default_factory=list)
    readback_region: str | None = None
    expected: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.program.check_memory(self.memory)

    @property
    def commands(self) -> int:
        return len(self.program.commands)


class CaseBuilder:
    """Regions with initial data, commands, and a `ProgramCase` at the end.

    ```python
    b = CaseBuilder(cfg, "mvin_mvout", seed)
    a = b.data("A", b.rng.integers(-128, 128, (16, 16), dtype=np.int8))
    c = b.space("C", 256)
    b.add(config_ld(16, block_stride=16), mvin(a, sp(0), 16, 16), ...)
    case = b.case()               # read-back appended (see readback.py)
    ```
    """

    def __init__(self, cfg: GemminiConfig, name: str, seed: int = 0) -> None:
        self.cfg = cfg
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.memory = Memory()
        self.commands: list[Command] = []
        self.checked_responses: list[bool] = []
        self.expected: dict[str, np.ndarray] = {}

    def data(self, name: str, array, align: int = 64) -> int:
        """A region holding `array` (C order, little-endian); returns its base address."""
        array = np.ascontiguousarray(array)
        region = self.memory.alloc(name, max(array.nbytes, 1), align=align)
        self.memory.write_array(name, array)
        return region.base

    def space(self, name: str, nbytes: int, align: int = 64, fill: int | None = None) -> int:
        """An output region of `nbytes`, zero or pre-filled with the byte `fill` (so that bytes a
        program must not touch are visibly non-zero); returns its base address."""
        region = self.memory.alloc(name, nbytes, align=align)
        if fill is not None:
            self.memory.write(region.base, np.full(nbytes, fill, dtype=np.uint8))
        return region.base

    def region(self, name: str) -> Region:
        return self.memory.region(name)

    def add(self, *commands: Command | Iterable[Command]) -> None:
        """Append commands (single commands or iterables of them)."""
        for item in commands:
            if isinstance(item, Command):
                self.commands.append(item)
            else:
                self.commands.extend(item)

    def counter(self, command: Command, checked: bool) -> None:
        """Append a COUNTER command whose response value is (`checked`) or is not deterministic."""
        self.commands.append(command)
        self.checked_responses.append(checked)

    def expect(self, name: str, array: np.ndarray) -> None:
        """Record the independently computed final contents of region `name` (its first bytes)."""
        self.expected[name] = np.ascontiguousarray(array)

    def case(self, readback: bool = True, comment: str = "") -> ProgramCase:
        """The finished case, with read-back MVOUTs of every local row written (default)."""
        from .readback import with_readback

        program = Program(self.commands, self.memory.regions, name=self.name, comment=comment)
        case = ProgramCase(self.name, program, self.memory, list(self.checked_responses),
                           expected=dict(self.expected))
        return with_readback(case, self.cfg) if readback else case
