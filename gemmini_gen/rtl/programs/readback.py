"""Read-back of local state: find every scratchpad/accumulator row a program writes and append
MVOUTs that copy those rows to a fresh DRAM region, so that comparing final memories also compares
the accelerator's local state.

`written_rows(program, cfg)` lists the rows MVINs and computes with a C destination write (see
`walk.py`).  `with_readback(case, cfg)` appends, per contiguous run of at most DIM
written rows: a scratchpad MVOUT; for accumulator rows a full-width MVOUT (when the config can read
full width) and a scaled one (scale 1.0, no activation: saturation to the input type) when it can
read small width.  The read-back region is new, so the MVOUTs race with nothing in DRAM, and they
follow the program in the store queue, so the hardware's hazard tracking orders them after every
write to the rows they read.
"""

from __future__ import annotations

from ...config import GemminiConfig
from ...isa import Command, Program, acc, config_st, mvin, mvout, sp
from ...memory import Memory
from .case import ProgramCase, ReadbackBlock
from .walk import local_footprint

__all__ = ["READBACK_REGION", "clean_slate", "with_readback", "written_rows"]

READBACK_REGION = "readback"


def written_rows(program: Program, cfg: GemminiConfig) -> tuple[set[int], set[int]]:
    """(scratchpad rows, accumulator rows) that the program's commands write."""
    fp = local_footprint(program, cfg)
    return fp.sp_written, fp.acc_written


def _runs(rows: set[int], dim: int) -> list[tuple[int, int]]:
    """Sorted rows as (first, count) runs of consecutive rows, each at most `dim` long."""
    out: list[tuple[int, int]] = []
    for r in sorted(rows):
        if out and out[-1][0] + out[-1][1] == r and out[-1][1] < dim:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((r, 1))
    return out


def with_readback(case: ProgramCase, cfg: GemminiConfig) -> ProgramCase:
    """A copy of `case` whose program ends with read-back MVOUTs into a new region "readback"."""
    dim = cfg.dim
    sp_rows, acc_rows = written_rows(case.program, cfg)
    sources = [("sp", _runs(sp_rows, dim), cfg.sp_row_bytes)]
    if cfg.acc_read_full_width:
        sources.append(("acc_full", _runs(acc_rows, dim), cfg.acc_row_bytes))
    if cfg.acc_read_small_width:
        sources.append(("acc_scaled", _runs(acc_rows, dim), cfg.sp_row_bytes))
    blocks, offset = [], 0
    for source, runs, row_bytes in sources:
        for first, count in runs:
            blocks.append(ReadbackBlock(source, first, count, offset, row_bytes))
            offset += count * row_bytes
    if not blocks:
        return case

    memory = Memory(case.memory.regions)
    for region in case.memory.regions:
        memory.write(region.base, case.memory.read(region.base, region.size))
    base = memory.alloc(READBACK_REGION, offset).base
    commands = list(case.program.commands)
    current = None
    for block in blocks:
        if block.row_bytes != current:       # stride = one row; no pooling, no activation
            commands.append(config_st(block.row_bytes, act=0, scale=1.0))
            current = block.row_bytes
        if block.source == "sp":
            local = sp(block.first_row)
        else:
            local = acc(block.first_row, read_full=block.source == "acc_full")
        commands.append(mvout(base + block.offset, local, dim, block.rows))
    program = Program(commands, memory.regions, name=case.program.name,
                      comment=case.program.comment)
    return ProgramCase(case.name, program, memory, list(case.checked_responses), blocks,
                       READBACK_REGION, dict(case.expected))


def clean_slate(program: Program, cfg: GemminiConfig) -> list[Command]:
    """Zero-fill MVINs (DRAM address 0, load state 0 with its reset configuration) of every
    scratchpad and accumulator row `program` reads or writes: after a reset, they make hardware that
    ran other programs before look freshly powered up to `program`."""
    fp = local_footprint(program, cfg)
    d = cfg.dim
    return [mvin(0, sp(first), d, count) for first, count in _runs(fp.sp_touched, d)] + \
           [mvin(0, acc(first), d, count) for first, count in _runs(fp.acc_touched, d)]
