"""`CommandDecoder` in amaranth.sim against the ISA package's decoder and static checks.

For random commands near the legality boundaries, the hardware's `illegal` must equal "the golden
decoder raises IllegalInstruction" (LOOP_* are legal there but unsupported here), and `kind` must
name the instruction the golden decoder found.
"""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from gemmini_gen.config import GemminiConfig, preset
from gemmini_gen.hw.ctrl.decoder import CommandDecoder, CommandKind
from gemmini_gen.hw.ctrl.interface import ErrorCause
from gemmini_gen.isa import IllegalInstruction, decode
from gemmini_gen.isa.table import format_of

from random_commands import random_command

CONFIGS = {
    "default": GemminiConfig(),
    "small_os": preset("small_os"),
    "small_ws": preset("small_ws"),
    "bare": GemminiConfig(has_max_pool=False, has_first_layer_optimizations=False,
                          has_nonlinear_activations=False, acc_read_full_width=False,
                          mvin_scale="none", acc_scale="none", num_counters=4),
    "wide": GemminiConfig(input_dtype="int16", acc_dtype="int64", mesh_rows=8, mesh_cols=8,
                          acc_capacity_kib=64),
    "dim64": GemminiConfig(mesh_rows=64, mesh_cols=64, input_dtype="int32", sp_capacity_kib=512,
                           acc_capacity_kib=256),
}

_KIND_OF = {"config_ex": CommandKind.CONFIG_EX, "config_ld": CommandKind.CONFIG_LD,
            "config_st": CommandKind.CONFIG_ST, "config_norm": CommandKind.CONFIG_NORM,
            "mvin": CommandKind.MVIN, "mvin2": CommandKind.MVIN, "mvin3": CommandKind.MVIN,
            "mvout": CommandKind.MVOUT, "preload": CommandKind.PRELOAD,
            "compute_preloaded": CommandKind.COMPUTE, "compute_accumulated": CommandKind.COMPUTE,
            "flush": CommandKind.FLUSH, "counter": CommandKind.COUNTER,
            "fence": CommandKind.FENCE}


def expected(cmd, cfg):
    """(kind, illegal) the hardware must report."""
    fmt = format_of(cmd.funct, cmd.rs1)
    if fmt is None:
        return CommandKind.UNKNOWN, True
    if fmt.queue == "loop":
        return CommandKind.UNSUPPORTED, True
    try:
        decode(cmd, cfg, 0)
    except IllegalInstruction:
        return _KIND_OF[fmt.name], True
    return _KIND_OF[fmt.name], False


@pytest.mark.parametrize("name", list(CONFIGS))
def test_decoder_matches_static_checks(name):
    cfg = CONFIGS[name]
    rng = random.Random(name)
    commands = [random_command(rng, cfg) for _ in range(1500)]
    dut = CommandDecoder(cfg)
    mismatches = []
    seen = {True: 0, False: 0}

    async def testbench(ctx):
        for cmd in commands:
            ctx.set(dut.cmd, {"funct": cmd.funct, "rs1": cmd.rs1, "rs2": cmd.rs2})
            kind, illegal = expected(cmd, cfg)
            got_kind, got_illegal = ctx.get(dut.kind), bool(ctx.get(dut.illegal))
            cause = ctx.get(dut.cause)
            seen[illegal] += 1
            if got_kind != kind or got_illegal != illegal or (illegal and cause == ErrorCause.NONE):
                mismatches.append((cmd, kind, illegal, got_kind, got_illegal, cause))

    sim = Simulator(dut)
    sim.add_testbench(testbench)
    sim.run()
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:3]}"
    assert seen[True] > 200 and seen[False] > 200, seen      # both sides well covered
