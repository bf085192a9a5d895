"""COUNTER interface behaviour (instruction counts, snapshots, reset order) and the backend API."""

import numpy as np
import pytest

from gemmini_gen.backend import (
    Backend, BackendError, ExecStats, RunResult, backend_names, get_backend, register_backend,
)
from gemmini_gen.golden import GoldenBackend, GoldenMachine
from gemmini_gen.isa import (
    Program, config_ld, config_norm, counter_configure, counter_read, counter_reset, counter_snapshot_reset,
    counter_snapshot_take, encode, fence, flush, mvin, sp,
)


def test_counters_count_instructions_and_bytes(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.arange(32, dtype=np.int8))
    program = [
        (counter_configure(0, 1), 0),         # cycles with only LD busy -> LD-queue commands
        (counter_configure(1, 44 + 4), 0),    # external 4: read-DMA bytes
        (counter_configure(2, 24), 0),        # execute active: no EX commands here
        config_ld(4, block_stride=4), mvin(a, sp(0), 4, 4), mvin(a + 16, sp(4), 4, 4),
        (counter_read(0), 3), (counter_read(1), 32), (counter_read(2), 0),
        (counter_snapshot_take(), 3),         # responds with the snapshot of counter 0
        mvin(a, sp(8), 4, 1),
        (counter_read(0), 3),                 # still the snapshot
        (counter_snapshot_reset(), 4), (counter_read(0), 4),
        (counter_reset(), 0), (counter_read(1), 0),
        (counter_configure(0, 2), 0), (counter_reset(), 0),
        (encode("counter", reset=1, take_snapshot=1, index=1), 0),   # reset applies first
    ]
    commands = [p[0] if len(p) == 2 else p for p in program]     # (command, response) pairs
    expected = [p[1] for p in program if len(p) == 2]
    assert b.run(commands).responses == expected


def test_counter_configure_encoding_matches_the_c_helpers():
    assert counter_read(5).rs1 == 5 << 4
    assert counter_configure(3, 12).rs1 == 3 << 4 | 8 | 12 << 12
    assert counter_configure(3, 44 + 6).rs1 == 3 << 4 | 8 | 6 << 12 | 1 << 31


def test_flush_fence_and_config_norm_change_nothing(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.arange(16, dtype=np.int8))
    base = [config_ld(4, block_stride=4), mvin(a, sp(0), 4, 4)]
    noops = [fence(), flush(1), config_norm(q_const=5, act_msb=1, stat_id=1, qb=2, qc=3)]
    plain, with_noops = b.run(base), b.run([flush()] + base + noops)
    assert np.array_equal(plain.state.sp, with_noops.state.sp) and plain.memory == with_noops.memory
    assert with_noops.stats.instructions["flush"] == 2


def test_run_result_and_stats(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.arange(16, dtype=np.int8))
    before = b.mem.copy()
    result = b.run([config_ld(4, block_stride=4), mvin(a, sp(0), 4, 4)])
    assert isinstance(result, RunResult) and result.cycles is None
    assert b.mem == before and result.memory is not b.mem          # input memory untouched
    assert result.stats.mvin_count == 1 and result.stats.total_instructions == 2
    assert result.counters == result.stats.as_dict()
    assert result.counters["inst.mvin"] == 1 and result.counters["sp_rows_written"] == 4


def test_registry(monkeypatch):
    import gemmini_gen.backend
    monkeypatch.setattr(gemmini_gen.backend, "_REGISTRY", dict(gemmini_gen.backend._REGISTRY))
    assert {"golden", "rtl"} <= set(backend_names())
    from gemmini_gen import preset
    backend = get_backend("golden", preset("small"))
    assert isinstance(backend, GoldenBackend) and isinstance(backend, Backend)
    assert backend.name == "golden"
    with pytest.raises(BackendError, match="unknown backend 'nope'"):
        get_backend("nope", preset("small"))
    with pytest.raises(BackendError, match="no options"):
        get_backend("golden", preset("small"), waves=True)
    register_backend("missing_for_test", "gemmini_gen.no_such_module:Thing")
    with pytest.raises(BackendError, match="not available"):
        get_backend("missing_for_test", preset("small"))
    with pytest.raises(BackendError, match="module:Class"):
        register_backend("bad", "no_colon")


def test_machine_keeps_state_across_programs(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.arange(16, dtype=np.int8))
    machine = GoldenMachine(dim4)
    machine.execute(Program([config_ld(4, block_stride=4)], b.mem.regions), b.mem)
    machine.execute(Program([mvin(a, sp(0), 4, 4)], b.mem.regions), b.mem)
    assert np.array_equal(machine.state.sp_rows(0, 4), np.arange(16).reshape(4, 4))
    assert machine.stats.total_instructions == 2 and isinstance(machine.stats, ExecStats)
