"""The golden model's view of main memory: strided row reads and writes, confined to the program's
regions, with byte counts.

Every access is a set of `rows` byte rows of `row_bytes` each, at `addr + offset[r]`.  The whole set
must fall inside the program's regions (a row may not straddle two regions); otherwise
`DramAccessError` names the first address outside them.  Writes happen in row order, so overlapping
rows (a stride smaller than the row) end up exactly as sequential stores would leave them.
"""

from __future__ import annotations

import bisect

import numpy as np

from ..memory import Memory, Region

__all__ = ["Dram", "DramAccessError"]


class DramAccessError(ValueError):
    """An access outside the program's regions (carries the first bad address)."""

    def __init__(self, addr: int, nbytes: int) -> None:
        self.addr = addr
        super().__init__(f"{nbytes} byte(s) at address {addr:#x} are outside the program's regions")


class Dram:
    """Strided access to `memory`, restricted to `regions` (a subset of the memory's regions)."""

    def __init__(self, memory: Memory, regions: list[Region]) -> None:
        self._regions = sorted(regions, key=lambda r: r.base)
        self._bases = [r.base for r in self._regions]
        self._buffers = {r.name: memory.buffer(r.base, r.size) for r in self._regions}
        self.bytes_read = 0
        self.bytes_written = 0

    def _region(self, lo: int, hi: int) -> Region | None:
        """The region holding [lo, hi), if one does."""
        pos = bisect.bisect_right(self._bases, lo) - 1
        if pos >= 0 and hi <= self._regions[pos].end:
            return self._regions[pos]
        return None

    def _locate(self, addr: int, offsets: np.ndarray, row_bytes: int):
        """(buffer, start offsets within it) for the rows, or raise for the first bad row."""
        lo, hi = addr + int(offsets.min()), addr + int(offsets.max()) + row_bytes
        region = self._region(lo, hi)
        if region is None:
            for off in offsets.tolist():
                if self._region(addr + off, addr + off + row_bytes) is None:
                    raise DramAccessError(addr + off, row_bytes)
            return None
        return self._buffers[region.name], addr - region.base + offsets

    def read(self, addr: int, rows: int, stride: int, row_bytes: int) -> np.ndarray:
        """(rows, row_bytes) uint8: row r from addr + r*stride."""
        self.bytes_read += rows * row_bytes
        if stride >= row_bytes:
            region = self._region(addr, addr + (rows - 1) * stride + row_bytes)
            if region is not None:
                buf = self._buffers[region.name]
                start = addr - region.base
                if start + rows * stride <= buf.size:
                    return buf[start:start + rows * stride].reshape(rows, stride)[:, :row_bytes]
        return self.gather(addr, np.arange(rows, dtype=np.int64) * stride, row_bytes)

    def gather(self, addr: int, offsets: np.ndarray, row_bytes: int) -> np.ndarray:
        located = self._locate(addr, offsets, row_bytes)
        if located is None:         # rows spread over several regions
            return np.stack([self._row(addr + int(off), row_bytes) for off in offsets])
        buf, starts = located
        return buf[starts[:, None] + np.arange(row_bytes)]

    def write(self, addr: int, data: np.ndarray, stride: int) -> None:
        """Store row r of `data` (rows, row_bytes) uint8 at addr + r*stride, in row order."""
        rows, row_bytes = data.shape
        self.bytes_written += data.size
        if stride >= row_bytes:
            region = self._region(addr, addr + (rows - 1) * stride + row_bytes)
            if region is not None:
                buf = self._buffers[region.name]
                start = addr - region.base
                if start + rows * stride <= buf.size:
                    buf[start:start + rows * stride].reshape(rows, stride)[:, :row_bytes] = data
                    return
        self.scatter(addr, np.arange(rows, dtype=np.int64) * stride, data)

    def scatter(self, addr: int, offsets: np.ndarray, data: np.ndarray) -> None:
        """Store row r of `data` at addr + offsets[r], in row order."""
        row_bytes = data.shape[1]
        located = self._locate(addr, offsets, row_bytes)
        ordered = np.sort(offsets)
        disjoint = ordered.size < 2 or int(np.diff(ordered).min()) >= row_bytes
        if located is not None and disjoint:
            buf, starts = located
            buf[starts[:, None] + np.arange(row_bytes)] = data
            return
        for off, row in zip(offsets.tolist(), data):
            self._row(addr + off, row_bytes)[:] = row

    def _row(self, addr: int, nbytes: int) -> np.ndarray:
        region = self._region(addr, addr + nbytes)
        if region is None:
            raise DramAccessError(addr, nbytes)
        start = addr - region.base
        return self._buffers[region.name][start:start + nbytes]
