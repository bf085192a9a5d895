"""Programs that only move data through the accumulator (residual add, NHWC global average):
their double-buffered schedule and their `StreamPlan`.

Tile t lives in accumulator half t % 2.  The stream is: tile 0's loads, then for each tile t its
stores with tile t+1's loads spread evenly between them.  The loads of t+1 write the other half,
whose previous tile (t-1) was stored one round earlier, so the load queue refills one half while
the store queue drains the other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from ..isa import Command
from ..isa.table import format_of

__all__ = ["StreamPlan", "count_commands", "stream_schedule"]


@dataclass(frozen=True)
class StreamPlan:
    """What a data-movement program does: its tile (rows x columns of elements held in one
    accumulator half), the number of tiles, command counts (`counts` in the program, `executed`
    with LOOP_WS expanded) and DRAM traffic."""

    kind: str
    tile_rows: int
    tile_cols: int
    tiles: int
    counts: dict[str, int] = field(compare=False)
    executed: dict[str, int] = field(compare=False)
    dram_bytes_read: int = 0
    dram_bytes_written: int = 0
    macs: int = 0

    @property
    def total_commands(self) -> int:
        return sum(self.counts.values())


def count_commands(commands: Sequence[Command]) -> Counter:
    """Commands by mnemonic."""
    return Counter(format_of(c.funct, c.rs1).name for c in commands)


def stream_schedule(tiles: Sequence[tuple[Sequence[Command], Sequence[Command]]]) -> list[Command]:
    """(loads, stores) per tile -> the double-buffered command stream (see the module docstring)."""
    out = list(tiles[0][0])
    for t, (_, stores) in enumerate(tiles):
        following = tiles[t + 1][0] if t + 1 < len(tiles) else ()
        slots: list[list[Command]] = [[] for _ in range(len(stores) + 1)]
        for index, command in enumerate(following):
            slots[index * len(stores) // len(following)].append(command)
        for store, loads in zip(stores, slots):
            out.extend(loads)
            out.append(store)
        out.extend(slots[-1])
    return out
