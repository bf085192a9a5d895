"""Random legal CONFIG_EX / CONFIG_LD / CONFIG_ST commands, remembering what they installed.

Values are drawn to reach the corners the ISA allows: DRAM strides of 0 and unaligned ones, block
strides below DIM, pixel repeats (and 0 meaning 1), negative, tiny and subnormal scales, in_shift up
to W_ACC-1, a_stride/c_stride 0..3, every permitted transpose pair, set_only_strides with random
(ignored) other fields, sys_act codes 2 and 3 (no effect), max pooling with padding.  Scales keep
every product far below 2^63 (ISA.md section 6: larger ones are undefined).
"""

from __future__ import annotations

import numpy as np

from ...config import GemminiConfig
from ...isa import Command, config_ld, config_st, encode
from .random_state import ExState, LoadState, PoolState, StoreState, Window

__all__ = ["ConfigChooser"]

# Transpose pairs (a, b) each dataflow permits (ISA.md section 4.3).
TRANSPOSES = {0: ((0, 0), (1, 0), (1, 1)), 1: ((0, 0), (1, 0), (0, 1))}
MVIN_SCALES = (1.0, 1.0, 1.0, 0.5, 2.0, -1.0, 0.3, 1e-3, 3.5, 2.0 ** -126, 1e-40)
ACC_SCALES = (1.0, 0.5, 1.0 / 16, 1e-3, 3.0, -0.25, 1.0 / 3, 2.0 ** -20)


class ConfigChooser:
    """Draws configuration commands and tracks the state they leave behind (`ex`, `ld`, `st`)."""

    def __init__(self, cfg: GemminiConfig, rng: np.random.Generator, max_pixels: int,
                 options) -> None:
        self.cfg, self.rng, self.opt = cfg, rng, options
        self.max_pixels = max_pixels
        self.dataflows = [df for df, ok in ((0, cfg.has_os), (1, cfg.has_ws)) if ok]
        self.ex = ExState(self.dataflows[0])
        self.ld = [LoadState(cfg.sp_row_bytes, cfg.dim) for _ in range(3)]
        self.st = StoreState(cfg.sp_row_bytes)

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def stride(self) -> int:
        """An occasional odd a_stride/c_stride, mostly 1."""
        if not self.opt.odd_strides or self.rng.random() < 0.75:
            return 1
        return self.pick((0, 2, 3))

    def config_ex(self, first: bool = False) -> Command:
        rng, cfg = self.rng, self.cfg
        df = self.pick(self.dataflows)
        a_t, b_t = self.pick(TRANSPOSES[df])
        a_stride, c_stride = self.stride(), self.stride()
        only_strides = not first and rng.random() < 0.15
        act = 1 if rng.random() < 0.4 else (self.pick((2, 3)) if rng.random() < 0.1 else 0)
        shift_limit = 12 if rng.random() < 0.8 else cfg.acc_bits - 1
        fields = dict(dataflow=df, act=act, in_shift=int(rng.integers(0, shift_limit + 1)),
                      acc_scale=float(np.float32(rng.uniform(-4, 4))), a_stride=a_stride,
                      c_stride=c_stride, a_transpose=bool(a_t), b_transpose=bool(b_t),
                      set_only_strides=only_strides)
        if self.opt.ignored_bits and rng.random() < 0.2:
            fields["relu6_shift"] = int(rng.integers(0, 1 << 16))
        if only_strides:
            self.ex.a_stride, self.ex.c_stride = a_stride, c_stride
        else:
            self.ex = ExState(df, bool(a_t), bool(b_t), a_stride, c_stride)
        return encode("config_ex", **fields)

    def mvin_scale(self) -> float:
        if self.rng.random() < 0.15:
            return float(np.float32(self.rng.uniform(-4, 4)))
        return self.pick(MVIN_SCALES)

    def config_ld(self, state: int, plain: bool = False) -> Command:
        """A random load state; `plain` = block stride DIM and no pixel repeats."""
        rng, cfg, d = self.rng, self.cfg, self.cfg.dim
        stride = self.pick((d * cfg.input_bytes, d * cfg.acc_bytes,
                            d * cfg.input_bytes * cfg.max_block_len, 0,
                            int(rng.integers(1, 300)), int(rng.integers(300, 600))))
        block_stride = d if plain or rng.random() < 0.5 else int(rng.integers(1, 2 * d + 1))
        repeats = 1
        if not plain and cfg.has_first_layer_optimizations and rng.random() < 0.15:
            repeats = int(rng.integers(2, min(d, 4) + 1))
        encoded_repeats = 0 if repeats == 1 and rng.random() < 0.1 else repeats   # 0 means 1
        shrunk = bool(rng.random() < 0.3)
        self.ld[state] = LoadState(stride, block_stride, shrunk, repeats)
        return config_ld(stride, self.mvin_scale(), shrunk, block_stride=block_stride,
                         pixel_repeats=encoded_repeats, id=state)

    def acc_scale(self) -> float:
        if self.cfg.acc_scale != "fp32":
            return 1.0
        scale = float(np.float32(self.rng.uniform(-2, 2))) if self.rng.random() < 0.2 \
            else self.pick(ACC_SCALES)
        if self.cfg.acc_bits > 32:               # |acc| may reach 2^63: keep |product| < 2^63
            scale = min(max(scale, -0.5), 0.5)
        return scale

    def config_st(self, sp_win: Window, acc_win: Window) -> Command:
        rng, cfg, d = self.rng, self.cfg, self.cfg.dim
        act = 1 if cfg.has_nonlinear_activations and rng.random() < 0.4 else 0
        scale = self.acc_scale()
        if cfg.has_max_pool and rng.random() < 0.2:
            pool = self._pool()
            stride = d * cfg.input_bytes + int(rng.integers(0, 9))
            self.st = StoreState(stride, pool)
            return config_st(stride, act, scale, pool.stride, pool.size, pool.out_dim,
                             pool.porows, pool.pocols, pool.orows, pool.ocols, pool.upad,
                             pool.lpad)
        stride = self.pick((d * cfg.input_bytes, d * cfg.acc_bytes,
                            d * cfg.input_bytes * cfg.max_block_len, d * cfg.acc_bytes + 3,
                            int(rng.integers(1, 300)), 0))
        self.st = StoreState(stride)
        return config_st(stride, act, scale)

    def _pool(self) -> PoolState:
        """Max pooling over an orows x ocols image that fits both windows; pooled pixels never
        overlap in DRAM (pool_out_dim >= pocols, pixel pitch >= DIM elements)."""
        rng = self.rng
        size, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        upad, lpad = (int(rng.integers(0, min(3, size - 1) + 1)) for _ in range(2))
        orows = int(rng.integers(1, min(8, self.max_pixels) + 1))
        ocols = int(rng.integers(1, min(8, self.max_pixels // orows) + 1))
        porows = int(rng.integers(1, max(1, (orows + 2 * upad - size) // stride + 1) + 1))
        pocols = int(rng.integers(1, max(1, (ocols + 2 * lpad - size) // stride + 1) + 1))
        return PoolState(stride, size, upad, lpad, pocols + int(rng.integers(0, 4)), porows,
                         pocols, orows, ocols)
