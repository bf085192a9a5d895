"""gemmini.h: every macro, compiled with gcc, issues exactly the commands of the Python encoder of
the same name; the constants have the values of ISA.md sections 4.1 and 11; the header also compiles
as C++ and is written by `gemmini-gen` and `python -m gemmini_gen.software`."""

from __future__ import annotations

import random
import shutil
import subprocess

import numpy as np
import pytest

from gemmini_gen import isa, preset
from gemmini_gen.arith import f32_bits
from gemmini_gen.isa import FORMATS, GARBAGE, Command, Kind, acc, encode, sp
from gemmini_gen.software import HEADER_FILES, render_isa_header
from gemmini_gen.software.__main__ import main as headers_main
from gemmini_gen.software.counter_events import EXTERNAL_EVENTS, INTERNAL_EVENTS, event_codes

from .conftest import SHIM_DIR, compile_c, requires_gcc

DIM = preset("small").dim

# A program whose GEMMINI_CMD prints each command; "--" separates the output of two calls.
PRINTER = r"""
#include <inttypes.h>
#include <stdio.h>
static uint64_t emit(uint64_t funct, uint64_t rs1, uint64_t rs2) {
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", funct, rs1, rs2);
    return 0;
}
#define GEMMINI_CMD(funct, rs1, rs2) emit((funct), (rs1), (rs2))
#include "gemmini.h"
int main(void) {
BODY
    return 0;
}
"""

