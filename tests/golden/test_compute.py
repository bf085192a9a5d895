"""PRELOAD / COMPUTE semantics (ISA.md 7.5, 7.6): both dataflows, preloaded vs accumulated, GARBAGE
per operand, transposes, strides, partial operands, saturation and wrap-around."""

import numpy as np
import pytest

from gemmini_gen.isa import (
    GARBAGE, IllegalInstruction, acc, compute_accumulated, compute_preloaded, config_ex, config_ld,
    mvin, preload, sp,
)

I8 = np.int8


def load(b, name, matrix, row, dtype=I8):
    """Commands putting `matrix` (at most DIM rows) into scratchpad rows row.. (DRAM stride = row)."""
    matrix = np.asarray(matrix, dtype=dtype)
    base = b.put(name, matrix)
    rows, cols = matrix.shape
    return [config_ld(cols * matrix.itemsize, block_stride=b.cfg.dim), mvin(base, sp(row), cols, rows)]


def ws_example(b, c_addr, act=1):
    return (load(b, "A", [[1, 2], [3, 4]], 0) + load(b, "B", [[5, 6], [7, 8]], 2)
            + load(b, "D", [[-100, 0], [0, 0]], 4)
            + [config_ex("WS", act=act), preload(sp(2), c_addr, 2, 2, 2, 2),
               compute_preloaded(sp(0), sp(4), 2, 2, 2, 2)])


def test_worked_ws_example_to_scratchpad(dim2, bench):
    b = bench(dim2)
    result = b.run(ws_example(b, sp(6)))
    assert np.array_equal(result.state.sp_rows(6, 2), [[0, 22], [43, 50]])


def test_ws_to_accumulator_is_raw_and_accumulates_or_overwrites(dim2, bench):
    b = bench(dim2)
    cmds = ws_example(b, acc(0))
    result = b.run(cmds)
    assert np.array_equal(result.state.acc_rows(0, 2), [[-81, 22], [43, 50]])   # no act, no sat
    again = cmds[-2:]
    result = b.run(cmds + [preload(sp(2), acc(0, accumulate=True), 2, 2, 2, 2), again[1]])
    assert np.array_equal(result.state.acc_rows(0, 2), [[-162, 44], [86, 100]])


def test_os_bias_preload_and_in_shift(dim2, bench):
    b = bench(dim2)
    cmds = (load(b, "A", [[1, 2], [3, 4]], 0) + load(b, "B", [[5, 6], [7, 8]], 2)
            + load(b, "D", [[1, 0], [0, -1]], 4)
            + [config_ex("OS", in_shift=2), preload(sp(4), sp(6), 2, 2, 2, 2),
               compute_preloaded(sp(0), sp(2), 2, 2, 2, 2)])
    result = b.run(cmds)
    # [[20, 22], [43, 49]] / 4 rounded half to even
    assert np.array_equal(result.state.sp_rows(6, 2), [[5, 6], [11, 12]])


def test_in_shift_does_not_apply_in_ws_or_to_the_accumulator(dim2, bench):
    b = bench(dim2)
    cmds = (load(b, "A", [[1, 2], [3, 4]], 0) + load(b, "B", [[5, 6], [7, 8]], 2)
            + [config_ex("WS", in_shift=3), preload(sp(2), sp(6), 2, 2, 2, 2),
               compute_preloaded(sp(0), GARBAGE, 2, 2, 2, 2),
               config_ex("OS", in_shift=3), preload(GARBAGE, acc(0), 2, 2, 2, 2),
               compute_preloaded(sp(0), sp(2), 2, 2, 2, 2)])
    result = b.run(cmds)
    assert np.array_equal(result.state.sp_rows(6, 2), [[19, 22], [43, 50]])
    assert np.array_equal(result.state.acc_rows(0, 2), [[19, 22], [43, 50]])


