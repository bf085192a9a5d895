"""PRELOAD and COMPUTE_PRELOADED / COMPUTE_ACCUMULATED semantics (ISA.md sections 7.5, 7.6).

One compute is one int64 matmul of at most DIM x DIM x DIM on the logical (post-transpose, zero-
filled) operands, then a wrap to W_ACC and a masked write of the preload's C rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import arith
from ..isa import GARBAGE, IllegalInstruction

if TYPE_CHECKING:
    from .machine import GoldenMachine

__all__ = ["execute_compute", "execute_preload"]

OS, WS = 0, 1


def execute_preload(m: "GoldenMachine", index: int, inst) -> None:
    latch = m.state.latch
    latch.bd, latch.bd_rows, latch.bd_cols = inst.bd, inst.bd_rows, inst.bd_cols
    latch.c, latch.c_rows, latch.c_cols = inst.c, inst.c_rows, inst.c_cols
    m.preload_pending = True


def _sp_rows(m: "GoldenMachine", index: int, inst, field: str, start: int, count: int,
             stride: int = 1) -> np.ndarray:
    """Scratchpad rows start, start+stride, ... (count of them) as int64, range-checked."""
    if count == 0:
        return np.zeros((0, m.dim), dtype=np.int64)
    last = start + stride * (count - 1)
    if last >= m.sp_rows:
        m.fail(index, inst, field, f"reads scratchpad row {last}, outside 0..{m.sp_rows - 1}")
    m.stats.sp_rows_read += count
    if stride == 1:
        return m.state.sp[start:start + count].astype(np.int64)
    return m.state.sp[start + stride * np.arange(count)].astype(np.int64)


def _install(m: "GoldenMachine", index: int, inst, df: int) -> None:
    """COMPUTE_PRELOADED: load the PEs from the latched B (WS) or D (OS); GARBAGE -> zeros."""
    latch, ex = m.state.latch, m.state.ex
    pe = np.zeros((m.dim, m.dim), dtype=np.int64)
    rows, cols = latch.bd_rows, latch.bd_cols
    if latch.bd != GARBAGE and rows and cols:
        bd = latch.bd.row
        if df == WS and ex.b_transpose:
            pe[:rows, :cols] = _sp_rows(m, index, inst, "bd (preload)", bd, cols)[:, :rows].T
        else:
            pe[:rows, :cols] = _sp_rows(m, index, inst, "bd (preload)", bd, rows)[:, :cols]
    m.state.pe = pe
    m.weight_shape = (rows, cols) if latch.bd != GARBAGE else (0, 0)
    m.pe_undefined = False


def execute_compute(m: "GoldenMachine", index: int, inst, flip: bool) -> None:
    state = m.state
    ex, latch = state.ex, state.latch
    df = ex.dataflow
    if not m.preload_pending:
        m.fail(index, inst, "funct", "a COMPUTE must directly follow its PRELOAD among EX commands")
    m.preload_pending = False
    if not flip and m.after_config_ex:
        m.fail(index, inst, "funct", "the first compute after CONFIG_EX must be COMPUTE_PRELOADED")
    m.after_config_ex = False
    if df == OS and not flip and m.os_c_written_at is not None:
        earlier, name = m.os_c_written_at
        raise IllegalInstruction(earlier, "c", f"in OS only the last compute of a chain may "
                                 f"write C, but command {index} continues the chain", name)
    if not m.has_dataflow[df]:
        m.fail(index, inst, "funct", f"the {('OS', 'WS')[df]} dataflow is not available "
                                     f"(config dataflow {m.config.dataflow})")

    # A, logically a_rows x a_cols (stored transposed when a_transpose).
    a_rows, a_cols = inst.a_rows, inst.a_cols
    a_undefined = inst.a == GARBAGE and a_rows > 0 and a_cols > 0
    if inst.a == GARBAGE:
        a = np.zeros((a_rows, a_cols), dtype=np.int64)
    elif ex.a_transpose:
        a = _sp_rows(m, index, inst, "a", inst.a.row, a_cols, ex.a_stride)[:, :a_rows].T
    else:
        a = _sp_rows(m, index, inst, "a", inst.a.row, a_rows, ex.a_stride)[:, :a_cols]

    if flip:
        _install(m, index, inst, df)
    pe = state.pe
    x_rows, x_cols = (inst.bd_rows, inst.bd_cols) if inst.bd != GARBAGE else (0, 0)
    writes_c = latch.c != GARBAGE
    c_rows, c_cols = (latch.c_rows, latch.c_cols) if writes_c else (0, 0)

    if df == WS:                     # PEs hold B; the compute's BD operand is the D bias
        if not a_undefined:
            m.stats.macs_useful += a_rows * min(a_cols, m.weight_shape[0]) * m.weight_shape[1]
        if a_undefined and writes_c and c_rows and c_cols:
            m.fail(index, inst, "a", "C is written from a GARBAGE A (undefined values)")
        n = min(c_rows, a_rows)
        if n == c_rows and a_cols and c_cols:         # every C row has an A row: one matmul
            result = a[:n] @ pe[:a_cols, :c_cols]
        else:
            result = np.zeros((c_rows, c_cols), dtype=np.int64)
            if n and a_cols and c_cols:
                result[:n] = a[:n] @ pe[:a_cols, :c_cols]
        if x_rows and x_cols:
            d = _sp_rows(m, index, inst, "bd", inst.bd.row, x_rows)
            d = d[:c_rows, :min(c_cols, x_cols)]
            result[:d.shape[0], :d.shape[1]] += d
    else:                            # PEs hold running sums; the compute's BD operand is B
        if ex.b_transpose:
            b = _sp_rows(m, index, inst, "bd", inst.bd.row, x_cols)[:, :x_rows].T
        else:
            b = _sp_rows(m, index, inst, "bd", inst.bd.row, x_rows)[:, :x_cols]
        k = min(a_cols, x_rows)
        if a_rows and k and x_cols:
            pe[:a_rows, :x_cols] += a[:, :k] @ b[:k]
            state.pe = pe = arith.wrap(pe, m.acc_bits)
        m.pe_undefined |= a_undefined
        if not a_undefined:
            m.stats.macs_useful += a_rows * k * x_cols
        if m.pe_undefined and writes_c and c_rows and c_cols:
            m.fail(index, inst, "a", "C is written from sums that include a GARBAGE A "
                                     "(undefined values)")
        result = pe[:c_rows, :c_cols]
    m.stats.macs_array += m.dim ** 3
    if writes_c and c_rows and c_cols:
        _write_c(m, index, inst, result, df)
    m.os_c_written_at = (index, inst.name) if (df == OS and writes_c) else None


def _write_c(m: "GoldenMachine", index: int, inst, result: np.ndarray, df: int) -> None:
    """Write C: raw acc_t to the accumulator (add or overwrite), or shifted, saturated and
    activated elem_t to the scratchpad; rows c, c + c_stride, ..."""
    cfg, state = m.config, m.state
    c, stride = state.latch.c, state.ex.c_stride
    rows, cols = result.shape
    memory = state.acc if c.is_acc else state.sp
    last = c.row + stride * (rows - 1)
    if last >= memory.shape[0]:
        m.fail(index, inst, "c", f"C row {last} is outside the "
                                 f"{'accumulator' if c.is_acc else 'scratchpad'} "
                                 f"(0..{memory.shape[0] - 1})")
    if c.is_acc:
        values = result.astype(state.acc_dtype)          # wrap to W_ACC
        m.stats.acc_rows_written += rows
        add = c.accumulate
    else:
        shift = state.ex.in_shift if df == OS else 0
        values = arith.os_shift(arith.wrap(result, cfg.acc_bits), shift, cfg.input_bits)
        if state.ex.act == arith.ACT_RELU:
            values = np.maximum(values, 0)
        values = values.astype(state.elem_dtype)
        m.stats.sp_rows_written += rows
        m.note_sp_write(c.row, last + 1)
        add = False
    if stride == 0:                  # every row lands on the same local row, in order
        for row in values:
            if add:
                memory[c.row, :cols] += row
            else:
                memory[c.row, :cols] = row
        return
    target = memory[c.row:last + 1:stride, :cols]
    if add:
        target += values                                 # wraps in acc_t
    else:
        target[...] = values
