"""Directed compute programs, after Gemmini's bare-metal tests (`matmul_os.c`, `matmul_ws.c`,
`raw_hazard.c`, the transpose tests, `tiled_matmul_*`).

Each function takes `(cfg, seed)` and returns a `ProgramCase` with read-back appended, or None when
the config lacks the dataflow.  Where the result has a simple closed form the case also carries a
numpy reference (`case.expected`), which validates the program itself on the golden model.
"""

from __future__ import annotations

import numpy as np

from ... import arith
from ...config import GemminiConfig
from ...isa import (GARBAGE, acc, compute_accumulated, compute_preloaded, config_ex, config_ld,
                    config_st, mvin, mvin2, mvin3, mvout, preload, sp)
from .case import CaseBuilder, ProgramCase

__all__ = ["COMPUTE_PROGRAMS", "tiled_matmul"]

OS, WS = 0, 1


def _elems(b: CaseBuilder, shape, bits: int | None = None) -> np.ndarray:
    """Random input-type elements (of about `bits` bits when given, else the full range)."""
    width = b.cfg.input_bits
    lim = 1 << ((bits or width) - 1)
    return b.rng.integers(-lim, lim, shape).astype(f"int{width}")


def _load_tiles(b: CaseBuilder, name: str, matrix: np.ndarray, first_row: int, state: int = 0):
    """Put `matrix` (rows x DIM at most per tile, tiles stacked) in DRAM and MVIN it, DIM rows per
    MVIN, to scratchpad rows first_row.. (load state `state`, configured here)."""
    d, es = b.cfg.dim, b.cfg.input_bytes
    base = b.data(name, matrix)
    rows, cols = matrix.shape
    b.add(config_ld(cols * es, block_stride=d, id=state))
    for r in range(0, rows, d):
        b.add((mvin, mvin2, mvin3)[state](base + r * cols * es, sp(first_row + r), cols,
                                          min(d, rows - r)))


def matmul_os(cfg: GemminiConfig, seed: int) -> ProgramCase | None:
    """Output stationary: chains over K with C only on the last compute; bias D preloaded; C to the
    scratchpad (in_shift rounding, saturation, RELU) and to the accumulator (raw)."""
    if not cfg.has_os:
        return None
    b, d = CaseBuilder(cfg, "matmul_os", seed), cfg.dim
    k_tiles = 3
    a, bm, bias = _elems(b, (d, k_tiles * d)), _elems(b, (k_tiles * d, d)), _elems(b, (d, d))
    _load_tiles(b, "A", np.ascontiguousarray(a.reshape(d, k_tiles, d).transpose(1, 0, 2)
                                             .reshape(k_tiles * d, d)), 0)
    _load_tiles(b, "B", bm, k_tiles * d, state=1)
    _load_tiles(b, "D", bias, 2 * k_tiles * d, state=2)
    out = b.space("C", d * d * cfg.input_bytes)
    shift = 5
    for c in (sp(3 * k_tiles * d), acc(0)):
        b.add(config_ex("OS", act=1, in_shift=shift))
        for k in range(k_tiles):
            target = c if k == k_tiles - 1 else GARBAGE
            if k == 0:
                b.add(preload(sp(2 * k_tiles * d), target, d, d, d, d),
                      compute_preloaded(sp(0), sp(k_tiles * d), d, d, d, d))
            else:
                b.add(preload(GARBAGE, target, d, d, d, d),
                      compute_accumulated(sp(k * d), sp((k_tiles + k) * d), d, d, d, d))
    b.add(config_st(d * cfg.input_bytes), mvout(out, sp(3 * k_tiles * d), d, d))
    full = a.astype(np.int64) @ bm + bias
    sums = arith.wrap(full, cfg.acc_bits)
    b.expect("C", np.maximum(arith.os_shift(sums, shift, cfg.input_bits), 0)
             .astype(f"int{cfg.input_bits}"))
    return b.case()


