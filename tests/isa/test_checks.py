"""Static legality checks: every IllegalInstruction names the command index and the field."""

import pytest

from gemmini_gen import GemminiConfig, preset
from gemmini_gen.isa import (
    GARBAGE, Command, IllegalInstruction, Program, acc, compute_preloaded, config_ex, config_ld,
    config_st, counter_configure, counter_read, decode, encode, loop_ws, mvin, mvout, preload, sp,
)

CFG = GemminiConfig()                  # DIM 16, 16384 sp rows, 1024 acc rows, ADDR_BITS 14

CASES = [
    (Command(22, 0, 0), "funct", "RTL-only CLKGATE_EN"),
    (Command(50, 0, 0), "funct", "unknown funct 50"),
    (config_ex("WS")._replace(rs1=config_ex("WS").rs1 | 1 << 5), "rs1[6:5]", "reserved"),
    (config_ex("OS", b_transpose=True), "a_transpose/b_transpose", "not allowed in OS"),
    (config_ex("WS", a_transpose=True, b_transpose=True), "a_transpose/b_transpose", "in WS"),
    (config_ex("WS", in_shift=32), "in_shift", "below the accumulator width"),
    (config_ld(16, block_stride=16, id=3), "id", "reserved"),
    (config_ld(16, block_stride=16, pixel_repeats=17), "pixel_repeats", "exceeds DIM"),
    (config_ld(16, float("nan"), block_stride=16), "scale", "finite"),
    (config_ld(16, block_stride=1 << 14), "block_stride", "exceeds"),
    (config_st(16, act=2), "act", "normalization"),
    (config_st(16, pool_size=2), "pool_size", "pooling is off"),
    (encode("config_st", stride=16)._replace(rs2=0xFFFF_FFFF << 32), "scale", "reserved"),
    (mvin(0, sp(0), 16, 0), "rows", "at least 1"),
    (mvin(0, sp(0), 16, 17), "rows", "exceeds DIM"),
    (mvin(0, sp(0), 65, 1), "cols", r"DIM\*MAX_BLOCK_LEN"),
    (mvin(0, GARBAGE, 16, 1), "local", "GARBAGE is not allowed"),
    (mvin(0, sp(16384), 16, 1), "local", "outside the scratchpad"),
    (mvin(0, sp(1 << 14 | 3), 16, 1), "local", "outside the scratchpad"),      # garbage bit
    (mvin(0, acc(1024), 16, 1), "local", "outside the accumulator"),
    (mvin(0, sp(0) | 1 << 26, 16, 1), "local", "norm_cmd"),
    (mvout(0x1000, acc(0, read_full=True), 17, 1), "cols", "no multi-block full-width"),
    (preload(acc(0), acc(0), 16, 16, 16, 16), "bd", "scratchpad address"),
    (preload(sp(0), acc(2000), 16, 16, 16, 16), "c", "outside the accumulator"),
    (preload(sp(0), acc(0), 16, 17, 16, 16), "bd_rows", "exceeds DIM"),
    (compute_preloaded(acc(0), GARBAGE, 16, 16, 16, 16), "a", "scratchpad address"),
    (compute_preloaded(sp(0), GARBAGE, 17, 16, 16, 16), "a_cols", "exceeds DIM"),
    (loop_ws(1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, a_spad_id=3)[5], "a_spad_id", "reserved"),
    (loop_ws(1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, act=2)[5], "act", "normalization"),
    (loop_ws(1, 1, 1, 16, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1)[0], "pad_i", "DIM-1"),
    (encode("loop_ws")._replace(rs2=1 << 40), "rs2[63:3]", "reserved"),
    (encode("loop_conv_ws_config_1"), "funct", "LOOP_CONV_WS"),
    (encode("counter", configure=1, event=45), "event", "last event id"),
    (counter_configure(0, 44 + 8), "event", "last external event id"),
]


@pytest.mark.parametrize("cmd,field,message", CASES)
def test_static_errors_name_index_and_field(cmd, field, message):
    with pytest.raises(IllegalInstruction, match=message) as err:
        decode(cmd, CFG, index=7)
    assert (err.value.index, err.value.field) == (7, field)
    assert str(err.value).startswith("command 7")


@pytest.mark.parametrize("cfg,cmd,field", [
    (preset("small_os"), config_ex("WS"), "dataflow"),
    (preset("small_ws"), config_ex("OS"), "dataflow"),
    (preset("small_os"), loop_ws(1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1)[5], "funct"),
    (preset("lean"), mvout(0x1000, acc(0, read_full=True), 16, 1), "local"),
    (CFG.replace(has_max_pool=False), config_st(16, pool_stride=1), "pool_stride"),
    (CFG.replace(has_nonlinear_activations=False), config_st(16, act=1), "act"),
    (CFG.replace(has_first_layer_optimizations=False),
     config_ld(16, block_stride=16, pixel_repeats=2), "pixel_repeats"),
    (CFG.replace(num_counters=4), counter_read(5), "index"),
])
def test_checks_follow_the_config(cfg, cmd, field):
    with pytest.raises(IllegalInstruction) as err:
        decode(cmd, cfg, index=0)
    assert err.value.field == field


def test_legal_commands_pass_and_set_only_strides_still_checks_transposes():
    for cmd in (config_ex("WS", set_only_strides=True, a_stride=3), mvin(0, sp(16383), 64, 16),
                mvout(0x1000, acc(1023, read_full=True), 16, 1), preload(GARBAGE, GARBAGE, 0, 0, 0, 0),
                config_st(16, pool_stride=3, pool_size=3), counter_configure(7, 44 + 7)):
        decode(cmd, CFG)
    with pytest.raises(IllegalInstruction):
        decode(config_ex("OS", set_only_strides=True, b_transpose=True), CFG)


def test_program_validate_names_the_first_bad_command():
    program = Program([mvin(0, sp(0), 16, 1), mvin(0, sp(0), 16, 1), mvin(0, sp(0), 16, 99)])
    with pytest.raises(IllegalInstruction) as err:
        program.validate(CFG)
    assert (err.value.index, err.value.field, err.value.name) == (2, "rows", "mvin")