def test_os_accumulated_chain_writes_only_the_final_sum(dim4, bench):
    b = bench(dim4)
    rng = np.random.default_rng(1)
    a1, b1, a2, b2 = (rng.integers(-128, 128, (4, 4)) for _ in range(4))
    cmds = (load(b, "A1", a1, 0) + load(b, "B1", b1, 4) + load(b, "A2", a2, 8)
            + load(b, "B2", b2, 12)
            + [config_ex("OS"), preload(GARBAGE, GARBAGE, 4, 4, 4, 4),
               compute_preloaded(sp(0), sp(4), 4, 4, 4, 4),
               preload(GARBAGE, acc(0), 4, 4, 4, 4),
               compute_accumulated(sp(8), sp(12), 4, 4, 4, 4)])
    result = b.run(cmds)
    assert np.array_equal(result.state.acc_rows(0, 4), a1 @ b1 + a2 @ b2)


def test_ws_accumulated_reuses_weights_and_ignores_the_preloads_b(dim4, bench):
    b = bench(dim4)
    rng = np.random.default_rng(2)
    a1, a2, w, other = (rng.integers(-128, 128, (4, 4)) for _ in range(4))
    cmds = (load(b, "A1", a1, 0) + load(b, "A2", a2, 4) + load(b, "W", w, 8)
            + load(b, "X", other, 12)
            + [config_ex("WS"), preload(sp(8), acc(0), 4, 4, 4, 4),
               compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4),
               preload(sp(12), acc(4), 4, 4, 4, 4),
               compute_accumulated(sp(4), GARBAGE, 4, 4, 4, 4)])
    result = b.run(cmds)
    assert np.array_equal(result.state.acc_rows(0, 4), a1 @ w)
    assert np.array_equal(result.state.acc_rows(4, 4), a2 @ w)
    assert result.stats.macs_useful == 2 * 64 and result.stats.macs_array == 2 * 64


def test_garbage_operands(dim4, bench):
    b = bench(dim4)
    rng = np.random.default_rng(3)
    a, d = rng.integers(-128, 128, (4, 4)), rng.integers(-128, 128, (4, 4))
    cmds = (load(b, "A", a, 0) + load(b, "D", d, 4)
            + [config_ex("WS"),
               preload(GARBAGE, acc(0), 4, 4, 4, 4),                   # B GARBAGE: zero weights
               compute_preloaded(sp(0), sp(4), 4, 4, 4, 4),
               preload(GARBAGE, acc(4), 4, 4, 4, 4),                   # D GARBAGE: zero bias
               compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4),
               preload(sp(4), GARBAGE, 4, 4, 4, 4),                    # C GARBAGE: no write
               compute_preloaded(GARBAGE, GARBAGE, 4, 4, 4, 4)])       # A GARBAGE, nothing written
    result = b.run(cmds)
    assert np.array_equal(result.state.acc_rows(0, 4), d)
    assert not result.state.acc_rows(4, 4).any()
    assert np.array_equal(result.state.pe, d)                          # weights from the last preload
    with pytest.raises(IllegalInstruction) as err:
        b.run(cmds[:-2] + [preload(sp(4), acc(8), 4, 4, 4, 4),
                           compute_preloaded(GARBAGE, GARBAGE, 4, 4, 4, 4)])
    assert err.value.index == len(cmds) - 1 and err.value.field == "a"


@pytest.mark.parametrize("df,a_t,b_t", [("WS", 0, 1), ("WS", 1, 0), ("OS", 1, 0), ("OS", 1, 1)])
def test_transposed_operands(dim4, bench, df, a_t, b_t):
    b = bench(dim4)
    rng = np.random.default_rng(4)
    a, w = rng.integers(-128, 128, (4, 3)), rng.integers(-128, 128, (3, 4))
    stored_a, stored_b = (a.T if a_t else a), (w.T if b_t else w)
    cmds = load(b, "A", stored_a, 0) + load(b, "B", stored_b, 4)
    cmds.append(config_ex(df, a_transpose=bool(a_t), b_transpose=bool(b_t)))
    if df == "WS":
        cmds += [preload(sp(4), acc(0), 4, 3, 4, 4), compute_preloaded(sp(0), GARBAGE, 3, 4, 4, 4)]
    else:
        cmds += [preload(GARBAGE, acc(0), 4, 4, 4, 4), compute_preloaded(sp(0), sp(4), 3, 4, 4, 3)]
    result = b.run(cmds)
    assert np.array_equal(result.state.acc_rows(0, 4), a @ w)


