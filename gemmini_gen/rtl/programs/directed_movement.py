"""Directed data-movement programs, after Gemmini's bare-metal tests (`mvin_mvout*.c`, `padded.c`,
`matrix_add.c`, `tiled_resadd`, pooling, pixel repeats, counters, fences).

Each function takes `(cfg, seed)` and returns a `ProgramCase` (read-back appended), or None when the
config lacks the feature.  Sizes derive from the config, so every program runs on any DIM.
"""

from __future__ import annotations

import numpy as np

from ... import arith
from ...config import GemminiConfig
from ...isa import (acc, config_ld, config_st, counter_configure, counter_read, counter_reset,
                    counter_snapshot_reset, counter_snapshot_take, encode, fence, flush, mvin,
                    mvin2, mvin3, mvout, sp)
from .case import CaseBuilder, ProgramCase

__all__ = ["MOVEMENT_PROGRAMS"]


def _elems(b: CaseBuilder, shape) -> np.ndarray:
    """Random input-type elements covering the whole range (extremes included)."""
    bits = b.cfg.input_bits
    return b.rng.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1, shape,
                          dtype=np.dtype(f"int{bits}"), endpoint=True)


def _accs(b: CaseBuilder, shape, bits: int = 20) -> np.ndarray:
    """Random accumulator-type values of about `bits` bits."""
    return b.rng.integers(-(1 << bits), 1 << bits, shape).astype(f"int{b.cfg.acc_bits}")


