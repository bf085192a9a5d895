"""`gemmini-gen`: outputs, manifest, config handling and one-line errors that write nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gemmini_gen.cli.gen import main
from gemmini_gen.config import GemminiConfig, preset


def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_writes_verilog_header_and_manifest(tmp_path, capsys):
    out = tmp_path / "design"
    code, stdout, stderr = run(["--preset", "small", "--top", "mesh", "--out", out], capsys)
    assert code == 0 and stderr == ""
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "gemmini.h", "gemmini_params.h",
                                                     "mesh.v"]
    info = json.loads((out / "config.json").read_text())
    verilog = (out / "mesh.v").read_text()
    assert info["top"] == "mesh" and info["verilog"]["file"] == "mesh.v"
    assert info["verilog"]["sha256"] == hashlib.sha256(verilog.encode()).hexdigest()
    assert info["content_hash"] == preset("small").content_hash()
    assert info["derived"] == preset("small").derived()
    assert set(info["tools"]) == {"gemmini-gen", "amaranth", "yosys", "python"}
    assert info["timing"]["block_cycles"] == 4
    assert "module mesh(" in verilog
    assert "#define DIM 4" in (out / "gemmini_params.h").read_text()
    assert GemminiConfig.load(out / "config.json") == preset("small")   # the manifest reloads


def test_default_top_is_the_accelerator(tmp_path, capsys):
    out = tmp_path / "design"
    code, _, stderr = run(["--preset", "small", "--out", out], capsys)
    assert code == 0 and stderr == ""
    assert sorted(p.name for p in out.iterdir()) == ["accelerator.v", "config.json",
                                                     "gemmini.h", "gemmini_params.h"]
    info = json.loads((out / "config.json").read_text())
    verilog = (out / "accelerator.v").read_text()
    assert info["top"] == "accelerator" and info["verilog"]["file"] == "accelerator.v"
    assert info["verilog"]["sha256"] == hashlib.sha256(verilog.encode()).hexdigest()
    assert "module accelerator(" in verilog
    for port in ("cmd__valid", "resp__payload", "busy", "error", "axi__araddr", "axi__wdata"):
        assert port in verilog
    assert info["clock_gating"] is True and "module gemmini_clock_gate" in verilog


def test_no_clock_gating_builds_clock_enables_only(tmp_path, capsys):
    out = tmp_path / "fpga"
    code, _, stderr = run(["--preset", "small", "--no-clock-gating", "--out", out], capsys)
    assert code == 0 and stderr == ""
    info = json.loads((out / "config.json").read_text())
    verilog = (out / "accelerator.v").read_text()
    assert info["clock_gating"] is False
    assert "gemmini_clock_gate" not in verilog and "module accelerator(" in verilog


def test_flags_override_the_base_config(tmp_path, capsys):
    base = tmp_path / "base.toml"
    preset("small").replace(name="mine").save(base)
    out = tmp_path / "o"
    code, _, _ = run(["--config", base, "--dim", 8, "--tile", 2, 4, "--dtype", "int16",
                      "--acc-dtype", "int64", "--dataflow", "ws", "--sp-kib", 64, "--acc-kib", 32,
                      "--bus-bits", 128, "--out", out], capsys)
    assert code == 0
    cfg = GemminiConfig.load(out / "config.json")
    assert (cfg.dim, cfg.tile_rows, cfg.tile_cols, cfg.mesh_rows, cfg.mesh_cols) == (8, 2, 4, 4, 2)
    assert (cfg.input_dtype, cfg.acc_dtype, cfg.dataflow.value) == ("int16", "int64", "WS")
    assert (cfg.sp_capacity_kib, cfg.acc_capacity_kib, cfg.dma_bus_bits) == (64, 32, 128)
    assert cfg.name == "mine"


def test_default_output_directory_is_the_slug(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run(["--dim", 2, "--top", "mesh"], capsys)
    slug = GemminiConfig().with_dim(2).slug()
    assert code == 0 and (tmp_path / "rtl_out" / slug / "mesh.v").is_file()
    assert slug in stdout


def test_replaces_an_existing_output_directory(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    assert run(["--preset", "small", "--top", "mesh", "--out", out], capsys)[0] == 0
    assert not (out / "stale.txt").exists() and (out / "mesh.v").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]        # no staging left behind


BAD = [
    (["--dim", 12], "dim must be a power of two"),
    (["--dtype", "float7"], "invalid choice: 'float7'"),
    (["--sp-kib", 0], "sp_capacity_kib must be >= 1"),
    (["--preset", "nope"], "invalid choice: 'nope'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--tile", 3, 3], "tile_rows (3) must divide dim (16)"),
    (["--dim", 4, "--acc-kib", 3], "accumulator rows per bank"),
    (["--top", "cpu"], "invalid choice: 'cpu'"),
    (["--preset", "small", "--config", "x.toml"], "not allowed with argument"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(map(str, a)) for a, _ in BAD])
def test_bad_flags_fail_in_one_line_and_write_nothing(argv, message, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv + ["--out", tmp_path / "o"], capsys)
    assert code == 2
    _assert_one_line(err, message)
    assert list(tmp_path.iterdir()) == []


def _assert_one_line(err: str, message: str):
    assert err.count("\n") == 1 and err.startswith("gemmini-gen: error: "), err
    assert message in err


@pytest.mark.parametrize("content, message", [("dim = [\n", "malformed TOML"),
                                              ("dim = 6\n", "dim must be a power of two"),
                                              ("frobnicate = 1\n", "unknown config key")])
def test_bad_config_files(content, message, tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(content)
    code, _, err = run(["--config", path, "--out", tmp_path / "o"], capsys)
    assert code == 2
    _assert_one_line(err, message)
    assert not (tmp_path / "o").exists()


def test_console_script(tmp_path):
    """The installed entry point, as a user runs it (exit status and one-line error)."""
    script = shutil.which("gemmini-gen", path=str(Path(sys.executable).parent))
    assert script, "gemmini-gen console script not installed"
    done = subprocess.run([script, "--dim", "12", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == "gemmini-gen: error: dim must be a power of two >= 2, got 12\n"
    done = subprocess.run([script, "--preset", "small", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "o" / "accelerator.v").is_file()
