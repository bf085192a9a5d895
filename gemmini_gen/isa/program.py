"""`Program`: a command list plus the memory regions it uses, with text and binary forms.

```python
prog = Program([config_ld(16, block_stride=16), mvin(a.base, sp(0), 16, 16)], [a], name="demo")
Program.from_text(prog.to_text()) == prog          # exact, every bit
Program.from_bytes(prog.to_bytes()) == prog
prog.validate(cfg)                                 # static checks of every command
```
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from ..memory import Memory, MemoryAccessError, Region
from .binary import pack_program, unpack_program
from .command import Command
from .decoder import Instruction, decode
from .table import format_of
from .text import assemble, disassemble

if TYPE_CHECKING:
    from ..config import GemminiConfig

__all__ = ["Program"]


@dataclass
class Program:
    """Commands in program order, the regions of main memory they use, a name and a comment."""

    commands: list[Command]
    regions: list[Region] = field(default_factory=list)
    name: str = ""
    comment: str = ""

    def __post_init__(self) -> None:
        self.commands = [Command(*c).check() for c in self.commands]
        self.regions = list(self.regions)
        Memory(self.regions)          # names, bases, sizes and overlaps are valid
        if "\n" in self.name or self.name != self.name.strip():
            raise ValueError(f"program name must be one line without surrounding spaces, "
                             f"got {self.name!r}")

    # ------------------------------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------------------------------
    def append(self, command: Command | tuple[int, int, int]) -> None:
        self.commands.append(Command(*command).check())

    def extend(self, commands: Iterable[Command]) -> None:
        for command in commands:
            self.append(command)

    def __len__(self) -> int:
        return len(self.commands)

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)

    # ------------------------------------------------------------------------------------------
    # Forms
    # ------------------------------------------------------------------------------------------
    def to_text(self) -> str:
        return disassemble(self)

    @classmethod
    def from_text(cls, text: str) -> "Program":
        return assemble(text)

    def to_bytes(self) -> bytes:
        return pack_program(self.commands, self.regions, self.name, self.comment)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Program":
        commands, regions, name, comment = unpack_program(data)
        return cls(commands, regions, name=name, comment=comment)

    # ------------------------------------------------------------------------------------------
    # Inspection
    # ------------------------------------------------------------------------------------------
    def decode(self, cfg: "GemminiConfig | None" = None) -> list[Instruction]:
        """Every command decoded (and, with `cfg`, statically checked)."""
        return [decode(cmd, cfg, index) for index, cmd in enumerate(self.commands)]

    def validate(self, cfg: "GemminiConfig") -> None:
        """Raise `IllegalInstruction` for the first command that is illegal on `cfg` whatever the
        machine state (state-dependent rules are checked when the program runs)."""
        self.decode(cfg)

    def counts(self) -> dict[str, int]:
        """Number of commands by mnemonic ("raw" for unknown functs), in first-seen order."""
        counts: Counter[str] = Counter()
        for funct, rs1, _ in self.commands:
            fmt = format_of(funct, rs1)
            counts[fmt.name if fmt else "raw"] += 1
        return dict(counts)

    def memory(self) -> Memory:
        """A zero-filled `Memory` with this program's regions."""
        return Memory(self.regions)

    def check_memory(self, memory: Memory) -> None:
        """Raise `MemoryAccessError` unless every region of the program exists in `memory`."""
        have = set(memory.regions)
        for region in self.regions:
            if region not in have:
                raise MemoryAccessError(f"memory lacks program region {region.name!r} at "
                                        f"{region.base:#x} ({region.size} bytes)")

