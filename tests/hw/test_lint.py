"""The emitted Verilog passes `verilator --lint-only -Wall` (waivers: `emit.LINT_WAIVERS`): the mesh
for several array shapes, and the whole accelerator (the default `gemmini-gen` top) for small configs
of each dataflow (each takes ~15 s: emission and lint of ~30k lines)."""

from __future__ import annotations

import pytest

from gemmini_gen.config import Dataflow, GemminiConfig, preset
from gemmini_gen.emit import build_top, convert, lint

CONFIGS = {
    "dim4_both": GemminiConfig().with_dim(4),
    "dim8_ws_tiles_2x4_latency1": GemminiConfig().replace(
        tile_rows=2, tile_cols=4, mesh_rows=4, mesh_cols=2, dataflow=Dataflow.WS,
        tile_latency=1, mesh_output_delay=2),
    "dim4_os_int16_acc64": GemminiConfig(dataflow=Dataflow.OS, input_dtype="int16",
                                         acc_dtype="int64").with_dim(4),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_mesh_verilog_lints_clean(name, tmp_path):
    path = tmp_path / "mesh.v"
    path.write_text(convert(build_top(CONFIGS[name], "mesh"), "mesh"))
    assert lint(path, "mesh") == ""


# Every DMA here has a non-power-of-two number of beats per row and a depth-2 write-job FIFO, the two
# shapes that once produced CASEINCOMPLETE and ASCRANGE warnings.
ACCELERATOR_CONFIGS = {
    "small_both_bus64": preset("small"),
    "small_ws": preset("small_ws"),
    "dim4_os_int16_bus128": GemminiConfig(dataflow=Dataflow.OS, input_dtype="int16").with_dim(4),
    # 17 local address bits: a block-stride check of CONFIG_LD would be constant (CMPCONST).
    "dim2": GemminiConfig().with_dim(2),
}


@pytest.mark.parametrize("name", list(ACCELERATOR_CONFIGS))
def test_accelerator_verilog_lints_clean(name, tmp_path):
    path = tmp_path / "accelerator.v"
    path.write_text(convert(build_top(ACCELERATOR_CONFIGS[name]), "accelerator"))
    assert lint(path, "accelerator") == ""


def test_accelerator_without_clock_gating_lints_clean(tmp_path):
    path = tmp_path / "accelerator.v"
    path.write_text(convert(build_top(preset("small"), clock_gating=False), "accelerator"))
    verilog = path.read_text()
    assert "gemmini_clock_gate" not in verilog
    assert lint(path, "accelerator") == ""


def test_lint_reports_problems(tmp_path):
    path = tmp_path / "bad.v"
    path.write_text("module bad(input a, output b); assign b = c; endmodule\n")
    assert "c" in lint(path, "bad")
