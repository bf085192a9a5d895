"""Native C programs on the backends through the shim: the example (golden on three configs, RTL on
the small preset), accelerator state across synchronisations while the host changes its buffers,
write-back rules, and every failure as one line with exit status 2."""

from __future__ import annotations

import importlib.util
import re

import pytest

from gemmini_gen import preset
from gemmini_gen.software import write_headers

from .conftest import EXAMPLES, compile_c, requires_gcc, run_program

pytestmark = requires_gcc

HAS_RTL = importlib.util.find_spec("gemmini_gen.rtl.backend") is not None
BACKENDS = ["golden", pytest.param("rtl", marks=pytest.mark.skipif(
    not HAS_RTL, reason="the RTL backend is not installed"))]


def _example_output(cfg) -> list[str]:
    lines = []
    if cfg.has_ws:
        lines.append(f"WS: relu(scale(A*B + bias)): {cfg.dim} x {cfg.dim} results match")
    if cfg.has_os:
        lines.append(f"OS: relu((A*B + D) >> shift): {cfg.dim} x {cfg.dim} results match")
    return lines


@pytest.mark.parametrize("name", ["small", "default", "small_os"])
def test_example_matches_plain_c_on_golden(tmp_path, name):
    cfg = preset(name)
    write_headers(cfg, tmp_path)
    binary = compile_c(EXAMPLES / "matmul_ws.c", tmp_path, tmp_path / "matmul_ws")
    done = run_program(binary, "golden")
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[:-1] == _example_output(cfg)
    # the golden model counts the MVIN commands during which the load unit is active
    assert lines[-1] == f"counter LOAD_ACTIVE_CYCLE: {3 * cfg.has_ws + 3 * cfg.has_os}"


@pytest.mark.skipif(not HAS_RTL, reason="the RTL backend is not installed")
def test_example_matches_plain_c_on_rtl(tmp_path, small_headers):
    binary = compile_c(EXAMPLES / "matmul_ws.c", small_headers, tmp_path / "matmul_ws")
    done = run_program(binary, "rtl")
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    lines = done.stdout.splitlines()            # the simulator's log stays off stdout
    assert lines[:-1] == _example_output(preset("small"))
    assert re.fullmatch(r"counter LOAD_ACTIVE_CYCLE: [1-9]\d*", lines[-1])   # cycles, not commands


STATE = r"""
#include <stdio.h>
#include <string.h>
#include "gemmini_shim.h"
static elem_t out1[DIM][DIM], out2[DIM][DIM];
int main(void) {
    elem_t input[DIM][DIM], first[DIM][DIM];     /* on the stack, far from the static arrays */
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++)
            input[i][j] = i * DIM + j - 8;
    memcpy(first, input, sizeof input);
    GEMMINI_SHIM_ARRAY(input);
    GEMMINI_SHIM_ARRAY(out1);
    GEMMINI_SHIM_ARRAY(out2);
    gemmini_config_ld(DIM * sizeof(elem_t));
    gemmini_config_st(DIM * sizeof(elem_t));
    gemmini_mvin(input, 0);
    gemmini_fence();
    for (int i = 0; i < DIM; i++)                /* the host changes its buffer */
        for (int j = 0; j < DIM; j++)
            input[i][j] = -input[i][j];
    gemmini_mvin(input, DIM);
    gemmini_fence();
    gemmini_mvout(out1, 0);                      /* both loads are still in the scratchpad */
    gemmini_mvout(out2, DIM);
    gemmini_fence();
    int bad = memcmp(out1, first, sizeof first) != 0 || memcmp(out2, input, sizeof input) != 0;
    gemmini_shim_release(input);                 /* before it goes out of scope */
    for (int i = 0; i < DIM; i++)
        printf("%d %d\n", out1[i][0], out2[i][DIM - 1]);
    return bad;
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_state_survives_synchronisations_and_sees_host_changes(build, backend):
    done = run_program(build(STATE), backend)
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    dim = preset("small").dim
    expected = [f"{i * dim - 8} {-(i * dim + dim - 1 - 8)}" for i in range(dim)]
    assert done.stdout.splitlines() == expected


WRITE_BACK = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gemmini_shim.h"
static const elem_t weights[DIM][DIM] = {{1, -2, 3}, {4, 5, -6}, {7}, {-8, 9}};   /* read-only */
static struct { elem_t a[DIM][DIM]; elem_t b[DIM][DIM]; } pair;
int main(void) {
    elem_t *out = malloc(sizeof weights);
    memset(out, 0x55, sizeof weights);
    GEMMINI_SHIM_ARRAY(weights);
    gemmini_shim_buffer(out, sizeof weights);
    GEMMINI_SHIM_ARRAY(pair.b);                  /* inside the next buffer: merged */
    gemmini_shim_buffer(&pair, sizeof pair);
    gemmini_shim_buffer(&pair, sizeof pair);     /* twice: harmless */
    gemmini_config_ld(DIM * sizeof(elem_t));
    gemmini_config_st(DIM * sizeof(elem_t));
    gemmini_mvin(weights, 0);
    gemmini_mvout(out, 0);
    gemmini_mvout(pair.b, 0);
    gemmini_shim_release(out);                   /* runs the commands, then forgets `out` */
    int bad = memcmp(out, weights, sizeof weights) || memcmp(pair.b, weights, sizeof weights);
    free(out);
    printf("%s\n", bad ? "mismatch" : "written back");
    return bad;
}
"""


