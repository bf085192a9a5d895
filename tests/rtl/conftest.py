"""Fixtures for the RTL regression: configs, the golden reference, and RTL-vs-golden checking.

Simulator builds are cached on disk by `gemmini_gen.rtl.build` (one per config and memory size),
so every test module that uses the same config and memory size shares one Verilator build.
"""

from __future__ import annotations

import pytest

from gemmini_gen import preset
from gemmini_gen.backend import get_backend
from gemmini_gen.rtl.backend import RtlIllegalCommand
from gemmini_gen.rtl.programs import assert_same_results

#: Every simulation in the regression uses one memory size class, so one build per config.
MEMORY_BYTES = 1 << 20


def _golden_check(cfg, cases, results) -> None:
    """Each RTL result must equal the golden model's result of the same case (all differences of
    all cases are reported together)."""
    assert len(results) == len(cases)
    golden = get_backend("golden", cfg)
    failures = []
    for case, result in zip(cases, results):
        if isinstance(result, RtlIllegalCommand):
            failures.append(f"{case.name}: {result}")
            continue
        try:
            assert_same_results(case, cfg, golden.run(case.program, case.memory), result)
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, f"{len(failures)} of {len(cases)} programs differ:\n" + "\n".join(failures)


@pytest.fixture(scope="session")
def golden_check():
    """`golden_check(cfg, cases, results)`: assert each RTL result equals the golden result."""
    return _golden_check


@pytest.fixture(scope="session")
def memory_bytes():
    return MEMORY_BYTES


@pytest.fixture(scope="session")
def rtl():
    """`rtl(config_name, **options)` -> an RtlBackend with the regression's memory size."""
    def make(name: str, **options):
        options.setdefault("memory_bytes", MEMORY_BYTES)
        options.setdefault("watchdog_cycles", 20000)
        return get_backend("rtl", preset(name), **options)
    return make