def test_a_stride_c_stride_and_partial_c(dim4, bench):
    b = bench(dim4)
    rng = np.random.default_rng(5)
    a, w = rng.integers(-128, 128, (4, 4)), rng.integers(-128, 128, (4, 4))
    spread = np.zeros((8, 4), dtype=np.int64)
    spread[::2] = a
    cmds = (load(b, "A0", spread[:4], 0) + load(b, "A1", spread[4:], 4) + load(b, "W", w, 8)
            + [config_ex("WS", a_stride=2, c_stride=3), preload(sp(8), acc(0), 4, 4, 3, 2),
               compute_preloaded(sp(0), GARBAGE, 4, 4, 4, 4)])
    result = b.run(cmds)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[[0, 3], :3] = (a @ w)[:2, :3]
    assert np.array_equal(result.state.acc_rows(0, 4), expected)


def test_operand_rows_and_cols_zero_fill(dim4, bench):
    b = bench(dim4)
    rng = np.random.default_rng(6)
    a, w, d = (rng.integers(-128, 128, (4, 4)) for _ in range(3))
    cmds = (load(b, "A", a, 0) + load(b, "W", w, 4) + load(b, "D", d, 8)
            + [config_ex("WS"), preload(sp(4), acc(0), 2, 3, 4, 4),       # weights 3 x 2
               compute_preloaded(sp(0), sp(8), 3, 2, 1, 4)])             # A 2 x 3, D 4 x 1
    result = b.run(cmds)
    am, wm, dm = np.zeros_like(a), np.zeros_like(w), np.zeros_like(d)
    am[:2, :3], wm[:3, :2], dm[:4, :1] = a[:2, :3], w[:3, :2], d[:4, :1]
    assert np.array_equal(result.state.acc_rows(0, 4), am @ wm + dm)
    assert result.stats.macs_useful == 2 * 3 * 2


def test_scratchpad_results_saturate_then_relu(dim2, bench):
    b = bench(dim2)
    cmds = (load(b, "A", [[127, 127], [-128, 1]], 0) + load(b, "B", [[127, -1], [127, -1]], 2)
            + [config_ex("WS", act=1), preload(sp(2), sp(4), 2, 2, 2, 2),
               compute_preloaded(sp(0), GARBAGE, 2, 2, 2, 2),
               config_ex("WS", act=0), preload(sp(2), sp(6), 2, 2, 2, 2),
               compute_preloaded(sp(0), GARBAGE, 2, 2, 2, 2)])
    result = b.run(cmds)
    assert np.array_equal(result.state.sp_rows(4, 2), [[127, 0], [0, 127]])
    assert np.array_equal(result.state.sp_rows(6, 2), [[127, -128], [-128, 127]])


def test_accumulation_wraps_modulo_2_to_the_acc_width(dim2, bench):
    cfg = dim2.replace(input_dtype="int32", sp_capacity_kib=4, acc_capacity_kib=1)
    b = bench(cfg)
    big = 1 << 30
    cmds = (load(b, "A", [[big, big], [1, 0]], 0, np.int32) + load(b, "B", [[2, 0], [2, 0]], 2, np.int32)
            + [config_ex("WS"), preload(sp(2), acc(0), 2, 2, 2, 2),
               compute_preloaded(sp(0), GARBAGE, 2, 2, 2, 2)])
    result = b.run(cmds)
    assert np.array_equal(result.state.acc_rows(0, 2), [[0, 0], [2, 0]])      # 2**32 wraps to 0
