"""State-dependent illegal operations: each raises IllegalInstruction naming the command index and
the field; DRAM outside the program's regions names the address."""

import numpy as np
import pytest

from gemmini_gen import preset
from gemmini_gen.backend import get_backend
from gemmini_gen.isa import (
    GARBAGE, IllegalInstruction, Program, acc, compute_accumulated, compute_preloaded, config_ex,
    config_ld, config_st, mvin, mvout, preload, sp,
)
from gemmini_gen.memory import Memory, MemoryAccessError


def _cases(a, out, rows=4096):
    """name -> (commands, field at fault); `rows` = scratchpad rows of the config."""
    ld = config_ld(4, block_stride=4)
    return {
        "acc_cols": ([config_ld(16, block_stride=4), mvin(a, acc(0), 20, 1)], "cols"),
        "block_stride": ([config_ld(4, block_stride=2), mvin(a, sp(0), 4, 3)], "rows"),
        "repeats_to_acc": ([config_ld(4, block_stride=4, pixel_repeats=2), mvin(a, acc(4), 2, 1)],
                           "local"),
        "repeats_cols": ([config_ld(4, block_stride=4, pixel_repeats=2), mvin(a, sp(4), 3, 1)],
                         "cols"),
        "mvin_rows_past_end": ([ld, mvin(a, sp(rows - 2), 4, 4)], "local"),
        "mvin_dram": ([ld, mvin(a + 62, sp(0), 4, 2)], "dram"),
        "mvout_dram": ([config_st(4), mvout(out + 8, sp(0), 4, 4)], "dram"),
        "mvout_rows": ([config_st(4), mvout(out, sp(0), 4, 0)], "rows"),
        "pool_channels": ([config_st(4, pool_stride=1, pool_size=1, porows=1, pocols=1, orows=1,
                                     ocols=1), mvout(out, sp(0), 5, 0)], "cols"),
        "pool_image": ([config_st(4, pool_stride=1, pool_size=1, porows=1, pocols=1, orows=2,
                                  ocols=2), mvout(out, sp(rows - 3), 4, 0)], "local"),
        "no_preload": ([config_ex("WS"), compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4)], "funct"),
        "config_between": ([preload(sp(0), acc(0), 4, 4, 4, 4), config_ex("WS"),
                            compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4)], "funct"),
        "accumulated_first": ([config_ex("WS"), preload(sp(0), acc(0), 4, 4, 4, 4),
                               compute_accumulated(sp(0), GARBAGE, 4, 4, 4, 4)], "funct"),
        "a_stride": ([config_ex("WS", a_stride=rows // 2), preload(sp(0), acc(0), 4, 4, 4, 4),
                      compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4)], "a"),
        "c_stride": ([config_ex("WS", c_stride=200), preload(sp(0), acc(0), 4, 4, 4, 4),
                      compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4)], "c"),
        "write_preloaded_rows": ([ld, config_ex("WS"), preload(sp(8), acc(0), 4, 4, 4, 4),
                                  mvin(a, sp(10), 4, 1),
                                  compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4)], "local"),
        "os_garbage_a": ([config_ex("OS"), preload(GARBAGE, GARBAGE, 4, 4, 4, 4),
                          compute_preloaded(GARBAGE, sp(0), 4, 4, 4, 4),
                          preload(GARBAGE, acc(0), 4, 4, 4, 4),
                          compute_accumulated(sp(0), sp(0), 4, 4, 4, 4)], "a"),
    }


@pytest.mark.parametrize("case", list(_cases(0, 0)))
def test_runtime_errors_name_index_and_field(dim4, bench, case):
    b = bench(dim4)
    a = b.put("A", np.arange(64, dtype=np.int8))
    out = b.space("C", 16)
    commands, field = _cases(a, out, dim4.sp_rows)[case]
    with pytest.raises(IllegalInstruction) as err:
        b.run(commands)
    assert err.value.index == len(commands) - 1 - (case == "write_preloaded_rows")
    assert err.value.field == field
    assert str(err.value).startswith(f"command {err.value.index} (")


def test_os_chain_may_write_c_only_at_its_end(dim4, bench):
    b = bench(dim4)
    cmds = [config_ex("OS"), preload(GARBAGE, acc(0), 4, 4, 4, 4),
            compute_preloaded(sp(0), sp(4), 4, 4, 4, 4), preload(GARBAGE, acc(0), 4, 4, 4, 4),
            compute_accumulated(sp(0), sp(4), 4, 4, 4, 4)]
    with pytest.raises(IllegalInstruction, match="command 4 continues") as err:
        b.run(cmds)
    assert (err.value.index, err.value.field, err.value.name) == (2, "c", "compute_preloaded")


def test_scale_product_beyond_2_to_63_is_reported(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.array([2 ** 31 - 1] * 4, np.int32))
    out = b.space("C", 4)
    with pytest.raises(IllegalInstruction) as err:
        b.run([config_ld(16, block_stride=4), mvin(a, acc(0), 4, 1),
               config_st(4, scale=1e30), mvout(out, acc(0), 4, 1)])
    assert (err.value.index, err.value.field) == (3, "scale")


def test_dram_errors_name_the_address(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.arange(64, dtype=np.int8))
    with pytest.raises(IllegalInstruction, match=hex(a + 64)):
        b.run([config_ld(64, block_stride=4), mvin(a, sp(0), 4, 2)])


def test_dataflow_missing_from_the_config():
    cfg = preset("small_ws")                   # reset dataflow is OS, which this config lacks
    program = Program([preload(GARBAGE, GARBAGE, 4, 4, 4, 4),
                       compute_preloaded(sp(0), sp(0), 4, 4, 4, 4)])
    with pytest.raises(IllegalInstruction) as err:
        get_backend("golden", cfg).run(program, Memory())
    assert (err.value.index, err.value.field) == (1, "funct")


def test_memory_must_hold_the_program_regions(dim4):
    mem = Memory()
    region = mem.alloc("A", 16)
    program = Program([mvin(region.base, sp(0), 4, 1)], [region])
    with pytest.raises(MemoryAccessError, match="'A'"):
        get_backend("golden", dim4).run(program, Memory())


def test_error_inside_loop_ws_names_the_step(dim4, bench):
    from gemmini_gen.isa import loop_ws
    b = bench(dim4)
    a = b.put("A", np.zeros(16, np.int8))        # far too small for a 2x2x2 loop
    cmds = [config_ex("WS"), config_ld(8, block_stride=4), config_ld(8, block_stride=4, id=1),
            config_st(8)] + loop_ws(2, 2, 2, 0, 0, 0, a, a, 0, 0, 8, 8, 0, 8)
    with pytest.raises(IllegalInstruction, match="LOOP_WS expansion step 0: mvin") as err:
        b.run(cmds)
    assert err.value.index == len(cmds) - 1 and err.value.field == "dram"