# (C statement, the commands the Python encoders give for it)
API_CASES = [
    ("gemmini_extended_mvin(0x12345678, 0x80000005, 13, 3)",
     [isa.mvin(0x12345678, 0x80000005, 13, 3)]),
    ("gemmini_extended_mvin2(0xdeadbeef00ULL, gemmini_acc_addr(7, 1, 0), 4, 2)",
     [isa.mvin2(0xdeadbeef00, acc(7, accumulate=True), 4, 2)]),
    ("gemmini_extended_mvin3(0x7ffd00001234ULL, gemmini_sp_addr(4095), 16, 4)",
     [isa.mvin3(0x7ffd00001234, sp(4095), 16, 4)]),
    ("gemmini_mvin(0x1000, gemmini_sp_addr(12))", [isa.mvin(0x1000, sp(12), DIM, DIM)]),
    ("gemmini_block_mvin(0x2000, 4, 3)", [isa.mvin(0x2000, 4, 3 * DIM, DIM)]),
    ("gemmini_extended_mvout(0x3000, gemmini_acc_addr(2, 0, 1), 4, 3)",
     [isa.mvout(0x3000, acc(2, read_full=True), 4, 3)]),
    ("gemmini_mvout(0x4000, 9)", [isa.mvout(0x4000, 9, DIM, DIM)]),
    ("gemmini_extended_preload(GARBAGE_ADDR, gemmini_acc_addr(3, 1, 0), 4, 4, 3, 2)",
     [isa.preload(GARBAGE, acc(3, accumulate=True), 4, 4, 3, 2)]),
    ("gemmini_preload(5, 6)", [isa.preload(5, 6, DIM, DIM, DIM, DIM)]),
    ("gemmini_preload_zeros(gemmini_acc_addr(8, 0, 0))", [isa.preload_zeros(acc(8), DIM, DIM)]),
    ("gemmini_extended_compute_preloaded(1, 2, 3, 4, 2, 1)",
     [isa.compute_preloaded(1, 2, 3, 4, 2, 1)]),
    ("gemmini_extended_compute_accumulated(7, GARBAGE_ADDR, 1, 2, 3, 4)",
     [isa.compute_accumulated(7, GARBAGE, 1, 2, 3, 4)]),
    ("gemmini_compute_preloaded(16, GARBAGE_ADDR)",
     [isa.compute_preloaded(16, GARBAGE, DIM, DIM, DIM, DIM)]),
    ("gemmini_compute_accumulated(20, 24)", [isa.compute_accumulated(20, 24, DIM, DIM, DIM, DIM)]),
    ("gemmini_extended3_config_ex(WEIGHT_STATIONARY, RELU, 7, 0.25, 2, 3, 1, 0, 1)",
     [isa.config_ex(1, 1, 7, 0.25, 2, 3, True, False, True)]),
    ("gemmini_extended2_config_ex(OUTPUT_STATIONARY, RELU, 5, 2, 1, 1)",
     [isa.config_ex(0, 1, 5, 1.0, 1, 2, True, True)]),
    ("gemmini_extended_config_ex(WEIGHT_STATIONARY, NO_ACTIVATION, 0, 4, 0, 1)",
     [isa.config_ex(1, 0, 0, 1.0, 1, 4, False, True)]),
    ("gemmini_config_ex(OUTPUT_STATIONARY, NO_ACTIVATION, 3)", [isa.config_ex(0, 0, 3)]),
    ("gemmini_extended5_config_ld(64, 0.5, 1, 12, 3, 2)",
     [isa.config_ld(64, 0.5, True, block_stride=12, pixel_repeats=3, id=2)]),
    ("gemmini_extended4_config_ld(0, -1.5, 0, 9, 1)",
     [isa.config_ld(0, -1.5, False, block_stride=9, id=1)]),
    ("gemmini_extended3_config_ld(48, 3.0, 1, 2)",
     [isa.config_ld(48, 3.0, True, block_stride=DIM, id=2)]),
    ("gemmini_extended2_config_ld(0x123456789ULL, 0.75, 1)",
     [isa.config_ld(0x123456789, 0.75, True, block_stride=DIM)]),
    ("gemmini_extended_config_ld(32, 2.0)", [isa.config_ld(32, 2.0, block_stride=DIM)]),
    ("gemmini_config_ld(16)", [isa.config_ld(16, 1.0, block_stride=DIM)]),
    ("gemmini_extended2_config_st(16, RELU, 0.125, 1, 2, 5, 6, 7, 8, 9, 1, 2)",
     [isa.config_st(16, 1, 0.125, 1, 2, 5, 6, 7, 8, 9, 1, 2)]),
    ("gemmini_extended_config_st(24, RELU, 1e-3)", [isa.config_st(24, 1, 1e-3)]),
    ("gemmini_config_st(8)", [isa.config_st(8)]),
    ("gemmini_config_norm(-5, 1, 0, 1, 3, -7, 9)",
     [isa.config_norm(q_const=-5, q_const_type=1, act_msb=1, stat_id=3, qb=-7, qc=9)]),
    ("gemmini_loop_ws(2, 3, 4, 1, 2, 3, 0x1000, 0x2000, 0, 0x3000, 16, 12, 0, 12, 0, 1, 1, 0, 1, "
     "RELU, 1, 2, 0)",
     isa.loop_ws(2, 3, 4, 1, 2, 3, 0x1000, 0x2000, 0, 0x3000, 16, 12, 0, 12, False, True, True,
                 False, True, 1, 1, 2, False)),
    ("gemmini_loop_ws(1, 1, 1, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 4, 4, 4, 4, 1, 0, 0, 1, 0, 0, 0, "
     "0, 1)",
     isa.loop_ws(1, 1, 1, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 4, 4, 4, 4, True, False, False, True,
                 False, 0, 0, 0, True)),
    ("gemmini_flush(1)", [isa.flush(1)]),
    ("gemmini_fence()", [isa.fence()]),
    ("counter_configure(3, RDMA_ACTIVE_CYCLE)", [isa.counter_configure(3, 18)]),
    ("counter_configure(5, WDMA_BYTES_SENT)", [isa.counter_configure(5, 49)]),
    ("counter_read(6)", [isa.counter_read(6)]),
    ("counter_snapshot_take()", [isa.counter_snapshot_take()]),
    ("counter_snapshot_reset()", [isa.counter_snapshot_reset()]),
    ("counter_reset()", [isa.counter_reset()]),
]


