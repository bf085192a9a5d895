"""What the random program generator knows while it writes a program: the configuration registers
it has set, the local-memory windows it works in, DRAM allocation, the pending PRELOAD and what it
can predict about the performance counters.

Everything here exists to keep generated programs legal (ISA.md sections 7 and 10.1): operands
inside memory, block strides at least the MVIN rows, no MVIN between a PRELOAD and its COMPUTE
writing the rows the PRELOAD names, DRAM outputs that race with nothing, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CounterModel", "DramPlan", "ExState", "LoadState", "PoolState", "StoreState",
           "Window", "choose_window"]


@dataclass(frozen=True)
class Window:
    """Local rows [start, start + size) of one memory that a program works in."""

    start: int
    size: int

    @property
    def end(self) -> int:
        return self.start + self.size

    def place(self, rng: np.random.Generator, count: int, stride: int = 1,
              below: int = 0) -> int | None:
        """A first row such that rows first, first+stride, ... (`count` of them) and the `below`
        rows under `first` lie in the window (rows under 0 are dropped by the hardware, so they
        need no room when the window starts at row 0); None if they cannot fit."""
        extent = stride * (count - 1) + 1 if count else 1
        low = self.start + (below if self.start else 0)
        high = self.end - extent
        if high < low:
            return None
        return int(rng.integers(low, high + 1))


def choose_window(rng: np.random.Generator, total: int, bank_rows: int, size: int) -> Window:
    """A window of `size` rows: at row 0, straddling a bank boundary, or anywhere."""
    size = min(size, total)
    pick = rng.random()
    if pick < 0.2:
        start = 0
    elif pick < 0.55 and total > bank_rows:
        boundary = bank_rows * int(rng.integers(1, total // bank_rows))
        start = boundary - size // 2 - int(rng.integers(0, max(1, size // 4)))
    else:
        start = int(rng.integers(0, total - size + 1))
    return Window(min(max(start, 0), total - size), size)


@dataclass
class LoadState:
    """One CONFIG_LOAD state as the generator set it."""

    stride: int
    block_stride: int
    shrunk: bool = False
    repeats: int = 1


@dataclass
class ExState:
    """CONFIG_EX as the generator set it (dataflow 0 OS, 1 WS)."""

    dataflow: int
    a_transpose: bool = False
    b_transpose: bool = False
    a_stride: int = 1
    c_stride: int = 1


@dataclass(frozen=True)
class PoolState:
    """Pooling fields of CONFIG_STORE (pooling on)."""

    stride: int
    size: int
    upad: int
    lpad: int
    out_dim: int
    porows: int
    pocols: int
    orows: int
    ocols: int


@dataclass
class StoreState:
    """CONFIG_STORE as the generator set it."""

    stride: int
    pool: PoolState | None = None


@dataclass
class DramPlan:
    """DRAM of a random program: a read-only input region of random bytes at `base` and an output
    region after it that grows with every MVOUT (each MVOUT gets fresh bytes, so no two MVOUTs and
    no MVOUT and MVIN ever touch the same bytes without a FENCE in between)."""

    base: int
    input_bytes: int
    out_base: int
    out_used: int = 0
    fenced: int = 0          # output bytes [out_base, out_base + fenced) precede the last FENCE

    def output(self, rng: np.random.Generator, nbytes: int) -> int:
        """Fresh output bytes (start unaligned at random); returns the address."""
        addr = self.out_base + self.out_used + int(rng.integers(0, 24))
        self.out_used = addr - self.out_base + nbytes
        return addr

    def fence(self) -> None:
        self.fenced = self.out_used

    def source(self, rng: np.random.Generator, nbytes: int, from_outputs: bool) -> int | None:
        """An address with `nbytes` readable bytes: in the input region, or (`from_outputs`) in
        output bytes already behind a FENCE; None if they do not fit."""
        if from_outputs and self.fenced >= nbytes:
            return self.out_base + int(rng.integers(0, self.fenced - nbytes + 1))
        if nbytes > self.input_bytes:
            return None
        return self.base + int(rng.integers(0, self.input_bytes - nbytes + 1))


@dataclass
class CounterModel:
    """What is predictable about the counters: a counter configured with event 0 stays 0; a reset
    zeroes every value for that instant; a snapshot copies the values.  A response is checked when
    its value is known to be 0 (ISA.md section 7.8 order: reset, snapshot reset, take snapshot,
    configure, then read)."""

    count: int
    disabled: list[bool] = field(default_factory=list)
    snapshot_zero: list[bool] = field(default_factory=list)
    snapshot_mode: bool | None = None        # unknown until a snapshot reset or snapshot take

    def __post_init__(self) -> None:
        self.disabled = [False] * self.count
        self.snapshot_zero = [False] * self.count

    def apply(self, index: int, reset: bool, snapshot_reset: bool, take: bool, configure: bool,
              event: int) -> bool:
        """Account one COUNTER command; returns whether its response value is deterministic."""
        zero_now = [True] * self.count if reset else list(self.disabled)
        if snapshot_reset:
            self.snapshot_mode = False
        if take:
            self.snapshot_zero = list(zero_now)
            self.snapshot_mode = True
        if configure:
            self.disabled[index] = event == 0
            zero_now[index] = True
        if self.snapshot_mode is None:
            return False
        return self.snapshot_zero[index] if self.snapshot_mode else zero_now[index]
