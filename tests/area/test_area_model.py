"""The area model's pieces that need no synthesis tool: cell weights, the hierarchical roll-up of
Yosys's statistics, merging identical RTLIL modules, the two-level cache and the components."""

import pytest

from gemmini_gen.area import (COMPONENTS, AreaCache, AreaWeights, Memory, build_component,
                              component_area)
from gemmini_gen.area import model as area_model
from gemmini_gen.area.components import DATAPATH_MODULES
from gemmini_gen.area.rtlil import design_texts, merge_identical_modules
from gemmini_gen.area.yosys import AreaToolError, SynthesisResult, rollup
from gemmini_gen.config import preset

W = AreaWeights()


@pytest.mark.parametrize("kind, ge", [
    ("$_NAND_", 1.0), ("$_NOT_", 2 / 3), ("$_XOR_", 2.0), ("$_MUX_", 7 / 3),
    ("$_ANDNOT_", 4 / 3), ("$_AOI4_", 5 / 3), ("$_MUX4_", 7.0),
    ("$_DFF_P_", 17 / 3),                       # DFF_X1
    ("$_DFF_PN0_", 20 / 3),                     # async reset: DFFR_X1
    ("$_DFFE_PP_", 17 / 3 + 7 / 3),             # + enable mux
    ("$_DFFE_PN0P_", 20 / 3 + 7 / 3),
    ("$_SDFF_PP0_", 17 / 3 + 4 / 3),            # + synchronous reset gate
    ("$_SDFFE_PP0P_", 17 / 3 + 4 / 3 + 7 / 3), ("$_SDFFCE_PN1N_", 17 / 3 + 4 / 3 + 7 / 3),
    ("$_DFFSR_PNN_", 8.0), ("$_DLATCH_P_", 7 / 3),
])
def test_cell_weights(kind, ge):
    assert W.cell(kind) == pytest.approx(ge)


def test_unknown_cells_and_memories():
    with pytest.raises(AreaToolError, match=r"no area weight for cell type \$_FOO_"):
        W.cell("$_FOO_")
    two_port = Memory(depth=1024, width=64, read_ports=1, write_ports=1)
    assert W.memory(two_port) == 1024 * 64 * 0.75 * 1.5
    assert W.memory(Memory(1024, 64, 2, 1)) == 1024 * 64 * 0.75 * 2.0
    assert W.flops({"$_DFF_P_": 3, "$_SDFFE_PP0P_": 2, "$_AND_": 7}) == 5


def stat(**modules):
    return {"modules": {f"\\{name}": {"num_cells_by_type": cells}
                        for name, cells in modules.items()}}


def test_rollup_multiplies_instances_and_skips_black_boxes():
    statistics = stat(top={"$_AND_": 2, "sub": 3, "$mem_v2": 1, "boxed": 1},
                      sub={"$_DFF_P_": 4, "leaf": 2}, leaf={"$_XOR_": 5, "$mem_v2": 1})
    memory = {"type": "$mem_v2", "parameters": {"SIZE": 128, "WIDTH": 8, "RD_PORTS": 1,
                                                "WR_PORTS": 1}}
    netlist = {"modules": {"top": {"cells": {"m": memory}}, "leaf": {"cells": {"m": memory}},
                           "sub": {}}}
    result = rollup(statistics, netlist, blackboxes=("boxed",))
    assert result.cells == {"$_AND_": 2, "$_DFF_P_": 12, "$_XOR_": 30}
    assert len(result.memories) == 1 + 6 and result.memories[0].bits == 1024
    assert result.parts == {"(top)": {"$_AND_": 2}, "sub": {"$_DFF_P_": 12, "$_XOR_": 30}}
    assert len(result.part_memories["sub"]) == 6
    assert SynthesisResult.from_json(result.to_json()) == result
    with pytest.raises(AreaToolError, match="module top instantiates unknown module boxed"):
        rollup(statistics, netlist)


RTLIL = """\
attribute \\top 1
module \\top
  cell \\top.a \\a
  end
  cell \\top.b \\b
  end
end
module \\top.a
  cell \\top.a.x \\x
  end
end
module \\top.a.x
  wire \\w
end
module \\top.b
  cell \\top.b.x \\x
  end
end
module \\top.b.x
  wire \\w
end
"""


def test_identical_modules_merge_bottom_up():
    merged = merge_identical_modules(RTLIL)
    assert merged.count("\nmodule ") + merged.startswith("module") == 3
    assert "cell \\top.a \\b" in merged and "module \\top.b" not in merged
    kept = merge_identical_modules(RTLIL, keep=("top.b",))
    assert "module \\top.b\n" in kept and "module \\top.b.x" not in kept
    assert "cell \\top.a.x \\x" in kept.split("module \\top.b\n")[1]


def test_cache_levels(tmp_path, monkeypatch):
    calls = []

    def fake_synthesize(text, *, verilog="", blackboxes=(), timeout=None):
        calls.append(text)
        return SynthesisResult({"$_DFF_P_": 10}, (Memory(64, 8, 1, 1),), {"(top)": {}}, {}, 1.5)

    monkeypatch.setattr(area_model, "synthesize", fake_synthesize)
    monkeypatch.setattr(area_model, "yosys_version", lambda: "fake 1.0")
    cache = AreaCache(tmp_path)
    small = preset("small")
    first = component_area(small, "dma_reader", cache=cache)
    assert not first.cached and len(calls) == 1
    assert first.logic_ge == pytest.approx(10 * 17 / 3) and first.sram_bits == 512
    assert component_area(small, "dma_reader", cache=cache).cached and len(calls) == 1
    # A scratchpad size the DMA does not see: a new design point, the same netlist.
    other = small.replace(sp_capacity_kib=32)
    assert component_area(other, "dma_reader", cache=cache).cached and len(calls) == 1
    # A bus width it does see: synthesized.
    assert not component_area(small.replace(dma_bus_bits=128), "dma_reader",
                              cache=cache).cached
    assert len(calls) == 2


@pytest.mark.parametrize("name", COMPONENTS)
def test_components_elaborate_from_a_config(name):
    design = build_component(name, preset("small"))
    text, _ = design_texts(design.top, keep=design.blackboxes)
    assert text.startswith("attribute") and "module \\top\n" in text
    # Control leaves out exactly the accelerator's submodules that are other components.
    assert design.blackboxes == (DATAPATH_MODULES if name == "control" else ())
    for module in design.blackboxes:
        assert f"module \\{module}\n" in text


def test_unknown_component():
    with pytest.raises(ValueError, match="unknown component 'fpu'"):
        build_component("fpu", preset("small"))
