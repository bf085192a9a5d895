"""The bit-layout table: complete coverage of every word, positions from ISA.md sections 3-4,
usability as Amaranth layouts, and the generated docs being current."""

from pathlib import Path

import pytest

from gemmini_gen import GemminiConfig
from gemmini_gen.isa import FORMATS, LOCAL_ADDRESS, Kind, format_named, format_of, local_address_layout
from gemmini_gen.isa.docs import BEGIN, END, render_tables

DOCS = Path(__file__).resolve().parents[2] / "docs" / "isa.md"


def test_every_word_is_covered_exactly_once():
    for fmt in FORMATS:
        for layout in (fmt.rs1, fmt.rs2):
            spans = layout.spans()
            assert sum(width for _, _, width in spans) == 64
            assert [lsb for _, lsb, _ in spans] == sorted(lsb for _, lsb, _ in spans)
            names = [f.name for f in fmt.rs1.fields + fmt.rs2.fields if f.is_named]
            assert len(names) == len(set(names)), fmt.name
    assert sum(w for _, _, w in LOCAL_ADDRESS.spans()) == 32


def test_funct_table_of_section_4_1():
    functs = {fmt.name: fmt.funct for fmt in FORMATS}
    assert functs == {
        "config_ex": 0, "config_ld": 0, "config_st": 0, "config_norm": 0, "mvin2": 1, "mvin": 2,
        "mvout": 3, "compute_preloaded": 4, "compute_accumulated": 5, "preload": 6, "flush": 7,
        "loop_ws": 8, "loop_ws_config_bounds": 9, "loop_ws_config_addrs_ab": 10,
        "loop_ws_config_addrs_dc": 11, "loop_ws_config_strides_ab": 12,
        "loop_ws_config_strides_dc": 13, "mvin3": 14, "loop_conv_ws": 15,
        **{f"loop_conv_ws_config_{i}": 15 + i for i in range(1, 7)}, "counter": 126, "fence": 127,
    }
    assert [format_of(0, sel).name for sel in range(4)] == [
        "config_ex", "config_ld", "config_st", "config_norm"]
    assert format_of(22, 0) is None and format_of(100, 0) is None


@pytest.mark.parametrize("name,reg,field,lsb,width", [
    ("config_ex", "rs1", "dataflow", 2, 1), ("config_ex", "rs1", "act", 3, 2),
    ("config_ex", "rs1", "set_only_strides", 7, 1), ("config_ex", "rs1", "a_transpose", 8, 1),
    ("config_ex", "rs1", "b_transpose", 9, 1), ("config_ex", "rs1", "a_stride", 16, 16),
    ("config_ex", "rs1", "acc_scale", 32, 32), ("config_ex", "rs2", "in_shift", 0, 32),
    ("config_ex", "rs2", "c_stride", 48, 16),
    ("config_ld", "rs1", "shrunk", 2, 1), ("config_ld", "rs1", "id", 3, 2),
    ("config_ld", "rs1", "pixel_repeats", 8, 8), ("config_ld", "rs1", "block_stride", 16, 16),
    ("config_ld", "rs1", "scale", 32, 32), ("config_ld", "rs2", "stride", 0, 64),
    ("config_st", "rs1", "act", 2, 2), ("config_st", "rs1", "pool_stride", 4, 2),
    ("config_st", "rs1", "pool_size", 6, 2), ("config_st", "rs1", "upad", 8, 2),
    ("config_st", "rs1", "lpad", 10, 2), ("config_st", "rs1", "pool_out_dim", 24, 8),
    ("config_st", "rs1", "porows", 32, 8), ("config_st", "rs1", "ocols", 56, 8),
    ("config_st", "rs2", "stride", 0, 32), ("config_st", "rs2", "scale", 32, 32),
    ("config_norm", "rs1", "stat_id", 8, 8), ("config_norm", "rs1", "q_const", 32, 32),
    ("mvin", "rs2", "local", 0, 32), ("mvin", "rs2", "cols", 32, 16), ("mvin", "rs2", "rows", 48, 16),
    ("preload", "rs1", "bd", 0, 32), ("preload", "rs2", "c_rows", 48, 16),
    ("compute_preloaded", "rs1", "a_cols", 32, 16), ("compute_accumulated", "rs2", "bd_rows", 48, 16),
    ("loop_ws", "rs1", "act", 8, 3), ("loop_ws", "rs1", "b_spad_id", 16, 2),
    ("loop_ws", "rs1", "a_spad_id", 18, 2), ("loop_ws", "rs2", "is_resadd", 2, 1),
    ("loop_ws_config_bounds", "rs1", "pad_k", 32, 16), ("loop_ws_config_bounds", "rs2", "j", 16, 16),
    ("loop_conv_ws_config_4", "rs1", "pupad", 21, 11), ("loop_conv_ws", "rs1", "a_spad_id", 18, 2),
    ("counter", "rs1", "index", 4, 3), ("counter", "rs1", "event", 12, 6),
    ("counter", "rs1", "external", 31, 1),
])
def test_field_positions_follow_the_spec(name, reg, field, lsb, width):
    layout = getattr(format_named(name), reg)
    assert layout.as_dict()[field] == (lsb, width)


def test_reserved_bits_are_named_by_position():
    rs1 = format_named("config_ex").rs1
    assert rs1["reserved_6_5"].kind is Kind.RESERVED and rs1["reserved_15_10"].width == 6
    assert format_named("loop_ws").rs2["reserved_63_3"].lsb == 3


def test_local_address_for_a_config():
    layout = local_address_layout(GemminiConfig().addr_bits)
    assert layout.as_dict() == {"row": (0, 14), "garbage_bit": (14, 1), "garbage": (15, 11),
                                "norm_cmd": (26, 3), "read_full": (29, 1), "accumulate": (30, 1),
                                "acc": (31, 1)}


def test_layouts_build_amaranth_struct_layouts():
    from amaranth.lib import data
    rs2 = format_named("mvin").rs2
    layout = data.StructLayout({name: width for name, _, width in rs2.spans()})
    assert layout.size == 64
    assert {name: layout[name].offset for name, _, _ in rs2.spans()} == \
        {name: lsb for name, lsb, _ in rs2.spans()}


def test_generated_docs_are_current():
    text = DOCS.read_text()
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert generated == "\n" + render_tables(), \
        "docs/isa.md is stale: run python -m gemmini_gen.isa.docs docs/isa.md"
