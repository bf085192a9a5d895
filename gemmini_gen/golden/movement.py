"""MVIN / MVIN2 / MVIN3 and MVOUT (plain and pooled) semantics (ISA.md sections 7.3, 7.4).

Each function executes one decoded command on a `GoldenMachine` with whole-block numpy operations:
one DRAM read or write per command, one slice assignment per DIM-column block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import arith

if TYPE_CHECKING:
    from .machine import GoldenMachine

__all__ = ["acc_to_elem", "execute_mvin", "execute_mvout"]


def _scaled(m: "GoldenMachine", index: int, inst, values: np.ndarray, scale: float) -> np.ndarray:
    """R2 with the model's error reporting (a product beyond 2**63 is undefined)."""
    try:
        return arith.scale_to_int(values, scale, m.config.input_bits)
    except ValueError as e:
        m.fail(index, inst, "scale", str(e))


def acc_to_elem(m: "GoldenMachine", index: int, inst, values: np.ndarray) -> np.ndarray:
    """`act(ACC_SCALE(v, acc_scale), acc_act)` (section 7.4): fp32 scale with RNE, saturation to the
    element width, then RELU."""
    cfg, st = m.config, m.state.st
    if cfg.acc_scale == "none" or (st.scale == 1.0 and cfg.input_bits <= 16):
        out = arith.sat(values, cfg.input_bits)   # exact: ints below 2**24 survive fp32 unchanged
    else:
        out = _scaled(m, index, inst, values, st.scale)
    return np.maximum(out, 0) if st.act == arith.ACT_RELU else out


def _le(dtype) -> np.dtype:
    return np.dtype(dtype).newbyteorder("<")