def test_release_runs_pending_commands_and_only_changed_buffers_are_written(build):
    done = run_program(build(WRITE_BACK))
    assert (done.returncode, done.stdout, done.stderr) == (0, "written back\n", "")


def test_no_commands_no_server(build):
    binary = build('#include "gemmini_shim.h"\nstatic elem_t a[DIM];\n'
                   "int main(void) { GEMMINI_SHIM_ARRAY(a); return 0; }\n")
    done = run_program(binary, GEMMINI_PYTHON="/nonexistent/python")
    assert (done.returncode, done.stderr) == (0, "")


# ----------------------------------------------------------------------------------------------
# Failures: one line on stderr, exit status 2, the program's earlier output intact
# ----------------------------------------------------------------------------------------------
ILLEGAL = r"""
#include <stdio.h>
#include "gemmini_shim.h"
elem_t a[DIM][DIM], unregistered[DIM][DIM];        /* external: no unused warnings */
int main(void) {
    GEMMINI_SHIM_ARRAY(a);
    printf("before\n");
    gemmini_config_ld(DIM);
    gemmini_mvin(a, 0);
    BAD;
    FENCE
    printf("after\n");
    return 0;
}
"""


def _illegal(build, bad: str, fence: bool = True):
    text = ILLEGAL.replace("BAD", bad).replace("FENCE", "gemmini_fence();" if fence else "")
    line = text.splitlines().index(f"    {bad};") + 1
    return build(text), line


@pytest.mark.parametrize("backend", BACKENDS)
def test_illegal_command_names_its_source_line(build, backend):
    binary, line = _illegal(build, "gemmini_extended_mvin(a, DIM, DIM, DIM + 1)")
    done = run_program(binary, backend)
    assert done.returncode == 2 and done.stdout == "before\n"
    cause = (r"rows: 5 exceeds DIM \(4\)" if backend == "golden"
             else r"BAD_SIZE: rejected by the hardware \(funct 2, cause BAD_SIZE\)")
    assert re.fullmatch(rf"gemmini-shim: error: prog\.c:{line}: command 2 \(mvin\): {cause}\n",
                        done.stderr)


def test_address_outside_registered_buffers(build):
    binary, line = _illegal(build, "gemmini_mvin(unregistered, DIM)")
    done = run_program(binary)
    assert done.returncode == 2 and done.stdout == "before\n"
    assert re.fullmatch(rf"gemmini-shim: error: prog\.c:{line}: command 2 \(mvin\): dram: DRAM "
                        rf"address 0x[0-9a-f]+ is not inside a registered buffer "
                        rf"\(gemmini_shim_buffer\)\n", done.stderr)


def test_commands_pending_at_exit_are_checked(build):
    binary, line = _illegal(build, "gemmini_extended_mvin(a, DIM, DIM, DIM + 1)", fence=False)
    done = run_program(binary)
    assert done.returncode == 2 and done.stdout == "before\nafter\n"
    assert done.stderr == (f"gemmini-shim: error: prog.c:{line}: command 2 (mvin): rows: 5 "
                           f"exceeds DIM (4)\n")