def matmul_ws(cfg: GemminiConfig, seed: int) -> ProgramCase | None:
    """Weight stationary: weights preloaded once, several A blocks through them
    (COMPUTE_ACCUMULATED), a bias D per compute, C accumulated in the accumulator over K and also
    written (saturated, RELU) to the scratchpad."""
    if not cfg.has_ws:
        return None
    b, d = CaseBuilder(cfg, "matmul_ws", seed), cfg.dim
    i_tiles, k_tiles = 2, 2
    a = _elems(b, (i_tiles * d, k_tiles * d))
    w = _elems(b, (k_tiles * d, d))
    bias = _elems(b, (i_tiles * d, d), bits=6)
    a_tiles = a.reshape(i_tiles, d, k_tiles, d).transpose(2, 0, 1, 3).reshape(-1, d)  # (k, i)
    _load_tiles(b, "A", np.ascontiguousarray(a_tiles), 0)
    _load_tiles(b, "W", w, 4 * d, state=1)
    _load_tiles(b, "D", bias, 6 * d, state=2)
    b.add(config_ex("WS", act=1))
    for k in range(k_tiles):
        for i in range(i_tiles):
            c = acc(i * d, accumulate=k > 0)
            a_tile = sp((k * i_tiles + i) * d)
            d_tile = sp(6 * d + i * d) if k == 0 else GARBAGE
            if i == 0:
                b.add(preload(sp(4 * d + k * d), c, d, d, d, d),
                      compute_preloaded(a_tile, d_tile, d, d, d, d))
            else:
                b.add(preload(GARBAGE, c, d, d, d, d),
                      compute_accumulated(a_tile, d_tile, d, d, d, d))
    b.add(preload(sp(4 * d), sp(8 * d), d, d, d, d), compute_preloaded(sp(0), GARBAGE, d, d, d, d))
    if cfg.acc_read_full_width:
        out = b.space("C", i_tiles * d * d * cfg.acc_bytes)
        b.add(config_st(d * cfg.acc_bytes))
        for i in range(i_tiles):
            b.add(mvout(out + i * d * d * cfg.acc_bytes, acc(i * d, read_full=True), d, d))
        b.expect("C", arith.wrap(a.astype(np.int64) @ w + bias, cfg.acc_bits)
                 .astype(f"int{cfg.acc_bits}"))
    return b.case()


