"""The slow RTL regression (`pytest -m slow tests/rtl`, see docs/rtl.md): a larger matrix of configs
and more than 100,000 random commands in total, compared with the golden model; random AXI latency
and back-pressure on more programs; a traced run (waves).

Random commands: the four CI configs run 60 programs of 400 commands each (96,000 commands) and each
extra config 20 programs of 400 (48,000 over six configs): 144,000 drawn commands, plus prologues
and read-backs.
"""

from __future__ import annotations

import pytest

from gemmini_gen import GemminiConfig, preset
from gemmini_gen.rtl.programs import GeneratorOptions, directed_cases, random_case

pytestmark = pytest.mark.slow

CI_CONFIGS = ("small_os", "small_ws", "medium", "default")
DENSE = GeneratorOptions(sp_window_tiles=2, acc_window_tiles=1, interleave=0.7)


def _extra_configs() -> dict[str, GemminiConfig]:
    """Design points the CI matrix does not reach: DIM 2, combinational tiles, a 16-bit input type,
    a wide and a narrow bus with few bursts in flight, single-bank memories, no full-width reads."""
    base = preset("small")
    return {
        "small": base,
        "dim2": GemminiConfig(name="dim2").with_dim(2).replace(sp_capacity_kib=4,
                                                                 acc_capacity_kib=2),
        "tiles2x2": preset("medium").replace(name="tiles2x2", tile_rows=2, tile_cols=2,
                                             mesh_rows=4, mesh_cols=4, tile_latency=1),
        "int16": base.replace(name="int16", input_dtype="int16", sp_capacity_kib=32),
        "bus256_one_bank": preset("medium").replace(name="bus256", dma_bus_bits=256,
                                                    dma_max_bytes=128, max_in_flight=2,
                                                    sp_banks=1, acc_banks=1),
        "lean": preset("lean"),
    }


@pytest.mark.parametrize("name", CI_CONFIGS)
def test_many_random_programs_on_the_ci_configs(name, rtl, golden_check):
    cfg = preset(name)
    cases = [random_case(cfg, 7_000_000 + i, 400, DENSE if i % 3 == 0 else None)
             for i in range(60)]
    golden_check(cfg, cases, rtl(name).run_many([(c.program, c.memory) for c in cases]))


@pytest.mark.parametrize("name", list(_extra_configs()))
def test_more_configs(name, golden_check, memory_bytes):
    from gemmini_gen.backend import get_backend

    cfg = _extra_configs()[name]
    cases = directed_cases(cfg, 9) + [random_case(cfg, 8_000_000 + i, 400) for i in range(20)]
    backend = get_backend("rtl", cfg, memory_bytes=memory_bytes, watchdog_cycles=20000)
    golden_check(cfg, cases, backend.run_many([(c.program, c.memory) for c in cases]))


@pytest.mark.parametrize("name", ("small_ws", "medium"))
def test_axiram_random_programs(name, rtl, golden_check):
    pytest.importorskip("cocotbext.axi")
    cfg = preset(name)
    cases = [random_case(cfg, 9_000_000 + i, 200) for i in range(8)]
    backend = rtl(name, memory="axiram", pause=0.5, seed=3)
    golden_check(cfg, cases, backend.run_many([(c.program, c.memory) for c in cases]))


def test_waves(rtl, tmp_path, golden_check):
    """A traced build writes a VCD of the run with the harness's ports in it."""
    cfg = preset("small_os")
    case = directed_cases(cfg, 1, ["matmul_os"])[0]
    target = tmp_path / "matmul_os.vcd"
    result = rtl("small_os", waves=True, waves_path=str(target)).run(case.program, case.memory)
    golden_check(cfg, [case], [result])
    text = target.read_text(errors="replace")
    assert "$enddefinitions" in text and "cmd_total" in text
