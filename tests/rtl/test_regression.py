"""RTL vs golden on the CI configs (DIM 4 OS-only, DIM 4 WS-only, DIM 8 both, DIM 16 default):
every directed program, constrained-random programs and every kind of illegal command, in one
simulator process per config.  The whole final memory is compared, including the read-back of every
scratchpad/accumulator row the programs wrote.  The `slow` tier (test_regression_slow.py) runs more
configs and >= 100,000 random commands."""

from __future__ import annotations

import pytest

from gemmini_gen import preset
from gemmini_gen.backend import get_backend
from gemmini_gen.rtl.backend import RtlIllegalCommand
from gemmini_gen.rtl.programs import GeneratorOptions, directed_cases, random_case
from gemmini_gen.rtl.programs.illegal import illegal_cases

#: The CI configs (accel_arch: DIM 4 OS-only, DIM 4 WS-only, DIM 8 both, DIM 16 default).
CI_CONFIGS = ("small_os", "small_ws", "medium", "default")
# Random programs per config (about 400 commands each, plus prologue and read-back); half of them
# hazard-dense: two scratchpad tiles, one accumulator tile, many loads/stores between a PRELOAD and
# its COMPUTE.
RANDOM_PROGRAMS = {"small_os": 12, "small_ws": 12, "medium": 8, "default": 6}
DENSE = GeneratorOptions(sp_window_tiles=2, acc_window_tiles=1, interleave=0.7)
SEED = 2024


@pytest.mark.parametrize("name", CI_CONFIGS)
def test_rtl_matches_golden(name, rtl, golden_check):
    cfg = preset(name)
    count = RANDOM_PROGRAMS[name]
    cases = directed_cases(cfg, SEED) + [
        random_case(cfg, SEED * 100 + i, 400, DENSE if i % 2 else None) for i in range(count)]
    illegal = illegal_cases(cfg, SEED)
    jobs = [(c.program, c.memory) for c in cases] + \
        [(c.case.program, c.case.memory) for c in illegal]
    outcome = rtl(name).run_many(jobs, illegal="return")
    golden_check(cfg, cases, outcome[:len(cases)])
    golden = get_backend("golden", cfg)
    for c, got in zip(illegal, outcome[len(cases):]):
        assert isinstance(got, RtlIllegalCommand), f"{c.name}: not rejected"
        assert (got.index, got.field) == (c.index, c.cause), f"{c.name}: {got}"
        assert got.result.memory == golden.run(c.remainder.program, c.remainder.memory).memory
