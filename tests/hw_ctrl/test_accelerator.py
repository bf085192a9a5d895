"""The whole `Accelerator` on Verilator (through the `rtl` backend), for what only the complete
machine shows: illegal commands are reported and dropped without any effect while the machine
goes on, and command streams with dense cross-queue hazards match the golden model.

One Verilator build of the `small` preset (DIM 4, BOTH dataflows), cached across runs.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from gemmini_gen.backend import get_backend
from gemmini_gen.config import preset
from gemmini_gen.isa import (
    GARBAGE, IllegalInstruction, Program, acc, compute_accumulated, compute_preloaded, config_ex,
    config_ld, config_st, mvin, mvin3, mvout, preload, sp,
)
from gemmini_gen.isa.table import format_of
from gemmini_gen.memory import Memory

from random_commands import random_command

pytest.importorskip("cocotb")
CFG = preset("small")
#: Golden-model errors the hardware does not look for: DRAM outside the program's regions,
#: undefined results (a GARBAGE A, scale overflow, OS chains), and writes to a pending PRELOAD's
#: rows.  A program with such a command is illegal, but the hardware executes it.
UNDETECTED = ("outside the program's regions", "GARBAGE A", "chain", "pending PRELOAD",
              "2**63", "include a GARBAGE")


def _golden_error(program: Program, memory: Memory):
    try:
        get_backend("golden", CFG).run(program, memory)
    except IllegalInstruction as e:
        return e
    return None


def _injection(rng: random.Random, commands: list, memory: Memory):
    """(position, command) such that the golden model rejects the command there for a reason the
    hardware checks too, or the command is a LOOP_* (legal, but unsupported here)."""
    while True:
        position = rng.randrange(len(commands) + 1)
        bad = random_command(rng, CFG)
        fmt = format_of(bad.funct, bad.rs1)
        if fmt is not None and fmt.queue == "loop" and rng.random() < 0.8:
            continue                 # 13 of the table's 27 formats: keep them a minority
        error = _golden_error(Program(commands[:position] + [bad], memory.regions), memory)
        if error is None:
            if fmt is not None and fmt.queue == "loop":
                return position, bad
            continue
        assert error.index == position, f"the prefix itself is illegal: {error}"
        if error.field in ("dram", "scale") or any(s in error.message for s in UNDETECTED):
            continue
        return position, bad


@pytest.mark.parametrize("seed", range(8))
def test_illegal_command_is_reported_and_dropped(seed):
    """A random program with one illegal command inserted at a random place: the hardware names
    that command, and its final memory equals the golden model's for the program without it."""
    from gemmini_gen.rtl.backend import RtlIllegalCommand
    from gemmini_gen.rtl.programs.random_gen import random_case

    case = random_case(CFG, seed=100 + seed, commands=120)
    rng = random.Random(seed)
    commands = list(case.program.commands)
    position, bad = _injection(rng, commands, case.memory)
    expected = get_backend("golden", CFG).run(case.program, case.memory)
    program = Program(commands[:position] + [bad] + commands[position:], case.program.regions,
                      name=f"illegal_{seed}")
    with pytest.raises(RtlIllegalCommand) as info:
        get_backend("rtl", CFG).run(program, case.memory)
    error = info.value
    assert error.index == position and error.field != "NONE", error
    assert error.result.memory == expected.memory, "the dropped command changed memory"
    assert len(error.result.responses) == len(expected.responses)


