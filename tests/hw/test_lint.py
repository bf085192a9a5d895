"""The emitted Verilog passes `verilator --lint-only -Wall` (waivers: `emit.LINT_WAIVERS`)."""

from __future__ import annotations

import pytest

from gemmini_gen.config import Dataflow, GemminiConfig
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


def test_lint_reports_problems(tmp_path):
    path = tmp_path / "bad.v"
    path.write_text("module bad(input a, output b); assign b = c; endmodule\n")
    assert "c" in lint(path, "bad")