def _run_printer(tmp_path, headers, statements: list[str]) -> list[list[Command]]:
    body = "\n".join(f'    {s};\n    puts("--");' for s in statements)
    source = tmp_path / "printer.c"
    source.write_text(PRINTER.replace("BODY", body))
    binary = compile_c(source, headers, tmp_path / "printer", shim=False)
    out = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout
    groups = out.split("--\n")[:-1]
    return [[Command(*map(int, line.split())) for line in group.splitlines()] for group in groups]


@requires_gcc
def test_every_api_macro_encodes_like_the_python_encoder(tmp_path, small_headers):
    got = _run_printer(tmp_path, small_headers, [c for c, _ in API_CASES])
    assert len(got) == len(API_CASES)
    for (call, expected), commands in zip(API_CASES, got):
        assert commands == list(expected), call


def _random_value(rng: random.Random, field):
    """A random legal value of `field` for `encode`, and its C literal."""
    if field.kind is Kind.FP32:
        value = float(np.float32(rng.uniform(-1e3, 1e3)))
        return value, f"{f32_bits(value)}U"
    if field.kind is Kind.SINT:
        value = rng.randrange(-(1 << (field.width - 1)), 1 << (field.width - 1))
        return value, f"{value}LL" if value != -(1 << 63) else "INT64_MIN"
    if field.kind is Kind.ENUM:
        value = rng.randrange(len(field.names))
    else:
        value = rng.randrange(1 << field.width)
    return value, f"{value}ULL"


@requires_gcc
def test_every_command_constructor_matches_encode(tmp_path, small_headers):
    """gemmini_cmd_<name>(fields in table order) == encode(name, **fields), random fields."""
    rng = random.Random(7)
    statements, expected = [], []
    for fmt in FORMATS:
        for _ in range(3):
            fields = [f for f in fmt.rs1.declared + fmt.rs2.declared if f.is_named]
            values = [_random_value(rng, f) for f in fields]
            statements.append(f"gemmini_cmd_{fmt.name}({', '.join(c for _, c in values)})")
            expected.append(encode(fmt.name, **{f.name: v for f, (v, _) in zip(fields, values)}))
    got = _run_printer(tmp_path, small_headers, statements)
    assert got == [[command] for command in expected]


@requires_gcc
def test_local_address_helpers_match_python(tmp_path, small_headers):
    statements = ['printf("%u\\n", (unsigned)gemmini_sp_addr(4095))',
                  'printf("%u\\n", (unsigned)gemmini_acc_addr(17, 1, 0))',
                  'printf("%u\\n", (unsigned)gemmini_acc_addr(1023, 0, 1))',
                  'printf("%u\\n", (unsigned)gemmini_local_addr(5, 2, 1, 1, 1))',
                  'printf("%u\\n", (unsigned)GARBAGE_ADDR)']
    source = tmp_path / "local.c"
    source.write_text(PRINTER.replace("BODY", "\n".join(f"    {s};" for s in statements)))
    binary = compile_c(source, small_headers, tmp_path / "local", shim=False)
    out = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout
    assert [int(v) for v in out.split()] == [
        sp(4095), acc(17, accumulate=True), acc(1023, read_full=True),
        acc(5, accumulate=True, read_full=True) | 2 << 26, GARBAGE]