def mvin_mvout(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """DIM x DIM tiles through the scratchpad, one per bank, and back to DRAM."""
    b, d, es = CaseBuilder(cfg, "mvin_mvout", seed), cfg.dim, cfg.input_bytes
    tiles = min(cfg.sp_banks, 4) * 2
    src = b.data("A", _elems(b, (tiles * d, d)))
    out = b.space("C", tiles * d * d * es)
    b.add(config_ld(d * es, block_stride=d), config_st(d * es))
    rows = [(t % cfg.sp_banks) * cfg.sp_bank_rows + (t // cfg.sp_banks) * d for t in range(tiles)]
    b.add(mvin(src + t * d * d * es, sp(r), d, d) for t, r in enumerate(rows))
    b.add(mvout(out + t * d * d * es, sp(r), d, d) for t, r in enumerate(rows))
    b.expect("C", b.memory.read_array("A", (tiles * d, d), f"int{cfg.input_bits}"))
    return b.case()


def _partial(d: int, i: int) -> tuple[int, int]:
    """Rows and columns of the i-th partial tile: a little smaller each time, at least 1."""
    return max(1, d - i), max(1, d - 1 - i)


def mvin_mvout_stride(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """Unaligned DRAM addresses and strides, partial rows and columns, every load state."""
    b, d, es = CaseBuilder(cfg, "mvin_mvout_stride", seed), cfg.dim, cfg.input_bytes
    width = d * cfg.max_block_len + 7
    src = b.data("A", _elems(b, (3 * d, width)))
    out = b.space("C", 3 * d * (width + 5) * es + 64, fill=0xA5)
    for state, encode_mvin in enumerate((mvin, mvin2, mvin3)):
        b.add(config_ld(width * es, block_stride=d, id=state))
        rows, cols = _partial(d, state)
        b.add(encode_mvin(src + 3 + state * d * width * es, sp(state * 2 * d), cols, rows))
    b.add(config_st((width + 5) * es))
    for state in range(3):
        rows, cols = _partial(d, state)
        b.add(mvout(out + 1 + state * d * (width + 5) * es, sp(state * 2 * d), cols, rows))
    return b.case()


def mvin_mvout_block_stride(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """Multi-block MVINs with block strides DIM, above DIM and equal to the rows; multi-block
    MVOUTs (block stride DIM)."""
    b, d, es, blocks = CaseBuilder(cfg, "mvin_mvout_block_stride", seed), cfg.dim, \
        cfg.input_bytes, cfg.max_block_len
    cols = d * blocks
    src = b.data("A", _elems(b, (d, cols)))
    out = b.space("C", 3 * d * cols * es)
    base = 0
    for i, (stride, rows) in enumerate(((d, d), (d + 3, d), (d // 2, d // 2))):
        b.add(config_ld(cols * es, block_stride=stride), mvin(src, sp(base), cols - i, rows))
        base += stride * blocks + d
    b.add(config_ld(cols * es, block_stride=d), mvin(src, sp(base), cols, d),
          config_st(cols * es), mvout(out, sp(base), cols, d),
          mvout(out + d * cols * es, sp(base), cols - 1, d - 1))
    return b.case()


def mvin_mvout_zeros(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """Zero fill (DRAM address 0) over data, partial overwrites, DRAM stride 0 (one row
    repeated)."""
    b, d, es = CaseBuilder(cfg, "mvin_mvout_zeros", seed), cfg.dim, cfg.input_bytes
    src = b.data("A", _elems(b, (d, d)))
    b.add(config_ld(d * es, block_stride=d), mvin(src, sp(0), d, d), mvin(src, sp(d), d, d),
          mvin(0, sp(0), d // 2, d // 2),                      # zero a corner
          mvin(0, sp(d + 1), d, 1),                            # zero one row
          config_ld(0, block_stride=d, id=1), mvin2(src + es, sp(2 * d), d - 1, d),
          mvin(0, acc(0), d, d), mvin(0, acc(d, accumulate=True), d, d))
    return b.case()


def mvin_mvout_acc(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """Accumulator loads of acc_t data (overwrite, accumulate with wrap-around), stride-0 bias rows,
    full-width and scaled+RELU MVOUTs."""
    b, d, as_ = CaseBuilder(cfg, "mvin_mvout_acc", seed), cfg.dim, cfg.acc_bytes
    big = _accs(b, (d, d), cfg.acc_bits - 2)
    big[0, :2] = [cfg.acc_max, cfg.acc_min]                    # wraps when accumulated
    src = b.data("D", big)
    small = b.data("S", _accs(b, (d, d), 12))
    out = b.space("C", 4 * d * d * as_)
    b.add(config_ld(d * as_, block_stride=d), mvin(src, acc(0), d, d),
          mvin(src, acc(0, accumulate=True), d, d), mvin(small, acc(d), d, d),
          mvin(small, acc(d, accumulate=True), max(1, d - 3), d - 1),
          config_ld(0, block_stride=d, id=2), mvin3(small + as_, acc(2 * d), d, d))
    if cfg.acc_read_full_width:
        b.add(config_st(d * as_), mvout(out, acc(0, read_full=True), d, d))
    if cfg.acc_read_small_width:
        b.add(config_st(d * cfg.input_bytes, act=1, scale=0.125),
              mvout(out + d * d * as_, acc(d), d, d), mvout(out + 2 * d * d * as_, acc(0), d, d))
    return b.case()


def mvin_scale(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """MVIN_SCALE on the elem path (positive, negative, fractional scales: RNE, saturation) and
    shrunk accumulator loads (scaled, sign-extended)."""
    b, d, es = CaseBuilder(cfg, "mvin_scale", seed), cfg.dim, cfg.input_bytes
    src = b.data("A", _elems(b, (d, d)))
    for i, scale in enumerate((0.5, -1.0, 2.5, 1.0 / 3)):
        b.add(config_ld(d * es, scale, block_stride=d, id=i % 3),
              (mvin, mvin2, mvin3)[i % 3](src, sp(i * d), d, d))
    b.add(config_ld(d * es, 0.75, shrunk=True, block_stride=d, id=0), mvin(src, acc(0), d, d),
          mvin(src, acc(0, accumulate=True), d, d))
    return b.case()


def matrix_add(cfg: GemminiConfig, seed: int) -> ProgramCase | None:
    """C = A + B through the accumulator (overwrite then accumulate), scaled out with RELU."""
    if not cfg.acc_read_small_width:
        return None
    b, d, as_ = CaseBuilder(cfg, "matrix_add", seed), cfg.dim, cfg.acc_bytes
    a, bb = b.data("A", _accs(b, (2 * d, d), 9)), b.data("B", _accs(b, (2 * d, d), 9))
    out = b.space("C", 2 * d * d * cfg.input_bytes)
    b.add(config_ld(d * as_, block_stride=d), config_ld(d * as_, block_stride=d, id=1),
          config_st(d * cfg.input_bytes, act=1, scale=0.5))
    for t in range(2):
        b.add(mvin(a + t * d * d * as_, acc(t * d), d, d),
              mvin2(bb + t * d * d * as_, acc(t * d, accumulate=True), d, d),
              mvout(out + t * d * d * cfg.input_bytes, acc(t * d), d, d))
    total = b.memory.read_array("A", (2 * d, d), f"int{cfg.acc_bits}").astype(np.int64) \
        + b.memory.read_array("B", (2 * d, d), f"int{cfg.acc_bits}")
    b.expect("C", np.maximum(arith.scale_to_int(total, 0.5, cfg.input_bits), 0)
             .astype(f"int{cfg.input_bits}"))
    return b.case()


def resadd(cfg: GemminiConfig, seed: int) -> ProgramCase | None:
    """Residual add as `tiled_resadd` does it: two shrunk, scaled MVINs (overwrite + accumulate) of
    elem data into the accumulator, then a scaled RELU MVOUT; several blocks per MVIN."""
    if not cfg.acc_read_small_width:
        return None
    b, d, es = CaseBuilder(cfg, "resadd", seed), cfg.dim, cfg.input_bytes
    cols = d * min(cfg.max_block_len, 2)
    a, c = b.data("A", _elems(b, (d, cols))), b.data("B", _elems(b, (d, cols)))
    out = b.space("C", d * cols * es)
    b.add(config_ld(cols * es, 0.5, shrunk=True, block_stride=d),
          config_ld(cols * es, 2.0, shrunk=True, block_stride=d, id=1),
          config_st(cols * es, act=1, scale=0.75),
          mvin(a, acc(0), cols, d), mvin2(c, acc(0, accumulate=True), cols, d),
          mvout(out, acc(0), cols, d))
    dtype = f"int{cfg.input_bits}"
    total = arith.scale_to_int(b.memory.read_array("A", (d, cols), dtype), 0.5, cfg.input_bits) \
        + arith.scale_to_int(b.memory.read_array("B", (d, cols), dtype), 2.0, cfg.input_bits)
    b.expect("C", np.maximum(arith.scale_to_int(total, 0.75, cfg.input_bits), 0).astype(dtype))
    return b.case()


def max_pool(cfg: GemminiConfig, seed: int) -> ProgramCase | None:
    """Pooled MVOUTs (3x3 window, stride 2, padding 1) from the accumulator and the scratchpad."""
    if not cfg.has_max_pool:
        return None
    b, d, es, as_ = CaseBuilder(cfg, "max_pool", seed), cfg.dim, cfg.input_bytes, cfg.acc_bytes
    side = 5
    pixels = side * side
    img = b.data("X", _accs(b, (pixels, d), 10))
    img8 = b.data("Y", _elems(b, (pixels, d)))
    out = b.space("C", 2 * 3 * 3 * (d * es + 2))
    b.add(config_ld(d * as_, block_stride=d), config_ld(d * es, block_stride=d, id=1))
    for r in range(0, pixels, d):
        rows = min(d, pixels - r)
        b.add(mvin(img + r * d * as_, acc(r), d, rows), mvin2(img8 + r * d * es, sp(r), d, rows))
    b.add(config_st(d * es + 2, act=1, scale=0.25, pool_stride=2, pool_size=3, pool_out_dim=3,
                    porows=3, pocols=3, orows=side, ocols=side, upad=1, lpad=1),
          mvout(out, acc(0), d, 0),
          config_st(d * es + 2, pool_stride=2, pool_size=3, pool_out_dim=3, porows=3, pocols=3,
                    orows=side, ocols=side, upad=1, lpad=1),
          mvout(out + 9 * (d * es + 2), sp(0), d - 1, 0))
    return b.case()


def pixel_repeats(cfg: GemminiConfig, seed: int) -> ProgramCase | None:
    """First-layer pixel repeats: each copy one row up and `cols` columns right, floored at
    row 0."""
    if not cfg.has_first_layer_optimizations or cfg.dim < 4:
        return None
    b, d, es = CaseBuilder(cfg, "pixel_repeats", seed), cfg.dim, cfg.input_bytes
    src = b.data("A", _elems(b, (d, d)))
    cols = d // 4
    b.add(config_ld(cols * es, block_stride=d, pixel_repeats=3), mvin(src, sp(1), cols, d),
          config_ld(d * es, block_stride=d, pixel_repeats=d // 2), mvin(src, sp(2 * d), 2, d - 2))
    return b.case()


def counters(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """The COUNTER interface (ISA.md section 7.8 order: reset, snapshot reset, take snapshot,
    configure, then read): disabled counters read 0, a reset zeroes the values the same command
    reads or snapshots, a snapshot freezes them.  Values of counting counters are compared by
    count only (the golden model counts commands, the hardware cycles)."""
    b, d, es = CaseBuilder(cfg, "counters", seed), cfg.dim, cfg.input_bytes
    src = b.data("A", _elems(b, (d, d)))
    b.counter(encode("counter", reset=1, snapshot_reset=1), True)
    b.counter(counter_configure(0, 9), True)                 # load active, from 0
    b.counter(counter_configure(1, 0), True)                 # disabled: stays 0
    b.counter(encode("counter", configure=1, index=2), True)
    b.add(config_ld(d * es, block_stride=d), mvin(src, sp(0), d, d), fence())
    b.counter(counter_read(0), False)
    b.counter(counter_read(1), True)
    b.counter(encode("counter", reset=1, take_snapshot=1, index=0), True)   # snapshot of zeros
    b.add(mvin(src, sp(d), d, d), fence())
    b.counter(counter_read(0), True)                         # still the snapshot
    b.counter(counter_snapshot_reset(), False)               # live value again
    b.counter(counter_reset(), True)                         # read after this command's reset
    b.counter(counter_snapshot_take(), False)
    b.counter(encode("counter", configure=1, index=2, event=5, external=1), True)
    b.counter(counter_read(2), True)                         # counter 2 was disabled: snapshot 0
    b.counter(counter_read(1), True)
    return b.case()


def fence_roundtrip(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """MVOUT, FENCE, then a MVIN of the bytes just written (ISA.md section 2 fence guarantees);
    FLUSH commands with their ignored fields set."""
    b, d, es = CaseBuilder(cfg, "fence_roundtrip", seed), cfg.dim, cfg.input_bytes
    src = b.data("A", _elems(b, (d, d)))
    mid = b.space("M", d * d * es)
    b.add(config_ld(d * es, block_stride=d), config_st(d * es), mvin(src, sp(0), d, d),
          mvout(mid, sp(0), d, d), flush(1), fence(), mvin(mid + 1, sp(d), d - 1, d),
          encode("flush", ignored=0xDEAD_BEEF), fence())
    return b.case()


MOVEMENT_PROGRAMS = {f.__name__: f for f in (
    mvin_mvout, mvin_mvout_stride, mvin_mvout_block_stride, mvin_mvout_zeros, mvin_mvout_acc,
    mvin_scale, matrix_add, resadd, max_pool, pixel_repeats, counters, fence_roundtrip)}
