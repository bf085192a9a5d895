"""The test-program kit on the golden model (no simulator): directed and random programs are legal
and do what they say, cover every ISA feature of the config, and the read-back, clean-slate, static
statistics and comparison machinery are right."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from gemmini_gen import arith, preset
from gemmini_gen.backend import get_backend
from gemmini_gen.golden import GoldenMachine
from gemmini_gen.isa import IllegalInstruction, Program
from gemmini_gen.rtl.programs import (DIRECTED, assert_same_results, clean_slate, compare_results,
                                      directed_cases, program_stats, random_case, written_rows)
from gemmini_gen.rtl.programs.coverage import applicable_features, features
from gemmini_gen.rtl.programs.illegal import illegal_cases

CONFIGS = ("small_os", "small_ws", "medium", "default", "lean", "chip")


@pytest.mark.parametrize("name", CONFIGS)
def test_directed_programs_run_and_match_their_references(name):
    cfg = preset(name)
    golden = get_backend("golden", cfg)
    cases = directed_cases(cfg, seed=3)
    assert {c.name for c in cases} >= {"mvin_mvout", "mvin_mvout_acc", "raw_hazard",
                                       "transposes", "counters", "fence_roundtrip"}
    for case in cases:
        result = golden.run(case.program, case.memory)
        assert len(result.responses) == len(case.checked_responses), case.name
        for region, expected in case.expected.items():
            got = result.memory.read_array(region, expected.shape, expected.dtype)
            assert np.array_equal(got, expected), f"{case.name}: region {region}"


def test_directed_programs_skip_what_the_config_lacks():
    os_only, ws_only = preset("small_os"), preset("small_ws")
    assert DIRECTED["matmul_ws"](os_only, 0) is None
    assert DIRECTED["matmul_os"](ws_only, 0) is None
    no_pool = preset("small").replace(has_max_pool=False)
    assert DIRECTED["max_pool"](no_pool, 0) is None


@pytest.mark.parametrize("name", CONFIGS)
def test_random_programs_are_legal_and_cover_every_feature(name):
    cfg = preset(name)
    golden = get_backend("golden", cfg)
    seen: Counter = Counter()
    for seed in range(12):
        case = random_case(cfg, seed, 400)
        result = golden.run(case.program, case.memory)       # raises if anything is illegal
        assert len(result.responses) == len(case.checked_responses)
        seen += features(case.program, cfg)
    missing = applicable_features(cfg) - set(seen)
    assert not missing, f"features never generated on {name}: {sorted(missing)}"
    assert seen["illegal"] == 0


def test_random_programs_are_reproducible_and_vary():
    cfg = preset("medium")
    a, b, c = random_case(cfg, 5, 200), random_case(cfg, 5, 200), random_case(cfg, 6, 200)
    assert a.program.commands == b.program.commands and a.memory == b.memory
    assert a.program.commands != c.program.commands


@pytest.mark.parametrize("name", ("small_os", "medium", "default"))
def test_static_statistics_equal_the_golden_models(name):
    cfg = preset(name)
    golden = get_backend("golden", cfg)
    for case in [random_case(cfg, s, 300) for s in range(6)] + directed_cases(cfg, 1):
        assert program_stats(case.program, cfg).as_dict() == \
            golden.run(case.program, case.memory).stats.as_dict(), case.name


def test_readback_holds_the_final_local_state():
    """Read-back rows equal the golden model's final scratchpad/accumulator rows, and they are
    exactly the rows the program wrote."""
    cfg = preset("small")
    case = random_case(cfg, 11, 300)
    result = get_backend("golden", cfg).run(case.program, case.memory)
    sp_rows, acc_rows = written_rows(case.program, cfg)
    assert {r for b in case.readback if b.source == "sp"
            for r in range(b.first_row, b.first_row + b.rows)} == sp_rows
    base = result.memory.region(case.readback_region).base
    for block in case.readback:
        width = block.row_bytes // cfg.dim
        got = result.memory.read_array(base + block.offset, (block.rows, cfg.dim), f"<i{width}")
        rows = slice(block.first_row, block.first_row + block.rows)
        if block.source == "sp":
            expected = result.state.sp[rows]
        elif block.source == "acc_full":
            expected = result.state.acc[rows]
        else:
            expected = arith.sat(result.state.acc[rows].astype(np.int64), cfg.input_bits)
        assert np.array_equal(got, expected), block


def test_clean_slate_makes_a_used_machine_look_fresh():
    """After a reset (registers at reset values, memories keep old contents), a program preceded by
    its clean slate gives what it gives on a fresh machine; without the clean slate it does not
    (the program reads back rows it only partly writes)."""
    cfg = preset("small")
    case = DIRECTED["tiled_matmul_ws"](cfg, 0)
    fresh = get_backend("golden", cfg).run(case.program, case.memory)
    rng = np.random.default_rng(0)

    def used_machine_run(prefix):
        machine = GoldenMachine(cfg)
        machine.state.sp[:] = rng.integers(-128, 128, machine.state.sp.shape)
        machine.state.acc[:] = rng.integers(-(1 << 20), 1 << 20, machine.state.acc.shape)
        memory = case.memory.copy()
        machine.execute(Program(prefix + list(case.program.commands), case.program.regions),
                        memory)
        return memory

    assert used_machine_run(clean_slate(case.program, cfg)) == fresh.memory
    assert used_machine_run([]) != fresh.memory


def test_comparison_names_the_differing_row_column_and_bytes():
    cfg = preset("small")
    case = DIRECTED["mvin_mvout_acc"](cfg, 0)
    golden = get_backend("golden", cfg)
    good, bad = golden.run(case.program, case.memory), golden.run(case.program, case.memory)
    assert compare_results(case, cfg, good, bad) == []
    full = next(b for b in case.readback if b.source == "acc_full")
    addr = bad.memory.region(case.readback_region).base + full.offset + 3 * full.row_bytes + 4 * 2
    bad.memory.write(addr, np.array([bad.memory.read(addr, 1)[0] ^ 1], np.uint8))
    out = bad.memory.region("C").base + 5
    bad.memory.write(out, np.array([bad.memory.read(out, 1)[0] ^ 0x80], np.uint8))
    bad.responses = bad.responses[:-1]
    problems = compare_results(case, cfg, good, bad)
    assert any(f"acc_full row {full.first_row + 3} col 2" in p for p in problems), problems
    assert any("region C differs in 1 bytes" in p and "+0x5" in p for p in problems), problems
    with pytest.raises(AssertionError, match="mvin_mvout_acc"):
        assert_same_results(case, cfg, good, bad)


def test_checked_counter_responses_are_compared():
    cfg = preset("small")
    case = DIRECTED["counters"](cfg, 0)
    golden = get_backend("golden", cfg)
    good, bad = golden.run(case.program, case.memory), golden.run(case.program, case.memory)
    unchecked = case.checked_responses.index(False)
    bad.responses[unchecked] += 7                   # a counting counter: any value is fine
    assert compare_results(case, cfg, good, bad) == []
    bad.responses[case.checked_responses.index(True)] = 1
    assert compare_results(case, cfg, good, bad)


@pytest.mark.parametrize("name", ("small_os", "small_ws", "default", "lean"))
def test_illegal_cases_are_rejected_and_their_remainders_legal(name):
    cfg = preset(name)
    golden = get_backend("golden", cfg)
    cases = illegal_cases(cfg)
    assert {"unknown_funct", "loop_ws", "reserved_bits", "compute_without_preload",
            "counter_event"} <= {c.name for c in cases}
    for c in cases:
        golden.run(c.remainder.program, c.remainder.memory)
        assert c.case.program.commands[c.index].funct == c.funct
        if c.golden_rejects:
            with pytest.raises(IllegalInstruction) as info:
                golden.run(c.case.program, c.case.memory)
            assert info.value.index == c.index, c.name
