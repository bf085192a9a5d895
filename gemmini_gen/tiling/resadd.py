"""`tiled_resadd`: the residual add C = act(scale(A * a_scale + B * b_scale)) (Gemmini's
`tiled_resadd`, ISA.md sections 7.3 and 8) as a `TiledProgram`.

No computes: A is loaded into the accumulator through a shrunk MVIN (elem-width data, MVIN-scaled
by `a_scale` -- which rounds and saturates to the input width -- then sign-extended), overwriting;
B the same way with `b_scale`, accumulating; the sum leaves through MVOUT with ACC_SCALE `scale`
and the activation.  Ports "A", "B" and output "C", all M x N of the input dtype.

Tiles are bi x bj DIM blocks (wide first, for multi-block MVINs) filling half the accumulator,
double buffered (`stream.py`); `use_loop_ws=True` issues one resadd LOOP_WS per tile instead.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..config import GemminiConfig
from ..isa import Program, acc, config_ld, config_st, loop_ws, mvin, mvin2, mvout
from ..memory import Memory
from .gemm_spec import (
    check_activation, check_dims, check_mvin_scale, check_output_scale, check_small_read,
)
from .stream import StreamPlan, count_commands, stream_schedule
from .tiled_program import Port, TiledProgram

__all__ = ["tiled_resadd"]


def tiled_resadd(cfg: GemminiConfig, M: int, N: int, *, a_scale: float = 1.0,
                 b_scale: float = 1.0, scale: float = 1.0, activation: str = "none",
                 use_loop_ws: bool = False, name: str | None = None) -> TiledProgram:
    """A program adding two M x N matrices through the accumulator (see the module docstring)."""
    check_dims(M=M, N=N)
    check_small_read(cfg)
    a_scale = check_mvin_scale(cfg, "a_scale", a_scale)
    b_scale = check_mvin_scale(cfg, "b_scale", b_scale)
    scale = check_output_scale(cfg, scale)
    act = check_activation(cfg, activation)
    d, es = cfg.dim, cfg.input_bytes
    half = cfg.acc_rows // 2
    blocks_m, blocks_n = -(-M // d), -(-N // d)
    bj = min(blocks_n, half // d)
    bi = min(blocks_m, half // d // bj)
    tm, tn = bi * d, bj * d

    memory = Memory()
    a, b, c = (memory.alloc(n, M * N * es) for n in ("A", "B", "C"))
    header = [config_ld(N * es, a_scale, True, block_stride=d, id=0),
              config_ld(N * es, b_scale, True, block_stride=d, id=1),
              config_st(N * es, act=act, scale=scale)]
    tiles = [(r0, c0, min(tm, M - r0), min(tn, N - c0))
             for r0 in range(0, M, tm) for c0 in range(0, N, tn)]
    executed = Counter()
    if use_loop_ws:
        body = []
        for r0, c0, rows, cols in tiles:
            ti, tj = -(-rows // d), -(-cols // d)
            offset = (r0 * N + c0) * es
            body += loop_ws(ti, tj, 0, ti * d - rows, tj * d - cols, 0, a=a.base + offset,
                            b=b.base + offset, d=0, c=c.base + offset, a_stride=N, b_stride=N,
                            d_stride=0, c_stride=N, act=act, is_resadd=True)
            executed.update(mvin=ti * tj, mvin2=ti * tj, mvout=ti * tj)
    else:
        body = stream_schedule([_tile_commands(cfg, N, a.base, b.base, c.base, t, half * (n % 2))
                                for n, t in enumerate(tiles)])
    commands = header + body
    counts = count_commands(commands)
    executed.update(counts)
    program = Program(commands, memory.regions, name=name or f"resadd_{M}x{N}",
                      comment=f"residual add, {len(tiles)} tile(s) of {tm}x{tn}, "
                              f"{'LOOP_WS' if use_loop_ws else 'explicit'}")
    plan = StreamPlan("resadd", tm, tn, len(tiles), dict(counts), dict(executed),
                      dram_bytes_read=2 * M * N * es, dram_bytes_written=M * N * es)
    elem = np.dtype(cfg.input_dtype)
    ports = {n: Port(n, (M, N), elem, n, (M, N)) for n in ("A", "B", "C")}
    return TiledProgram(cfg, program, memory, {"A": ports["A"], "B": ports["B"]},
                        {"C": ports["C"]}, plan, kind="resadd")


def _tile_commands(cfg: GemminiConfig, N: int, a: int, b: int, c: int,
                   tile: tuple[int, int, int, int], base: int):
    """(loads, stores) of one tile placed at accumulator row `base`: per block row, A overwrites
    and B accumulates up to MAX_BLOCK_LEN blocks per MVIN; MVOUTs likewise."""
    d, es, g = cfg.dim, cfg.input_bytes, cfg.max_block_len
    r0, c0, rows, cols = tile
    bi, bj = -(-rows // d), -(-cols // d)
    loads, stores = [], []
    for i in range(bi):
        r = min(d, rows - i * d)
        for j_lo in range(0, bj, g):
            width = min(cols, (j_lo + g) * d) - j_lo * d
            offset = ((r0 + i * d) * N + c0 + j_lo * d) * es
            row = base + (i * bj + j_lo) * d
            loads.append(mvin(a + offset, acc(row), width, r))
            loads.append(mvin2(b + offset, acc(row, accumulate=True), width, r))
            stores.append(mvout(c + offset, acc(row), width, r))
    return loads, stores
