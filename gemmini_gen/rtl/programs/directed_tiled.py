"""Directed programs from the tiling library (`gemmini_gen.tiling`), as Gemmini's `tiled_matmul_*`,
`conv`, `resadd` and global-average tests use `tiled_matmul_auto` & co.: partial tiles, bias
matrices and rows (acc- and elem-width), activations, scales, transposes, full-width outputs, an
im2col convolution, a depthwise convolution, a residual add and a global average pool.

Each function takes `(cfg, seed)` and returns a `ProgramCase` whose `expected` holds the tiling
library's numpy reference for the output (validating the program on the golden model), or None when
the config lacks what the program needs.  These are software-pipelined command streams, so they
also exercise the overlap of loads, computes and stores.
"""

from __future__ import annotations

import numpy as np

from ...config import GemminiConfig
from ...tiling import (conv_reference, global_average_reference, matmul_reference,
                       resadd_reference, tiled_conv_auto, tiled_global_average, tiled_matmul_auto,
                       tiled_resadd)
from .case import ProgramCase
from .readback import with_readback

__all__ = ["TILED_PROGRAMS"]


def _ints(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -(1 << 20)), min(info.max, 1 << 20) + 1, shape,
                        dtype=np.int64).astype(dtype)


def _case(cfg: GemminiConfig, name: str, tp, inputs: dict, expected: np.ndarray) -> ProgramCase:
    """The tiled program with its inputs loaded and the expected output (stored form)."""
    memory = tp.load(**inputs)
    port = next(iter(tp.outputs.values()))
    stored = np.ascontiguousarray(expected).reshape(port.stored_shape).astype(port.dtype)
    case = ProgramCase(name, tp.program, memory, expected={port.region: stored})
    return with_readback(case, cfg)


def _matmul(cfg: GemminiConfig, seed: int, name: str, dataflow: str, **options):
    if not (cfg.has_ws if dataflow == "WS" else cfg.has_os):
        return None
    if options.get("full_output") and not cfg.acc_read_full_width:
        return None
    if not options.get("full_output") and not cfg.acc_read_small_width:
        return None
    d, rng = cfg.dim, np.random.default_rng(seed)
    m, n, k = 3 * d + 1, 2 * d + 3, 4 * d + 2
    tp = tiled_matmul_auto(cfg, m, n, k, dataflow=dataflow, name=name, **options)
    inputs = {port: _ints(rng, p.shape, p.dtype) for port, p in tp.inputs.items()}
    bias = inputs.get("D")
    if bias is not None and options.get("bias_dtype", "acc") == "acc":
        inputs["D"] = bias = (bias % 20000 - 10000).astype(tp.inputs["D"].dtype)
    ref_options = {key: value for key, value in options.items() if key != "bias"}
    expected = matmul_reference(cfg, inputs["A"], inputs["B"], bias, **ref_options)
    return _case(cfg, name, tp, inputs, expected)


def tiler_matmul_ws(cfg, seed):
    return _matmul(cfg, seed, "tiler_matmul_ws", "WS", bias="matrix", activation="relu",
                   scale=1.0 / 64)


def tiler_matmul_ws_bt_elem_bias(cfg, seed):
    return _matmul(cfg, seed, "tiler_matmul_ws_bT_elem_bias", "WS", bias="row",
                   bias_dtype="elem", b_transpose=True, scale=1.0 / 32, a_scale=0.5)


def tiler_matmul_ws_at_full(cfg, seed):
    return _matmul(cfg, seed, "tiler_matmul_ws_aT_full", "WS", bias="matrix",
                   a_transpose=True, full_output=True)


def tiler_matmul_os(cfg, seed):
    return _matmul(cfg, seed, "tiler_matmul_os", "OS", bias="row", activation="relu",
                   scale=1.0 / 16)


def tiler_matmul_os_at_bt(cfg, seed):
    return _matmul(cfg, seed, "tiler_matmul_os_aT_bT", "OS", a_transpose=True, b_transpose=True,
                   scale=1.0 / 128)


def tiler_conv(cfg, seed):
    """3x3 convolution, stride 2, padding 1, bias, RELU (im2col on the host)."""
    if not cfg.acc_read_small_width:
        return None
    d, rng = cfg.dim, np.random.default_rng(seed)
    options = dict(layout="NHWC", stride=2, padding=1, bias=True, activation="relu",
                   scale=1.0 / 32)
    tp = tiled_conv_auto(cfg, (1, 7, 7, 3), (2 * d, 3, 3, 3), name="tiler_conv", **options)
    x = _ints(rng, (1, 7, 7, 3), np.dtype(cfg.input_dtype))
    w = _ints(rng, (2 * d, 3, 3, 3), np.dtype(cfg.input_dtype))
    bias = rng.integers(-3000, 3000, 2 * d).astype(cfg.acc_dtype)
    expected = conv_reference(cfg, x, w, bias, **{k: v for k, v in options.items()
                                                  if k != "bias"})
    return _case(cfg, "tiler_conv", tp, {"input": x, "weight": w, "bias": bias}, expected)


def tiler_conv_depthwise(cfg, seed):
    """Depthwise 3x3 convolution (one GEMM job per channel group)."""
    if not cfg.acc_read_small_width:
        return None
    d, rng = cfg.dim, np.random.default_rng(seed)
    options = dict(layout="NHWC", padding=1, groups=d, scale=1.0 / 8)
    tp = tiled_conv_auto(cfg, (1, 5, 5, d), (d, 1, 3, 3), name="tiler_conv_depthwise",
                         **options)
    x = _ints(rng, (1, 5, 5, d), np.dtype(cfg.input_dtype))
    w = _ints(rng, (d, 1, 3, 3), np.dtype(cfg.input_dtype))
    return _case(cfg, "tiler_conv_depthwise", tp, {"input": x, "weight": w},
                 conv_reference(cfg, x, w, **options))


def tiler_resadd(cfg, seed):
    if not cfg.acc_read_small_width:
        return None
    d, rng = cfg.dim, np.random.default_rng(seed)
    options = dict(a_scale=0.5, b_scale=1.5, scale=0.75, activation="relu")
    tp = tiled_resadd(cfg, 2 * d + 1, 3 * d + 2, **options)
    a, b = (_ints(rng, (2 * d + 1, 3 * d + 2), np.dtype(cfg.input_dtype)) for _ in range(2))
    return _case(cfg, "tiler_resadd", tp, {"A": a, "B": b},
                 resadd_reference(cfg, a, b, **options))


def tiler_global_average(cfg, seed):
    if not cfg.acc_read_small_width:
        return None
    d, rng = cfg.dim, np.random.default_rng(seed)
    shape = (2, 5, 5, 2 * d + 1)
    tp = tiled_global_average(cfg, shape, layout="NHWC")
    x = _ints(rng, shape, np.dtype(cfg.input_dtype))
    return _case(cfg, "tiler_global_average", tp, {next(iter(tp.inputs)): x},
                 global_average_reference(cfg, x, layout="NHWC"))


TILED_PROGRAMS = {f.__name__: f for f in (
    tiler_matmul_ws, tiler_matmul_ws_bt_elem_bias, tiler_matmul_ws_at_full, tiler_matmul_os,
    tiler_matmul_os_at_bt, tiler_conv, tiler_conv_depthwise, tiler_resadd, tiler_global_average)}