def execute_mvin(m: "GoldenMachine", index: int, inst, state_id: int) -> None:
    cfg, state = m.config, m.state
    ld = state.ld[state_id]
    local, rows, cols = inst.local, inst.rows, inst.cols
    to_acc = local.is_acc
    elem_path = not to_acc or ld.shrunk
    dim = cfg.dim
    max_blocks = cfg.max_block_len if elem_path else cfg.max_block_len_acc
    if cols > dim * max_blocks:
        m.fail(index, inst, "cols", f"{cols} columns exceed DIM*MAX_BLOCK_LEN"
                                    f"{'' if elem_path else '_ACC'} ({dim * max_blocks})")
    if ld.block_stride < rows:
        m.fail(index, inst, "rows", f"{rows} rows exceed the block stride of load state "
                                    f"{state_id} ({ld.block_stride})")
    repeats = ld.pixel_repeats
    if repeats > 1:
        if to_acc:
            m.fail(index, inst, "local", "pixel repeats need a scratchpad destination")
        if cols * repeats > dim:
            m.fail(index, inst, "cols",
                   f"cols*pixel_repeats = {cols * repeats} exceeds DIM ({dim})")
    blocks = -(-cols // dim)
    memory = state.acc if to_acc else state.sp
    base = local.row
    last = base + (blocks - 1) * ld.block_stride + rows - 1
    if last >= memory.shape[0]:
        m.fail(index, inst, "local", f"row {last} is outside the "
                                     f"{'accumulator' if to_acc else 'scratchpad'} "
                                     f"(0..{memory.shape[0] - 1})")
    lowest = max(0, base - repeats + 1)      # pixel repeats write up to repeats-1 rows lower
    if m.pending_preload_overlaps(to_acc, lowest, last + 1):
        m.fail(index, inst, "local", "writes rows named by the pending PRELOAD")

    dtype = state.elem_dtype if elem_path else state.acc_dtype
    esz = np.dtype(dtype).itemsize
    if inst.dram == 0:
        values = np.zeros((rows, cols), dtype=dtype)
    else:
        raw = m.dram_read(index, inst, inst.dram, rows, ld.stride, cols * esz)
        values = np.ascontiguousarray(raw).view(_le(dtype)).astype(dtype, copy=False)
        identity = ld.scale == 1.0 and cfg.input_bits <= 16   # exact in fp32: nothing changes
        if elem_path and cfg.mvin_scale == "fp32" and not identity:
            values = _scaled(m, index, inst, values, ld.scale).astype(dtype)

    if to_acc:
        values = values.astype(state.acc_dtype, copy=False)
        for blk in range(blocks):
            c0 = blk * dim
            width = min(dim, cols - c0)
            r0 = base + blk * ld.block_stride
            if local.accumulate:
                memory[r0:r0 + rows, :width] += values[:, c0:c0 + width]   # wraps in acc_t
            else:
                memory[r0:r0 + rows, :width] = values[:, c0:c0 + width]
        m.stats.acc_rows_written += rows * blocks
        return
    for blk in range(blocks):
        c0 = blk * dim
        width = min(dim, cols - c0)
        r0 = base + blk * ld.block_stride
        for p in range(repeats):             # copy p goes p rows up and p*cols columns right
            first = max(0, p - r0)           # never below row 0
            if first < rows:
                memory[r0 + first - p:r0 + rows - p, p * cols:p * cols + width] = \
                    values[first:, c0:c0 + width]
                m.stats.sp_rows_written += rows - first
    m.note_sp_write(lowest, last + 1)


def execute_mvout(m: "GoldenMachine", index: int, inst) -> None:
    if m.state.st.pool_stride:
        _pooled_mvout(m, index, inst)
        return
    cfg, state = m.config, m.state
    local, rows, cols = inst.local, inst.rows, inst.cols
    dim = cfg.dim
    if not 1 <= rows <= dim:
        m.fail(index, inst, "rows", f"{rows} rows must be in 1..DIM ({dim})")
    from_acc = local.is_acc
    memory = state.acc if from_acc else state.sp
    blocks = -(-cols // dim)
    base = local.row
    last = base + (blocks - 1) * dim + rows - 1
    if last >= memory.shape[0]:
        m.fail(index, inst, "local", f"row {last} is outside the "
                                     f"{'accumulator' if from_acc else 'scratchpad'} "
                                     f"(0..{memory.shape[0] - 1})")
    if blocks == 1:
        values = memory[base:base + rows, :cols]
    else:                                     # block b comes from rows base + b*DIM ..
        values = np.concatenate([memory[base + b * dim:base + b * dim + rows, :cols - b * dim]
                                 for b in range(blocks)], axis=1)
    if from_acc and local.read_full:
        out = values.astype(_le(state.acc_dtype))
        m.stats.acc_rows_read += rows * blocks
    elif from_acc:
        out = acc_to_elem(m, index, inst, values).astype(_le(state.elem_dtype))
        m.stats.acc_rows_read += rows * blocks
    else:
        out = values.astype(_le(state.elem_dtype))
        m.stats.sp_rows_read += rows * blocks
    m.dram_write(index, inst, inst.dram, out.view(np.uint8).reshape(rows, -1), state.st.stride)


def _pooled_mvout(m: "GoldenMachine", index: int, inst) -> None:
    """Max pooling on the way out (rows field ignored, cols = channels, output always elem_t)."""
    cfg, state = m.config, m.state
    st = state.st
    local, channels = inst.local, inst.cols
    if channels > cfg.dim:
        m.fail(index, inst, "cols", f"{channels} channels exceed DIM ({cfg.dim}) in a pooled mvout")
    from_acc = local.is_acc
    memory = state.acc if from_acc else state.sp
    pixels = st.orows * st.ocols
    if local.row + pixels > memory.shape[0]:
        m.fail(index, inst, "local", f"the {st.orows}x{st.ocols} image at row {local.row} "
                                     f"runs past the end of the "
                                     f"{'accumulator' if from_acc else 'scratchpad'}")
    image = memory[local.row:local.row + pixels, :channels]
    image = acc_to_elem(m, index, inst, image) if from_acc else image.astype(np.int64)
    if from_acc:
        m.stats.acc_rows_read += pixels
    else:
        m.stats.sp_rows_read += pixels
    if st.porows == 0 or st.pocols == 0:
        return
    stride, size = st.pool_stride, st.pool_size
    height = max((st.porows - 1) * stride + size, st.upad + st.orows)
    width = max((st.pocols - 1) * stride + size, st.lpad + st.ocols)
    padded = np.zeros((height, width, channels), dtype=np.int64)   # padding counts as 0
    padded[st.upad:st.upad + st.orows, st.lpad:st.lpad + st.ocols] = \
        image.reshape(st.orows, st.ocols, channels)
    pooled = np.full((st.porows, st.pocols, channels), cfg.elem_min, dtype=np.int64)
    for wr in range(size):
        for wc in range(size):
            window = padded[wr:wr + (st.porows - 1) * stride + 1:stride,
                            wc:wc + (st.pocols - 1) * stride + 1:stride]
            np.maximum(pooled, window, out=pooled)
    out = pooled.astype(_le(state.elem_dtype)).view(np.uint8).reshape(st.porows * st.pocols, -1)
    pixel = np.arange(st.porows)[:, None] * st.pool_out_dim + np.arange(st.pocols)[None, :]
    m.dram_scatter(index, inst, inst.dram, pixel.reshape(-1).astype(np.int64) * st.stride, out)
