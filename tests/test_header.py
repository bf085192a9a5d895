"""gemmini_params.h: default values from ISA.md section 11, and the C macros compiled and run with gcc."""

import shutil
import subprocess

import pytest

from gemmini_gen.config import GemminiConfig, preset
from gemmini_gen.header import render_params_header

DEFAULT_DEFINES = {
    "XCUSTOM_ACC": "3", "DIM": "16", "ADDR_LEN": "32", "BANK_NUM": "4", "BANK_ROWS": "4096",
    "ACC_ROWS": "1024", "MAX_BYTES": "64", "MAX_BLOCK_LEN": "(MAX_BYTES/(DIM*1))",
    "MAX_BLOCK_LEN_ACC": "(MAX_BYTES/(DIM*4))", "MVIN_SCALE_IDENTITY": "1.0",
    "ACC_SCALE_IDENTITY": "1.0", "ACC_SCALE_EXP_BITS": "8", "ACC_SCALE_SIG_BITS": "24",
}
DEFAULT_FLAGS = {"HAS_MVIN_SCALE", "ACC_SCALE_T_IS_FLOAT", "ACC_READ_SMALL_WIDTH",
                 "ACC_READ_FULL_WIDTH", "HAS_FIRST_LAYER_OPTIMIZATIONS"}


def _defines(text):
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define" and "(" not in parts[1]:
            out[parts[1]] = parts[2] if len(parts) == 3 else ""
    return out


def test_default_header_values_match_spec():
    text = render_params_header(GemminiConfig())
    d = _defines(text)
    for name, value in DEFAULT_DEFINES.items():
        assert d[name] == value, name
    for flag in DEFAULT_FLAGS:
        assert d[flag] == "", flag
    assert "HAS_NORMALIZATIONS" not in d and "ELEM_T_IS_FLOAT" not in d
    for typedef in ("typedef int8_t elem_t;", "typedef int32_t acc_t;", "typedef int64_t full_t;",
                    "typedef float scale_t;", "typedef uint32_t scale_t_bits;",
                    "typedef int32_t scale_acc_t;", "typedef float acc_scale_t;",
                    "static const elem_t elem_t_max = 127;",
                    "static const elem_t elem_t_min = -128;"):
        assert typedef in text


def test_lean_header_drops_full_width_reads():
    d = _defines(render_params_header(preset("lean")))
    assert "ACC_READ_FULL_WIDTH" not in d and "ACC_READ_SMALL_WIDTH" in d


def test_wide_rows_use_literal_block_len():
    cfg = GemminiConfig(input_dtype="int32", mesh_rows=32, mesh_cols=32, sp_capacity_kib=512)
    d = _defines(render_params_header(cfg))
    assert d["MAX_BLOCK_LEN"] == "1" and d["MAX_BLOCK_LEN_ACC"] == "1"


C_PROGRAM = r"""
#include <stdio.h>
#include "gemmini_params.h"
int main(void) {
    long long shifts[][3] = {{5,1,2},{7,1,4},{-5,1,-2},{-7,1,-4},{10,2,2},{14,2,4},{13,2,3},
                             {-10,2,-2},{-11,2,-3},{9,0,9},{3,-2,12}};
    for (unsigned i = 0; i < sizeof shifts / sizeof shifts[0]; i++) {
        long long got = ROUNDING_RIGHT_SHIFT(shifts[i][0], shifts[i][1]);
        if (got != shifts[i][2]) { printf("shift %u: %lld\n", i, got); return 1; }
    }
    struct { int x; float f; int want; } sc[] = {{5,0.5f,2},{7,0.5f,4},{-5,0.5f,-2},{3,0.5f,2},
        {-1,0.5f,0},{100,2.0f,127},{-100,2.0f,-128},{1000,0.1f,100}};
    for (unsigned i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        acc_t a = ACC_SCALE(sc[i].x, sc[i].f);
        elem_t m = MVIN_SCALE(sc[i].x, sc[i].f);
        if (a != sc[i].want || m != sc[i].want) { printf("scale %u: %d %d\n", i, a, m); return 1; }
    }
    printf("%d %d %d %d\n", DIM, BANK_ROWS, ACC_ROWS, MAX_BLOCK_LEN);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
@pytest.mark.parametrize("name", ["default", "small", "large_chip"])
def test_header_compiles_and_macros_match_spec(tmp_path, name):
    cfg = preset(name)
    (tmp_path / "gemmini_params.h").write_text(render_params_header(cfg))
    (tmp_path / "t.c").write_text(C_PROGRAM)
    subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Werror", "-o", str(tmp_path / "t"),
                    str(tmp_path / "t.c")], check=True, cwd=tmp_path)
    out = subprocess.run([str(tmp_path / "t")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    assert out.stdout.split() == [str(cfg.dim), str(cfg.sp_bank_rows), str(cfg.acc_rows),
                                  str(cfg.max_block_len)]
