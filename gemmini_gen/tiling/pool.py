"""`tiled_global_average`: global average pooling, output[n, c] = act(ACC_SCALE(sum over the H*W
pixels of input[n, c], fp32(1 / (H*W)))), as a `TiledProgram` (port "input", output "output"
of shape (N, C), both of the input dtype).

NHWC (Gemmini's `tiled_global_average`): the rows of the input are accumulated in the
accumulator.  One shrunk MVIN per pixel loads that pixel of up to DIM images (DRAM stride = one
image) and up to MAX_BLOCK_LEN channel blocks into accumulator rows = images, columns = channels,
overwriting for the first pixel and accumulating after it; one MVOUT per channel group scales the
sums by 1/(H*W).  Tiles of (DIM images) x (half the accumulator's worth of channel blocks) are
double buffered (`stream.py`).

NCHW: each image is a C x (H*W) matrix, so the pooled values are that matrix times a column of
ones: one GEMM (M = N*C, K = H*W, N = 1) with the ones in a constant region, through the tiled
GEMM pipeline.
"""

from __future__ import annotations

import numpy as np

from ..config import GemminiConfig
from ..isa import Program, acc, config_ld, config_st, mvin, mvout
from ..memory import Memory
from .errors import TilingError
from .gemm_program import build_gemm
from .gemm_spec import (
    GemmJob, check_activation, check_output_scale, check_small_read, make_gemm_spec,
)
from .stream import StreamPlan, count_commands, stream_schedule
from .tiled_program import Port, TiledProgram

__all__ = ["tiled_global_average"]


def tiled_global_average(cfg: GemminiConfig, input_shape, *, layout: str = "NHWC",
                         activation: str = "none", name: str | None = None) -> TiledProgram:
    """A program averaging each channel of each image over its pixels (module docstring)."""
    if layout not in ("NCHW", "NHWC"):
        raise TilingError(f"layout must be 'NCHW' or 'NHWC', got {layout!r}")
    shape = tuple(input_shape)
    if len(shape) != 4 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                              or v < 1 for v in shape):
        raise TilingError(f"input shape must be 4 positive integers, got {shape!r}")
    n, c, h, w = shape if layout == "NCHW" else (shape[0], shape[3], shape[1], shape[2])
    check_small_read(cfg)
    act = check_activation(cfg, activation)
    scale = check_output_scale(cfg, float(np.float32(1.0 / (h * w))))
    elem = np.dtype(cfg.input_dtype)
    memory = Memory()
    source = memory.alloc("input", n * c * h * w * elem.itemsize)
    name = name or f"global_average_{'x'.join(map(str, shape))}_{layout}"
    if layout == "NCHW":
        ones = memory.alloc("ones", h * w * elem.itemsize)
        memory.write_array("ones", np.ones(h * w, dtype=elem))
        output = memory.alloc("output", n * c * elem.itemsize)
        spec = make_gemm_spec(cfg, a_stride=h * w, b_stride=1, d_stride=0, c_stride=1,
                              activation=activation, scale=scale)
        commands, plan = build_gemm(cfg, spec, [GemmJob(n * c, 1, h * w, source.base, ones.base,
                                                        0, output.base)])
        comment = "global average: (N*C) x (H*W) @ ones GEMM"
    else:
        output = memory.alloc("output", n * c * elem.itemsize)
        commands, plan = _accumulate_rows(cfg, n, c, h * w, source.base, output.base, act, scale)
        comment = f"global average: {plan.tiles} tile(s) of {plan.tile_rows} images x " \
                  f"{plan.tile_cols} channels accumulated by shrunk MVINs"
    program = Program(commands, memory.regions, name=name, comment=comment)
    return TiledProgram(cfg, program, memory, {"input": Port("input", shape, elem, "input", shape)},
                        {"output": Port("output", (n, c), elem, "output", (n, c))}, plan,
                        kind="global_average")


def _accumulate_rows(cfg: GemminiConfig, n: int, c: int, pixels: int, x: int, out: int, act: int,
                     scale: float):
    d, es, g = cfg.dim, cfg.input_bytes, cfg.max_block_len
    half = cfg.acc_rows // 2
    channel_tile = min(-(-c // d), half // d) * d
    tiles = []
    for n0 in range(0, n, d):
        images = min(d, n - n0)
        for c0 in range(0, c, channel_tile):
            width = min(channel_tile, c - c0)
            base = half * (len(tiles) % 2)
            loads, stores = [], []
            for p in range(pixels):
                for lo in range(0, width, g * d):
                    loads.append(mvin(x + ((n0 * pixels + p) * c + c0 + lo) * es,
                                      acc(base + lo, accumulate=p > 0), min(g * d, width - lo),
                                      images))
            for lo in range(0, width, g * d):
                stores.append(mvout(out + (n0 * c + c0 + lo) * es, acc(base + lo),
                                    min(g * d, width - lo), images))
            tiles.append((loads, stores))
    commands = [config_ld(pixels * c * es, 1.0, True, block_stride=d, id=0),
                config_st(c * es, act=act, scale=scale)] + stream_schedule(tiles)
    counts = dict(count_commands(commands))
    plan = StreamPlan("global_average", min(d, n), min(channel_tile, c), len(tiles), counts,
                      counts, dram_bytes_read=n * pixels * c * es, dram_bytes_written=n * c * es)
    return commands, plan
