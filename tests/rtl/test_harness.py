"""The harness and the `rtl` backend's plumbing on the DIM-4 OS config: command ring refills,
responses, counters, memory placement, the build cache, illegal commands and the watchdog."""

from __future__ import annotations

import numpy as np
import pytest

from gemmini_gen import preset
from gemmini_gen.backend import BackendError, get_backend
from gemmini_gen.isa import (Program, config_ld, config_st, counter_configure, counter_read, flush,
                             mvin, mvout, sp)
from gemmini_gen.memory import Memory
from gemmini_gen.rtl.backend import RtlIllegalCommand, RtlWatchdogError
from gemmini_gen.rtl.build import harness_build
from gemmini_gen.rtl.harness import HarnessParams
from gemmini_gen.rtl.programs import DIRECTED, ProgramCase, with_readback
from gemmini_gen.rtl.programs.illegal import illegal_cases

CFG = "small_os"


def _copy_program(cfg, base: int, rows: int, name: str) -> ProgramCase:
    """MVIN/MVOUT copy of `rows` DIM-wide rows from region A to region C placed at `base`."""
    d = cfg.dim
    mem = Memory()
    a = mem.map("A", base, rows * d)
    c = mem.map("C", base + rows * d + 64, rows * d)
    mem.write(a.base, np.random.default_rng(rows).integers(0, 256, rows * d, dtype=np.uint8))
    commands = [config_ld(d, block_stride=d), config_st(d)]
    for r in range(0, rows, d):
        commands += [mvin(a.base + r * d, sp(r), d, d), mvout(c.base + r * d, sp(r), d, d)]
    return ProgramCase(name, Program(commands, mem.regions, name=name), mem)


def test_a_program_longer_than_the_command_ring(rtl):
    """45,000 commands through a 16,384-entry ring (refilled while it runs), responses in order."""
    cfg, backend = preset(CFG), rtl(CFG)
    mem = Memory()
    commands = [counter_configure(1, 0)]
    for i in range(15000):
        commands += [flush(), counter_read(1) if i % 1000 == 0 else flush(), flush()]
    result = backend.run(Program(commands, name="long"), mem)
    assert result.counters["cycles"] >= len(commands)          # at most one command per cycle
    assert result.responses == [0] * 16                        # disabled counter: always 0
    assert result.stats.instructions == {"counter": 16, "flush": 44985}
    assert result.counters["read_beats"] == result.counters["write_beats"] == 0


def test_memory_placement_high_addresses_and_wrap(rtl, golden_check, memory_bytes):
    """Regions anywhere in the 64-bit space: the image lands at base modulo the memory size,
    wrapping around its end (the last case's region A straddles it)."""
    cfg = preset(CFG)
    cases = [_copy_program(cfg, base, 64, f"copy_{base:x}") for base in
             (0x1000, 0x7_1234_5000, (7 << 40) + memory_bytes - 128)]
    results = rtl(CFG).run_many([(c.program, c.memory) for c in cases])
    golden_check(cfg, cases, results)
    for case, result in zip(cases, results):
        assert np.array_equal(result.memory.read_array("C", (64 * cfg.dim,), np.uint8),
                              case.memory.read_array("A", (64 * cfg.dim,), np.uint8))
        assert result.counters["write_bytes"] == result.stats.dram_bytes_written == 64 * cfg.dim
        assert 0 < result.counters["last_write"] <= result.cycles


def test_build_cache_is_reused(memory_bytes):
    cfg = preset(CFG)
    params = HarnessParams(memory_bytes=memory_bytes)
    first = harness_build(cfg, params)
    again = harness_build(cfg, params)
    assert again.cached and again.emit_seconds == 0.0
    assert again.build_dir == first.build_dir


def test_illegal_commands_are_reported_dropped_and_survived(rtl):
    """Every kind of illegal command: the error names its index, funct and cause, and the machine
    went on as if the command were not there (memory equals the golden remainder)."""
    cfg = preset(CFG)
    cases = illegal_cases(cfg)
    outcome = rtl(CFG).run_many([(c.case.program, c.case.memory) for c in cases],
                                illegal="return")
    golden = get_backend("golden", cfg)
    for c, got in zip(cases, outcome):
        assert isinstance(got, RtlIllegalCommand), f"{c.name}: not rejected"
        assert (got.index, got.field) == (c.index, c.cause), f"{c.name}: {got}"
        assert str(c.funct) in got.message
        expected = golden.run(c.remainder.program, c.remainder.memory)
        assert got.result.memory == expected.memory, f"{c.name}: memory after the drop differs"


def test_illegal_command_raises_by_default(rtl):
    c = next(c for c in illegal_cases(preset(CFG)) if c.name == "unknown_funct")
    with pytest.raises(RtlIllegalCommand, match=rf"command {c.index} \(raw\): UNKNOWN_FUNCT"):
        rtl(CFG).run(c.case.program, c.case.memory)


def test_stalled_memory_ends_in_a_watchdog_report(rtl):
    """The bus stops answering mid-run: the watchdog names the waiting units instead of hanging."""
    cfg = preset(CFG)
    case = _copy_program(cfg, 0x1000, 256, "stalled")
    backend = rtl(CFG, stall_after=300, watchdog_cycles=2000)
    with pytest.raises(RtlWatchdogError, match="stuck units") as info:
        backend.run(case.program, case.memory)
    assert {"dma_read", "dma_write"} & set(info.value.units), info.value.units
    assert 0 < info.value.fed < len(case.program.commands)
    assert info.value.counters["cycles"] >= 300 + 2000


def test_fence_waits_for_written_data(rtl, golden_check):
    """A MVIN after FENCE reads what an earlier MVOUT wrote (directed program + golden)."""
    cfg = preset(CFG)
    case = DIRECTED["fence_roundtrip"](cfg, 4)
    golden_check(cfg, [case], [rtl(CFG).run(case.program, case.memory)])


def test_backend_options_are_validated():
    cfg = preset(CFG)
    with pytest.raises(BackendError, match="unknown rtl backend option"):
        get_backend("rtl", cfg, latency=3)
    with pytest.raises(BackendError, match="read_latency"):
        get_backend("rtl", cfg, read_latency=2)
    with pytest.raises(BackendError, match="memory must be"):
        get_backend("rtl", cfg, memory="dram")
    with pytest.raises(BackendError, match="memory_bytes must be a power of two"):
        get_backend("rtl", cfg, memory_bytes=5000)
    case = with_readback(_copy_program(cfg, 0x1000, 2048, "big"), cfg)
    with pytest.raises(BackendError, match="cannot hold"):
        get_backend("rtl", cfg, memory_bytes=1 << 12).run(case.program, case.memory)