def test_releasing_an_unregistered_buffer(build):
    binary = build('#include "gemmini_shim.h"\nstatic elem_t a[DIM];\n'
                   "int main(void) { gemmini_shim_release(a); return 0; }\n")
    done = run_program(binary)
    assert done.returncode == 2
    assert re.fullmatch(r"gemmini-shim: error: gemmini_shim_release\(0x[0-9a-f]+\): not a "
                        r"registered buffer\n", done.stderr)


@pytest.mark.parametrize("env, message", [
    ({"GEMMINI_BACKEND": "nope"}, r"unknown backend 'nope' \(choose from golden, rtl\)"),
    ({"GEMMINI_CONFIG": "default"},
     r"GEMMINI_CONFIG=default \(config hash \w+\) is not the config the program was compiled "
     r"for \(gemmini_params\.h has hash \w+\)"),
    ({"GEMMINI_CONFIG": "/nonexistent/config.toml"},
     r"cannot read config file /nonexistent/config\.toml: No such file or directory"),
    ({"GEMMINI_PYTHON": "/nonexistent/python"},
     r"cannot start /nonexistent/python \(set GEMMINI_PYTHON to the Python that has "
     r"gemmini-gen\): No such file or directory"),
    ({"GEMMINI_SHIM_LOG": "/nonexistent/dir/log"},
     r"cannot open GEMMINI_SHIM_LOG=/nonexistent/dir/log: No such file or directory"),
])
def test_bad_environment_is_one_line(build, env, message):
    binary, _ = _illegal(build, "gemmini_fence()")
    done = run_program(binary, **env)
    assert done.returncode == 2 and done.stdout == "before\n"
    assert re.fullmatch(rf"gemmini-shim: error: {message}\n", done.stderr), done.stderr


def test_server_log_collects_the_server_output(build, tmp_path):
    """GEMMINI_SHIM_LOG receives what the server prints (here: nothing but an empty file)."""
    log = tmp_path / "shim.log"
    binary, _ = _illegal(build, "gemmini_fence()")
    done = run_program(binary, GEMMINI_SHIM_LOG=str(log), GEMMINI_SHIM_VERBOSE="1")
    assert done.returncode == 0 and log.exists()
    assert re.fullmatch(r"(gemmini-shim: batch \d+: \d+ commands on golden \(small\), "
                        r"\d+\.\d\d s\n){2}", done.stderr)
    assert log.read_text() == ""


LOOP_WS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "gemmini_shim.h"
#define N (2 * DIM)
int main(void) {
    elem_t *a = malloc(N * N), *b = malloc(N * N), *c = malloc(N * N);   /* on the heap */
    for (int e = 0; e < N * N; e++) {
        a[e] = (e * 7) % 23 - 11;
        b[e] = (e * 5) % 19 - 9;
    }
    gemmini_shim_buffer(a, N * N);
    gemmini_shim_buffer(b, N * N);
    gemmini_shim_buffer(c, N * N);
    gemmini_config_ex(WEIGHT_STATIONARY, NO_ACTIVATION, 0);
    gemmini_extended3_config_ld(N, MVIN_SCALE_IDENTITY, 0, 0);
    gemmini_extended3_config_ld(N, MVIN_SCALE_IDENTITY, 0, 1);
    gemmini_extended_config_st(N, RELU, 0.125);
    gemmini_loop_ws(2, 2, 2, 0, 0, 0, a, b, NULL, c, N, N, 0, N, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    gemmini_fence();
    int bad = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            acc_t sum = 0;
            for (int k = 0; k < N; k++)
                sum += a[i * N + k] * b[k * N + j];
            elem_t want = ACC_SCALE(sum, 0.125f);
            bad |= c[i * N + j] != (want < 0 ? 0 : want);
        }
    }
    gemmini_shim_release(a);
    gemmini_shim_release(b);
    gemmini_shim_release(c);
    free(a);
    free(b);
    free(c);
    printf("%s\n", bad ? "mismatch" : "loop_ws ok");
    return bad;
}
"""


def test_loop_ws_on_heap_buffers(build):
    """gemmini_loop_ws with malloc'd operands: its six commands and their addresses (golden; the
    RTL has no LOOP_WS unit)."""
    done = run_program(build(LOOP_WS))
    assert (done.returncode, done.stdout, done.stderr) == (0, "loop_ws ok\n", "")