def raw_hazard(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """Hazards across and inside queues: a compute's scratchpad C feeds the next compute's A (RAW in
    EX), a MVOUT reads rows a compute just wrote (EX -> ST), a MVIN overwrites A rows a compute
    still has to read (WAR, EX before LD) and accumulator rows a compute accumulates into (WAW)."""
    b, d = CaseBuilder(cfg, "raw_hazard", seed), cfg.dim
    df = "WS" if cfg.has_ws else "OS"
    x, y = _elems(b, (d, d), bits=4), _elems(b, (d, d), bits=4)
    _load_tiles(b, "X", x, 0)
    _load_tiles(b, "Y", y, d, state=1)
    out = b.space("C", 3 * d * d * cfg.input_bytes)
    b.add(config_ex(df), config_st(d * cfg.input_bytes))
    src = b.region("Y").base
    for step in range(3):            # C -> sp(2d), then sp(2d) is A of the next step
        a_tile = sp(0) if step == 0 else sp(2 * d)
        b.add(preload(sp(d), sp(2 * d), d, d, d, d),
              compute_preloaded(a_tile, GARBAGE if df == "WS" else sp(d), d, d, d, d),
              mvout(out + step * d * d * cfg.input_bytes, sp(2 * d), d, d))
    b.add(preload(sp(d), acc(0), d, d, d, d), compute_preloaded(sp(0), sp(d) if df == "OS"
                                                                 else GARBAGE, d, d, d, d),
          mvin(src, sp(0), d, d),                                   # WAR on A
          config_ld(d * cfg.input_bytes, shrunk=True, block_stride=d),
          mvin(src, acc(0, accumulate=True), d, d // 2))            # WAW on C
    return b.case()


def transposes(cfg: GemminiConfig, seed: int) -> ProgramCase:
    """Every permitted transpose pair of the config's dataflows, with non-square operands so a
    swapped index shows."""
    b, d = CaseBuilder(cfg, "transposes", seed), cfg.dim
    r, k, c = d - 1, d - 2 if d > 2 else 1, d - 3 if d > 3 else 1
    a, bm, bias = _elems(b, (d, d)), _elems(b, (d, d)), _elems(b, (d, d), bits=5)
    _load_tiles(b, "A", a, 0)
    _load_tiles(b, "B", bm, d, state=1)
    _load_tiles(b, "D", bias, 2 * d, state=2)
    row = 0
    for df, pairs in (("OS", ((0, 0), (1, 0), (1, 1))), ("WS", ((0, 0), (1, 0), (0, 1)))):
        if not (cfg.has_os if df == "OS" else cfg.has_ws):
            continue
        for a_t, b_t in pairs:
            b.add(config_ex(df, a_transpose=a_t, b_transpose=b_t))
            if df == "OS":
                b.add(preload(sp(2 * d), acc(row), c, r, c, r),
                      compute_preloaded(sp(0), sp(d), k, r, c, k))
            else:
                b.add(preload(sp(d), acc(row), c, k, c, r),
                      compute_preloaded(sp(0), sp(2 * d), k, r, c, r))
            row += d
    return b.case()


def tiled_matmul(cfg: GemminiConfig, seed: int, dataflow: str, a_t: bool = False,
                 b_t: bool = False, bias: bool = True, act: int = 1,
                 scale: float = 1.0 / 64) -> ProgramCase | None:
    """C = act(ACC_SCALE(A @ B + D)) for sizes that leave partial tiles, tiled by hand: A, B and
    the bias (acc_t, MVIN3 into the accumulator) loaded tile by tile, WS chains over the row blocks
    or OS chains over K, C accumulated in the accumulator and stored scaled."""
    if not (cfg.has_os if dataflow == "OS" else cfg.has_ws) or not cfg.acc_read_small_width:
        return None
    b, d, es, as_ = CaseBuilder(cfg, f"tiled_matmul_{dataflow.lower()}{'_aT' if a_t else ''}"
                                     f"{'_bT' if b_t else ''}", seed), cfg.dim, cfg.input_bytes, \
        cfg.acc_bytes
    m, n, kk = 2 * d + d // 2 + 1, d + d // 2, 2 * d + 1
    ti, tj, tk = -(-m // d), -(-n // d), -(-kk // d)
    a = _elems(b, (m, kk))
    bm = _elems(b, (kk, n))
    dmat = b.rng.integers(-5000, 5000, (m, n)).astype(f"int{cfg.acc_bits}")
    a_base = b.data("A", np.ascontiguousarray(a.T) if a_t else a)
    b_base = b.data("B", np.ascontiguousarray(bm.T) if b_t else bm)
    out = b.space("C", m * n * es)
    a_pitch, b_pitch = (m if a_t else kk) * es, (kk if b_t else n) * es
    b.add(config_ex(dataflow, a_transpose=a_t, b_transpose=b_t),
          config_ld(a_pitch, block_stride=d), config_ld(b_pitch, block_stride=d, id=1),
          config_ld(n * as_, block_stride=d, id=2), config_st(n * es, act=act, scale=scale))
    ext = lambda t, total: min(d, total - t * d)                      # noqa: E731
    a_sp = lambda i, k: sp(((k * ti + i) if a_t else (i * tk + k)) * d)  # noqa: E731
    b_sp = lambda k, j: sp(ti * tk * d + ((j * tk + k) if b_t else (k * tj + j)) * d)  # noqa: E731
    for i in range(ti):
        for k in range(tk):
            if a_t:
                b.add(mvin(a_base + (k * d * m + i * d) * es, a_sp(i, k), ext(i, m), ext(k, kk)))
            else:
                b.add(mvin(a_base + (i * d * kk + k * d) * es, a_sp(i, k), ext(k, kk), ext(i, m)))
    for k in range(tk):
        for j in range(tj):
            if b_t:
                b.add(mvin2(b_base + (j * d * kk + k * d) * es, b_sp(k, j), ext(k, kk), ext(j, n)))
            else:
                b.add(mvin2(b_base + (k * d * n + j * d) * es, b_sp(k, j), ext(j, n), ext(k, kk)))
    if bias:
        d_base = b.data("D", dmat)
        for i in range(ti):
            for j in range(tj):
                b.add(mvin3(d_base + (i * d * n + j * d) * as_, acc((i * tj + j) * d), ext(j, n),
                            ext(i, m)))
    for i, j, k in ((i, j, k) for j in range(tj) for k in range(tk) for i in range(ti)) \
            if dataflow == "WS" else ((i, j, k) for i in range(ti) for j in range(tj)
                                      for k in range(tk)):
        rows, cols, depth = ext(i, m), ext(j, n), ext(k, kk)
        c_addr = (i * tj + j) * d
        if dataflow == "WS":
            c = acc(c_addr, accumulate=bias or k > 0)
            if i == 0:
                b.add(preload(b_sp(k, j), c, cols, depth, cols, rows),
                      compute_preloaded(a_sp(i, k), GARBAGE, depth, rows, d, d))
            else:
                b.add(preload(GARBAGE, c, cols, depth, cols, rows),
                      compute_accumulated(a_sp(i, k), GARBAGE, depth, rows, d, d))
        else:
            c = acc(c_addr, accumulate=bias) if k == tk - 1 else GARBAGE
            encode = compute_preloaded if k == 0 else compute_accumulated
            b.add(preload(GARBAGE, c, cols, rows, cols, rows),
                  encode(a_sp(i, k), b_sp(k, j), depth, rows, cols, depth))
    for i in range(ti):
        for j in range(tj):
            b.add(mvout(out + (i * d * n + j * d) * es, acc((i * tj + j) * d), ext(j, n),
                        ext(i, m)))
    sums = a.astype(np.int64) @ bm + (dmat if bias else 0)
    ref = arith.scale_to_int(arith.wrap(sums, cfg.acc_bits), scale, cfg.input_bits)
    b.expect("C", (np.maximum(ref, 0) if act == 1 else ref).astype(f"int{cfg.input_bits}"))
    return b.case()


def _tiled_variants():
    variants = {}
    for df, pairs in (("OS", ((0, 0), (1, 0), (1, 1))), ("WS", ((0, 0), (1, 0), (0, 1)))):
        for a_t, b_t in pairs:
            name = f"tiled_matmul_{df.lower()}{'_aT' if a_t else ''}{'_bT' if b_t else ''}"
            variants[name] = (lambda df_, at, bt: lambda cfg, seed: tiled_matmul(
                cfg, seed, df_, bool(at), bool(bt), bias=not (at or bt), act=int(not at)))(
                    df, a_t, b_t)
    return variants


COMPUTE_PROGRAMS = {
    **{f.__name__: f for f in (matmul_os, matmul_ws, raw_hazard, transposes)},
    **_tiled_variants(),
}
