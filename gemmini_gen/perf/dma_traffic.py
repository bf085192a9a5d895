"""DMA requests, bus beats and AXI bursts of strided DRAM row transfers, as the DMA moves them.

One MVIN/MVOUT moves DRAM rows; each row is one DMA request per *piece* of at most one command's
width (MAX_BLOCK_LEN DIM-blocks of elem_t, MAX_BLOCK_LEN_ACC of acc_t, see
`gemmini_gen.hw.dma.params.max_dma_row_bytes`).  The DMA turns a request of `n` bytes at byte
address `a` into full-width beats over the bus-aligned range covering it and cuts that range at every
`burst`-byte boundary (`burst = min(dma_max_bytes, 4096)`), one AXI burst per piece of range:

    beats(a, n)  = ceil((a mod bus + n) / bus)
    bursts(a, n) = floor((a + n - 1) / burst) - floor(a / burst) + 1

(the Python twins `DMAParams.row_beats` / `row_bursts` compute the same; the tests check it).  A
stream of rows ``r = r0 .. r0+R-1`` at ``base + r * pitch + offset`` costs the same every
``burst / gcd(pitch, burst)`` rows, so its totals come from one period's prefix sums in O(1) per
range, exactly.  Bases are assumed aligned to `burst` bytes (the tiler's regions are 64-byte
aligned: exact for `dma_max_bytes` <= 64, the default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config import GemminiConfig

__all__ = ["BusGeometry", "stream_costs"]

AXI_PAGE_BYTES = 4096


@dataclass(frozen=True)
class BusGeometry:
    """The DMA's bus: bytes per beat and the burst split granule (both powers of two)."""

    bus: int
    burst: int

    @classmethod
    def of(cls, cfg: GemminiConfig) -> "BusGeometry":
        return cls(cfg.bus_bytes, min(cfg.dma_max_bytes, AXI_PAGE_BYTES))


@lru_cache(maxsize=1 << 14)
def _period(bus: int, burst: int, pitch: int, offset: int, length: int, piece: int
            ) -> tuple[int, np.ndarray, np.ndarray]:
    """(period T, prefix sums of beats and of bursts over rows 0 .. T) of one row stream."""
    period = burst // math.gcd(pitch % burst, burst) if pitch % burst else 1
    rows = np.arange(period, dtype=np.int64)
    starts = (rows * pitch + offset) % burst          # rows repeat their cost modulo `burst`
    beats = np.zeros(period, dtype=np.int64)
    bursts = np.zeros(period, dtype=np.int64)
    for p in range(0, length, piece):
        a = starts + p
        n = min(piece, length - p)
        beats += (a % bus + n + bus - 1) // bus
        bursts += (a + n - 1) // burst - a // burst + 1
    zero = np.zeros(1, dtype=np.int64)
    return period, np.concatenate([zero, np.cumsum(beats)]), np.concatenate([zero,
                                                                             np.cumsum(bursts)])


#: The prefix sums of a period of one row that moves nothing.
_ZERO_PERIOD = np.zeros(2, dtype=np.int64)


def stream_costs(geo: BusGeometry, pitch: int, piece: int, offsets: np.ndarray,
                 lengths: np.ndarray, first_rows: np.ndarray, rows: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Requests, beats and bursts of many transfers of one operand (one per array element): rows
    ``first_rows[i] .. first_rows[i] + rows[i] - 1`` at ``r * pitch + offsets[i]``, each moving
    ``lengths[i]`` bytes in requests of at most `piece` bytes.  Elements with 0 rows cost 0.

    The transfers of one (offset mod burst, length) share a period; the periods' prefix sums are
    laid end to end in one table, so every element is looked up at once."""
    offsets, lengths, first, rows = (np.asarray(a, dtype=np.int64) for a in np.broadcast_arrays(
        offsets, lengths, first_rows, rows))
    offsets = offsets % geo.burst
    requests = rows * (-(-lengths // piece))
    if rows.size == 0:
        return requests, rows.copy(), rows.copy()
    radix = int(lengths.max(initial=0)) + 1
    keys, groups = np.unique(offsets * radix + lengths, return_inverse=True)
    periods, bases, beat_tables, burst_tables = [], [], [], []
    base = 0
    for key in keys.tolist():
        offset, length = divmod(key, radix)
        if length <= 0:                 # nothing moved: a one-row period of zero cost
            period, cum_beats, cum_bursts = 1, _ZERO_PERIOD, _ZERO_PERIOD
        else:
            period, cum_beats, cum_bursts = _period(geo.bus, geo.burst, pitch, offset, length,
                                                    piece)
        periods.append(period)
        bases.append(base)
        beat_tables.append(cum_beats)
        burst_tables.append(cum_bursts)
        base += period + 1
    period = np.array(periods, dtype=np.int64)[groups]
    table_base = np.array(bases, dtype=np.int64)[groups]
    period_end = table_base + period                   # where each period's total sits
    counts = []
    for tables in (beat_tables, burst_tables):
        table = np.concatenate(tables)
        counts.append(_upto(table, period, period_end, table_base, first + rows)
                      - _upto(table, period, period_end, table_base, first))
    return requests, *counts


def _upto(table: np.ndarray, period: np.ndarray, period_end: np.ndarray, base: np.ndarray,
          n: np.ndarray) -> np.ndarray:
    """The sums over rows 0 .. n-1 from the periods' prefix sums laid end to end in `table`."""
    return (n // period) * table[period_end] + table[base + n % period]