# Values from ISA.md section 4.1 (funct table) and section 11 (constants C programs rely on).
SPEC_CONSTANTS = {
    "k_CONFIG": 0, "k_MVIN2": 1, "k_MVIN": 2, "k_MVOUT": 3, "k_COMPUTE_PRELOADED": 4,
    "k_COMPUTE_ACCUMULATE": 5, "k_PRELOAD": 6, "k_FLUSH": 7, "k_LOOP_WS": 8,
    "k_LOOP_WS_CONFIG_BOUNDS": 9, "k_LOOP_WS_CONFIG_ADDRS_AB": 10, "k_LOOP_WS_CONFIG_ADDRS_DC": 11,
    "k_LOOP_WS_CONFIG_STRIDES_AB": 12, "k_LOOP_WS_CONFIG_STRIDES_DC": 13, "k_MVIN3": 14,
    "k_LOOP_CONV_WS": 15, "k_LOOP_CONV_WS_CONFIG_1": 16, "k_LOOP_CONV_WS_CONFIG_6": 21,
    "k_COUNTER": 126, "k_FENCE": 127, "CONFIG_EX": 0, "CONFIG_LD": 1, "CONFIG_ST": 2,
    "CONFIG_NORM": 3, "GARBAGE_ADDR": 0xFFFFFFFF, "OUTPUT_STATIONARY": 0, "WEIGHT_STATIONARY": 1,
    "NO_ACTIVATION": 0, "RELU": 1, "LAYERNORM": 2, "IGELU": 3, "SOFTMAX": 4,
    # ISA.md 10.2: 9 load active, 18 read-DMA active, 43 LOOP_WS active, externals after 44
    "LOAD_ACTIVE_CYCLE": 9, "RDMA_ACTIVE_CYCLE": 18, "LOOP_MATMUL_ACTIVE_CYCLES": 43,
    "RESERVATION_STATION_LD_COUNT": 45, "WDMA_TOTAL_LATENCY": 51,
}


@requires_gcc
def test_constants_have_the_spec_values(tmp_path, small_headers):
    names = list(SPEC_CONSTANTS)
    source = tmp_path / "constants.c"
    source.write_text(PRINTER.replace("BODY", "\n".join(
        f'    printf("%llu\\n", (unsigned long long)({name}));' for name in names)))
    binary = compile_c(source, small_headers, tmp_path / "constants", shim=False)
    out = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout
    assert dict(zip(names, map(int, out.split()))) == SPEC_CONSTANTS


def test_event_names_cover_every_event():
    codes = event_codes()
    assert len(INTERNAL_EVENTS) == 44 and len(EXTERNAL_EVENTS) == 7
    assert sorted(codes.values()) == list(range(0, 52))


def test_header_is_config_independent_and_generated_from_the_table():
    text = render_isa_header()
    for fmt in FORMATS:
        assert f"#define gemmini_cmd_{fmt.name}(" in text
    assert "#define DIM" not in text             # DIM and the types come from gemmini_params.h


@requires_gcc
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_headers_compile_as_cpp(tmp_path, small_headers):
    source = tmp_path / "t.cpp"
    source.write_text('#include "gemmini_shim.h"\n'
                      "int main() { gemmini_config_ex(WEIGHT_STATIONARY, RELU, 0); "
                      "return (int)counter_read(0); }\n")
    subprocess.run(["g++", "-std=gnu++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                    f"-I{small_headers}", f"-I{SHIM_DIR}", str(source)], check=True)


def test_cli_writes_both_headers(tmp_path, capsys):
    assert headers_main(["--preset", "small", "--out", str(tmp_path / "h")]) == 0
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == sorted(HEADER_FILES)
    assert (tmp_path / "h" / "gemmini.h").read_text() == render_isa_header()
    assert "#define DIM 4" in (tmp_path / "h" / "gemmini_params.h").read_text()


def test_cli_bad_config_is_one_line_and_writes_nothing(tmp_path, capsys):
    code = headers_main(["--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "h")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot read config file" in err
    assert not (tmp_path / "h").exists()


def test_gemmini_gen_writes_the_macro_header_next_to_the_params_header(tmp_path):
    from gemmini_gen.emit import write_design

    write_design(preset("small"), tmp_path / "design", top="mesh")
    assert (tmp_path / "design" / "gemmini.h").read_text() == render_isa_header()
    assert (tmp_path / "design" / "gemmini_params.h").exists()
