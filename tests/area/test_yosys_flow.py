"""Synthesis with Yosys (the optional `area` extra; skipped without it): memories counted as SRAM
macros or flip-flops, exact counts on a hand-made design, the components, the DSE's area column end
to end, and the ECP5 flow on a small component (about 20 s of place and route).

The control component (the whole accelerator minus its datapath) takes about 1.5 minutes to
synthesize even for the smallest preset: `pytest -m slow tests/area`.
"""

import json

import pytest
from amaranth.hdl import Module, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from gemmini_gen.area import (AreaCache, AreaToolError, Memory, area_report, component_area,
                              yosys_available)
from gemmini_gen.area.ecp5 import ecp5_available, ecp5_report
from gemmini_gen.area.rtlil import design_texts
from gemmini_gen.area.yosys import synthesize
from gemmini_gen.config import preset
from gemmini_gen.dse import load_spec, run_sweep

pytestmark = pytest.mark.skipif(yosys_available() is not None,
                                reason=yosys_available() or "")


class CounterAndMemories(wiring.Component):
    """An 8-bit counter, a 64 x 16 memory (an SRAM macro) and an 8 x 4 one (flip-flops)."""

    count: Out(8)
    addr: In(6)
    data: In(16)
    q: Out(16)
    small_q: Out(4)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.count.eq(self.count + 1)
        m.submodules.big = big = memory.Memory(shape=unsigned(16), depth=64, init=[])
        write = big.write_port()
        read = big.read_port()
        m.d.comb += [write.addr.eq(self.addr), write.data.eq(self.data), write.en.eq(1),
                     read.addr.eq(self.count[:6]), self.q.eq(read.data)]
        m.submodules.small = small = memory.Memory(shape=unsigned(4), depth=8, init=[])
        small_write = small.write_port()
        small_read = small.read_port(domain="comb")
        m.d.comb += [small_write.addr.eq(self.addr[:3]), small_write.data.eq(self.data[:4]),
                     small_write.en.eq(1), small_read.addr.eq(self.count[:3]),
                     self.small_q.eq(small_read.data)]
        return m


def test_memories_are_macros_or_flip_flops():
    result = synthesize(design_texts(CounterAndMemories())[0])
    assert result.memories == (Memory(depth=64, width=16, read_ports=1, write_ports=1),)
    flops = sum(n for kind, n in result.cells.items() if "DFF" in kind)
    assert flops == 8 + 8 * 4                  # the counter and the small memory's bits


def test_scratchpad_banks_are_sram_macros(tmp_path):
    config = preset("small")
    area = component_area(config, "scratchpad", cache=AreaCache(tmp_path))
    assert area.sram_bits == config.sp_capacity_kib * 1024 * 8
    assert area.sram_ge == pytest.approx(area.sram_bits * 0.75 * 1.5)   # 1 read + 1 write port
    assert 0 < area.logic_ge < area.sram_ge and area.synthesis_s > 0


def test_broken_rtlil_is_a_one_line_error():
    with pytest.raises(AreaToolError, match="^Yosys failed: ") as error:
        synthesize("module \\top\n  connect \\missing 1\nend\n")
    assert "\n" not in str(error.value)


SPEC = """\
name = "area"
[base]
preset = "small"
[parameters]
dma_bus_bits = [32, 64]
dataflow = ["OS", "WS"]
[workloads]
digits = "digits_cnn"
[area]
model = "yosys"
components = ["dma_reader"]
[metrics]
minimize = ["cycles", "area"]
"""


def test_sweep_fills_the_area_column(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMMINI_AREA_CACHE", str(tmp_path / "cache"))
    (tmp_path / "spec.toml").write_text(SPEC)
    run_sweep(load_spec(tmp_path / "spec.toml"), tmp_path / "out", workers=1, progress=False)
    points = json.loads((tmp_path / "out" / "results.json").read_text())["points"]
    assert [p["status"] for p in points] == ["ok"] * 4
    for p in points:
        config = preset("small").replace(**p["params"], name=p["id"])
        assert p["area"] == area_report(config, ("dma_reader",)).total_kge
        assert p["area_detail"]["unit"] == "kGE"
    # The reader does not depend on the dataflow: one synthesis per bus width.
    assert len(list((tmp_path / "cache" / "netlist").iterdir())) == 2
    narrow, wide = (p["area"] for p in points if p["params"]["dataflow"] == "WS")
    assert narrow < wide


@pytest.mark.slow
def test_control_leaves_the_datapath_out(tmp_path):
    area = component_area(preset("small"), "control", cache=AreaCache(tmp_path))
    assert {"frontend", "rs", "load", "execute", "store", "counters"} <= set(area.parts_ge)
    assert area.sram_bits == 0 and not {"spad", "acc", "reader", "writer"} & set(area.parts_ge)


@pytest.mark.skipif(ecp5_available() is not None, reason=ecp5_available() or "")
def test_ecp5_maps_a_component():
    result = ecp5_report(preset("small"), "dma_reader", device="85k")
    assert 0 < result.luts < result.lut_capacity and result.flip_flops > 0
    assert result.dsps == 0 and result.brams == 0          # no multipliers, FIFOs in LUT RAM/FFs
    assert result.fmax_mhz > 0
    with pytest.raises(ValueError, match="control has black boxes"):
        ecp5_report(preset("small"), "control")