def _hazard_program(rng: np.random.Generator):
    """Loads, computes and stores that reuse a handful of rows in every order: RAW, WAR and WAW
    between all three queues, in both memories, with computes writing the scratchpad rows later
    computes read."""
    d = CFG.dim
    mem = Memory()
    src = mem.alloc("src", 64 * d * d)
    mem.write(src.base, rng.integers(-128, 128, 64 * d * d, dtype=np.int64).astype(np.int8))
    out = mem.alloc("out", 256 * d * 4 * d)
    cmds = [config_ld(d, block_stride=d), config_st(d), config_ex("WS")]
    slot = 0
    for _ in range(60):
        kind = rng.integers(0, 5)
        row = int(rng.integers(0, 6)) * d // 2
        if kind == 0:
            cmds.append(mvin(src.base + int(rng.integers(0, 60)) * d * d, sp(row), d, d))
        elif kind == 1:
            cmds.append(mvin(src.base + int(rng.integers(0, 60)) * d * d,
                             acc(row, accumulate=bool(rng.integers(0, 2))), d, d))
        elif kind in (2, 3):
            c = sp(row + 3 * d) if kind == 2 else acc(row, accumulate=bool(rng.integers(0, 2)))
            cmds += [preload(sp(row), c, d, d, d, d),
                     compute_preloaded(sp((row + d) % (6 * d)), GARBAGE, d, d, d, d),
                     preload(GARBAGE, c, d, d, d, d),
                     compute_accumulated(sp(row + 3 * d), GARBAGE, d, d, d, d)]
        else:
            source = sp(row + 3 * d) if rng.integers(0, 2) else acc(row, read_full=True)
            width = 4 if source & (1 << 29) else 1
            cmds.append(config_st(d * width))
            cmds.append(mvout(out.base + slot * d * d * 4, source, d, d))
            slot += 1
    return Program(cmds, mem.regions, name="hazards"), mem


def test_dense_hazards_match_golden():
    rng = np.random.default_rng(7)
    jobs = [_hazard_program(rng) for _ in range(4)]
    golden = get_backend("golden", CFG)
    results = get_backend("rtl", CFG).run_many(jobs)
    for (program, memory), got in zip(jobs, results):
        assert got.memory == golden.run(program, memory).memory


def _pooling_program(rng: np.random.Generator):
    """Pooled MVOUTs at the edges of the pooling rules: windows entirely in the padding, windows
    of size 0 (ELEM_MIN), no output pixels at all, from the scratchpad and from the accumulator
    (scaled, RELU)."""
    d = CFG.dim
    mem = Memory()
    src = mem.alloc("src", 16 * d * 4)
    mem.write(src.base, rng.integers(-128, 128, 16 * d * 4, dtype=np.int64).astype(np.int8))
    out = mem.alloc("out", 64 * 16 * d)
    cmds = [config_ld(d, block_stride=d), config_ld(4 * d, block_stride=d, id=2),
            mvin(src.base, sp(0), d, d), mvin(src.base + d * d, sp(d), d, d),
            mvin3(src.base, acc(0), d, d), mvin3(src.base + 4 * d * d, acc(d), d, d)]
    settings = [  # (stride, size, upad, lpad, porows, pocols, orows, ocols, source, act, scale)
        (1, 2, 1, 1, 3, 3, 2, 2, sp(0), 0, 1.0),        # every window partly padding
        (3, 3, 3, 3, 2, 2, 2, 3, sp(1), 0, 1.0),        # first windows entirely padding
        (2, 0, 0, 0, 2, 2, 2, 2, sp(0), 0, 1.0),        # size 0: every pixel is ELEM_MIN
        (1, 2, 0, 0, 0, 3, 3, 2, sp(0), 0, 1.0),        # no pooled rows: writes nothing
        (1, 3, 1, 0, 3, 2, 3, 2, acc(0), 1, 0.37),      # accumulator, scaled, RELU
        (2, 2, 1, 1, 2, 2, 2, 2, acc(3), 0, 2.5),       # accumulator, saturating scale
    ]
    for i, (stride, size, upad, lpad, porows, pocols, orows, ocols, source, act, scale) in \
            enumerate(settings):
        cmds.append(config_st(d, act, scale, stride, size, pocols + 1, porows, pocols, orows,
                              ocols, upad, lpad))
        cmds.append(mvout(out.base + i * 16 * d, source, int(rng.integers(1, d + 1)), 0))
    cmds.append(config_st(d))
    return Program(cmds, mem.regions, name="pooling"), mem


def test_pooling_edges_match_golden():
    rng = np.random.default_rng(3)
    program, memory = _pooling_program(rng)
    expected = get_backend("golden", CFG).run(program, memory)
    got = get_backend("rtl", CFG).run(program, memory)
    assert got.memory == expected.memory
    assert not np.all(expected.memory.read_array("out", (64 * 16 * CFG.dim,), np.int8) == 0)
