"""Encoders reproduce Gemmini's C macros bit for bit; decode and encode are inverse (hypothesis)."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gemmini_gen import Dataflow
from gemmini_gen.arith import f32_bits
from gemmini_gen.isa import (
    FORMATS, GARBAGE, Command, Kind, acc, compute_accumulated, compute_preloaded, config_ex,
    config_ld, config_norm, config_st, decode, encode, loop_ws, mvin, mvin2, mvin3, mvout, preload,
    preload_zeros, sp,
)

ONE = f32_bits(1.0)


def test_local_addresses():
    assert sp(5) == 5 and acc(5) == 0x8000_0005
    assert acc(5, accumulate=True) == 0xC000_0005 and acc(5, read_full=True) == 0xA000_0005
    assert GARBAGE == 0xFFFF_FFFF
    a = acc(7, accumulate=True)
    assert (a.is_acc, a.accumulate, a.read_full, a.row, a.is_garbage) == (True, True, False, 7, False)
    with pytest.raises(ValueError, match="row"):
        sp(1 << 26)


def test_move_and_compute_encoders_match_the_c_macros():
    word = lambda addr, cols, rows: rows << 48 | cols << 32 | addr
    assert mvin(0x1234, sp(3), 16, 4) == Command(2, 0x1234, word(3, 16, 4))
    assert mvin2(1, sp(3), 16, 4).funct == 1 and mvin3(1, sp(3), 16, 4).funct == 14
    assert mvout(0x99, acc(2), 8, 16) == Command(3, 0x99, word(0x8000_0002, 8, 16))
    assert preload(sp(1), acc(2), 3, 4, 5, 6) == Command(6, word(1, 3, 4), word(0x8000_0002, 5, 6))
    assert preload_zeros(acc(0), 16, 16) == preload(GARBAGE, acc(0), 16, 16, 16, 16)
    assert compute_preloaded(sp(1), GARBAGE, 3, 4, 5, 6) == Command(4, word(1, 3, 4),
                                                                    word(GARBAGE, 5, 6))
    assert compute_accumulated(sp(1), sp(2), 3, 4, 5, 6).funct == 5


def test_config_encoders_match_the_c_macros():
    half = f32_bits(0.5)
    assert config_ex(Dataflow.WS, 1, 3, 0.5, 2, 5, True, False) == Command(
        0, half << 32 | 5 << 16 | 1 << 8 | 1 << 3 | 1 << 2, 2 << 48 | 3)
    assert config_ex("OS") == Command(0, ONE << 32 | 1 << 16, 1 << 48)      # gemmini_config_ex
    assert config_ld(64, 0.5, True, block_stride=16, pixel_repeats=2, id=2) == Command(
        0, half << 32 | 16 << 16 | 2 << 8 | 2 << 3 | 1 << 2 | 1, 64)
    assert config_st(32, 1, 0.5, 2, 3, 10, 4, 5, 6, 7, 1, 2) == Command(
        0, 7 << 56 | 6 << 48 | 5 << 40 | 4 << 32 | 10 << 24 | 2 << 10 | 1 << 8 | 3 << 6 | 2 << 4
        | 1 << 2 | 2, half << 32 | 32)
    assert config_norm(q_const=-1, stat_id=3, qb=-2, qc=5) == Command(
        0, 0xFFFF_FFFF << 32 | 3 << 8 | 3, 5 << 32 | 0xFFFF_FFFE)


def test_loop_ws_emits_the_six_commands():
    cmds = loop_ws(1, 2, 3, 4, 5, 6, 0xA, 0xB, 0xD, 0xC, 7, 8, 9, 10, True, False, True, False,
                   True, 1, 2, 1, False)
    assert [c.funct for c in cmds] == [9, 10, 11, 12, 13, 8]
    assert cmds[0] == Command(9, 6 << 32 | 5 << 16 | 4, 3 << 32 | 2 << 16 | 1)
    assert cmds[1:5] == [Command(10, 0xA, 0xB), Command(11, 0xD, 0xC), Command(12, 7, 8),
                         Command(13, 9, 10)]
    assert cmds[5] == Command(8, 2 << 18 | 1 << 16 | 1 << 8 | 1 << 1 | 1, 1)


def test_decode_gives_named_typed_fields():
    inst = decode(config_ld(64, 0.25, True, block_stride=16, pixel_repeats=3, id=1))
    assert inst.name == "config_ld" and type(inst).__name__ == "ConfigLd"
    assert (inst.stride, inst.scale, inst.shrunk, inst.block_stride, inst.pixel_repeats, inst.id) \
        == (64, 0.25, True, 16, 3, 1)
    mv = decode(mvin(0x40, acc(9, accumulate=True), 12, 3))
    assert (mv.dram, mv.rows, mv.cols, mv.local.row, mv.local.accumulate) == (0x40, 3, 12, 9, True)
    assert decode(config_norm(q_const=-7)).q_const == -7


def test_encode_rejects_bad_values():
    with pytest.raises(ValueError, match="rows: 65536 does not fit"):
        mvin(0, sp(0), 1, 65536)
    with pytest.raises(ValueError, match="unknown field 'bogus'"):
        encode("mvin", bogus=1)
    with pytest.raises(ValueError, match="dataflow: unknown value 'BOTH'"):
        config_ex(Dataflow.BOTH)
    with pytest.raises(KeyError, match="unknown instruction"):
        encode("nope")


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------
def _reserved_mask(layout):
    return sum(f.mask << f.lsb for f in layout if f.kind is Kind.RESERVED)


@st.composite
def legal_bits(draw):
    """A command of a known format with every reserved bit zero."""
    fmt = draw(st.sampled_from(FORMATS))
    rs1 = draw(st.integers(0, 2 ** 64 - 1)) & ~_reserved_mask(fmt.rs1)
    if fmt.selector is not None:
        rs1 = rs1 & ~(fmt.selector.mask << fmt.selector.lsb) | fmt.selector.put(fmt.selector.const)
    rs2 = draw(st.integers(0, 2 ** 64 - 1)) & ~_reserved_mask(fmt.rs2)
    return Command(fmt.funct, rs1, rs2)


def _fields(inst):
    return {f.name: getattr(inst, f.name) for _, f in inst.format.fields() if f.is_named}


@settings(max_examples=400, deadline=None)
@given(legal_bits())
def test_decode_then_encode_is_identity(cmd):
    inst = decode(cmd)
    values = _fields(inst)
    assume(not any(isinstance(v, float) and math.isnan(v) for v in values.values()))
    assert encode(inst.name, **values) == cmd
    assert decode(cmd) == inst


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_encode_then_decode_gives_the_fields_back(data):
    fmt = data.draw(st.sampled_from(FORMATS))
    values = {}
    for _, f in fmt.fields():
        if not f.is_named:
            continue
        if f.kind is Kind.BOOL:
            values[f.name] = data.draw(st.booleans())
        elif f.kind is Kind.FP32:
            values[f.name] = float(data.draw(st.floats(width=32, allow_nan=False)))
        elif f.kind is Kind.SINT:
            values[f.name] = data.draw(st.integers(-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1))
        else:
            values[f.name] = data.draw(st.integers(0, f.mask))
    inst = decode(encode(fmt.name, **values))
    assert inst.name == fmt.name and _fields(inst) == values
