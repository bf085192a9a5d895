"""Architectural state of the accelerator (ISA.md section 5) with the spec's reset values."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import GemminiConfig
from ..isa import GARBAGE, LocalAddr, LoopWsRegisters

__all__ = ["ExConfig", "GoldenState", "LoadConfig", "PreloadLatch", "StoreConfig"]

_NUMPY_INT = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}


@dataclass
class ExConfig:
    """Execute-unit configuration (CONFIG_EX).  dataflow: 0 OS, 1 WS."""

    dataflow: int = 0
    act: int = 0
    in_shift: int = 0
    acc_scale: float = 1.0
    a_transpose: bool = False
    b_transpose: bool = False
    a_stride: int = 1
    c_stride: int = 1


@dataclass
class LoadConfig:
    """One of the three load states (CONFIG_LOAD id 0/1/2)."""

    stride: int
    block_stride: int
    scale: float = 1.0
    shrunk: bool = False
    pixel_repeats: int = 1


@dataclass
class StoreConfig:
    """Store-unit configuration (CONFIG_STORE)."""

    stride: int
    act: int = 0
    scale: float = 1.0
    pool_stride: int = 0
    pool_size: int = 0
    upad: int = 0
    lpad: int = 0
    pool_out_dim: int = 0
    porows: int = 0
    pocols: int = 0
    orows: int = 0
    ocols: int = 0


@dataclass
class PreloadLatch:
    """B/D and C operands of the last PRELOAD (reset: GARBAGE, 0 x 0)."""

    bd: LocalAddr = LocalAddr(GARBAGE)
    bd_rows: int = 0
    bd_cols: int = 0
    c: LocalAddr = LocalAddr(GARBAGE)
    c_rows: int = 0
    c_cols: int = 0


@dataclass
class GoldenState:
    """Scratchpad, accumulator, PE array, configuration registers and latches of one accelerator.

    `sp` is `(SP_ROWS, DIM)` of the input dtype, `acc` is `(ACC_ROWS, DIM)` of the accumulator
    dtype, `pe` is `(DIM, DIM)` int64 holding acc_t values (OS: running sums, WS: weights).
    """

    config: GemminiConfig
    sp: np.ndarray = field(init=False)
    acc: np.ndarray = field(init=False)
    pe: np.ndarray = field(init=False)
    ex: ExConfig = field(init=False)
    ld: list[LoadConfig] = field(init=False)
    st: StoreConfig = field(init=False)
    latch: PreloadLatch = field(init=False)
    loop: LoopWsRegisters = field(init=False)
    elem_dtype: type = field(init=False)
    acc_dtype: type = field(init=False)

    def __post_init__(self) -> None:
        self.elem_dtype = _NUMPY_INT[self.config.input_bits]
        self.acc_dtype = _NUMPY_INT[self.config.acc_bits]
        self.reset()

    def reset(self) -> None:
        """The reset values of ISA.md section 5."""
        cfg = self.config
        self.sp = np.zeros((cfg.sp_rows, cfg.dim), dtype=self.elem_dtype)
        self.acc = np.zeros((cfg.acc_rows, cfg.dim), dtype=self.acc_dtype)
        self.pe = np.zeros((cfg.dim, cfg.dim), dtype=np.int64)
        self.ex = ExConfig()
        self.ld = [LoadConfig(stride=cfg.sp_row_bytes, block_stride=cfg.dim) for _ in range(3)]
        self.st = StoreConfig(stride=cfg.sp_row_bytes)
        self.latch = PreloadLatch()
        self.loop = LoopWsRegisters()

    def sp_rows(self, start: int, count: int) -> np.ndarray:
        """A copy of scratchpad rows [start, start + count)."""
        return self.sp[start:start + count].copy()

    def acc_rows(self, start: int, count: int) -> np.ndarray:
        """A copy of accumulator rows [start, start + count)."""
        return self.acc[start:start + count].copy()
