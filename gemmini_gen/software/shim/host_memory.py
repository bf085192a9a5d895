"""The C program's registered buffers as accelerator memory, and the DRAM addresses in commands.

A C program registers buffers by host virtual address; they may overlap (the same array twice, an
array and a struct around it).  `HostMemory` merges them into non-overlapping `Region`s named after
their address (``host_7ffd1c2e4000``) and builds the `Memory` a backend runs on, with the host
addresses as physical addresses.  After a run, `changed_buffers` gives the bytes to copy back, per
registered buffer.

`dram_fields(command)` lists the DRAM-address fields of a command (the table's `Kind.ADDR`
fields: MVIN/MVOUT addresses, LOOP_WS and LOOP_CONV_WS operand addresses); `check_commands`
requires every non-zero one to lie in a registered buffer, and `relocate` rewrites them (the
replay session moves buffers to compact addresses for the RTL's memory model).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...isa import FORMATS, Command, IllegalInstruction, Kind, format_of
from ...isa.layout import Field
from ...memory import Memory, Region

__all__ = ["HostMemory", "check_commands", "dram_fields", "relocate"]


class HostMemory:
    """The registered buffers of one batch, merged into regions, with their bytes."""

    def __init__(self, buffers: list[tuple[int, int]], data: list[np.ndarray]) -> None:
        self.buffers = list(buffers)
        spans: list[list[int]] = []                  # merged [start, end), sorted
        for base, size in sorted(buffers):
            if spans and base < spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], base + size)
            else:
                spans.append([base, base + size])
        self.regions = [Region(f"host_{start:x}", start, end - start) for start, end in spans]
        self._starts = [r.base for r in self.regions]
        self.contents = {r.name: np.zeros(r.size, dtype=np.uint8) for r in self.regions}
        for (base, size), raw in zip(buffers, data):
            region = self.region_of(base)
            self.contents[region.name][base - region.base:base - region.base + size] = raw

    def region_of(self, addr: int) -> Region | None:
        """The region holding byte `addr`, or None."""
        pos = int(np.searchsorted(self._starts, addr, side="right")) - 1
        if pos >= 0 and self.regions[pos].contains(addr):
            return self.regions[pos]
        return None

    def memory(self) -> Memory:
        """A `Memory` with every region at its host address, holding the buffers' bytes."""
        memory = Memory(self.regions)
        for region in self.regions:
            memory.write(region.base, self.contents[region.name])
        return memory

    def changed_buffers(self, final: dict[str, np.ndarray]) -> list[np.ndarray | None]:
        """Per registered buffer: its bytes in `final` (region name -> bytes) if they differ from
        what the program sent, else None."""
        out = []
        for base, size in self.buffers:
            region = self.region_of(base)
            lo = base - region.base
            new = final[region.name][lo:lo + size]
            out.append(None if np.array_equal(new, self.contents[region.name][lo:lo + size])
                       else np.ascontiguousarray(new))
        return out


# format name -> (register index 0 = rs1 / 1 = rs2, field) of its DRAM-address fields
_ADDRESS_FIELDS = {fmt.name: tuple((0 if reg == "rs1" else 1, f) for reg, f in fmt.fields()
                                   if f.kind is Kind.ADDR) for fmt in FORMATS}


def dram_fields(command: Command) -> tuple[tuple[int, Field], ...]:
    """(register index 0 = rs1 / 1 = rs2, field) of each DRAM-address field of `command`."""
    fmt = format_of(command.funct, command.rs1)
    return _ADDRESS_FIELDS[fmt.name] if fmt else ()


def check_commands(commands: list[Command], host: HostMemory, first_index: int) -> None:
    """Raise `IllegalInstruction` (indices from `first_index`) for a funct that does not fit in 7
    bits or a non-zero DRAM address outside every registered buffer."""
    for i, command in enumerate(commands):
        if command.funct >= 1 << 7:
            raise IllegalInstruction(first_index + i, "funct",
                                     f"{command.funct} does not fit in 7 bits")
        for reg, field in dram_fields(command):
            addr = field.get(command[1 + reg])
            if addr and host.region_of(addr) is None:
                fmt = format_of(command.funct, command.rs1)
                raise IllegalInstruction(
                    first_index + i, field.name, f"DRAM address {addr:#x} is not inside a "
                    f"registered buffer (gemmini_shim_buffer)", fmt.name)


def relocate(command: Command, move: Callable[[int], int]) -> Command:
    """`command` with each non-zero DRAM address `a` replaced by `move(a)`."""
    words = [command.rs1, command.rs2]
    for reg, field in dram_fields(command):
        addr = field.get(words[reg])
        if addr:
            words[reg] = (words[reg] & ~(field.mask << field.lsb)) | field.put(move(addr))
    return Command(command.funct, words[0], words[1])
