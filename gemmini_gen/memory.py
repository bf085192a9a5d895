"""`Memory`: the accelerator's byte-addressed physical main memory, made of named regions.

A program names the buffers it uses (its regions); every backend runs it against a `Memory` holding
those regions.  Address 0 is never mapped: in the ISA it means "zeros" (MVIN) or "absent" (LOOP_WS).
Data is little-endian; reads and writes are raw bytes, typed helpers view them as numpy arrays.
Any access that does not lie entirely inside one region raises `MemoryAccessError` naming the
address.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["FIRST_BASE", "Memory", "MemoryAccessError", "Region"]

FIRST_BASE = 0x1000          # first base `alloc` hands out (keeps small addresses unmapped)
_NAME = re.compile(r"[A-Za-z_][\w.:/-]*\Z")


class MemoryAccessError(ValueError):
    """An access outside every region, or a malformed region (one-line message)."""


@dataclass(frozen=True)
class Region:
    """A named buffer [base, base + size) of main memory."""

    name: str
    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, addr: int, nbytes: int = 1) -> bool:
        return self.base <= addr and addr + nbytes <= self.end


class Memory:
    """Main memory: non-overlapping named regions, each backed by its own byte array."""

    def __init__(self, regions: list[Region] | tuple[Region, ...] = ()) -> None:
        self._regions: list[Region] = []       # sorted by base
        self._bases: list[int] = []
        self._data: dict[str, np.ndarray] = {}
        for region in regions:
            self.map(region.name, region.base, region.size)

    # ------------------------------------------------------------------------------------------
    # Regions
    # ------------------------------------------------------------------------------------------
    def map(self, name: str, base: int, size: int) -> Region:
        """Add region `name` at a fixed `base` (zero-filled)."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise MemoryAccessError(f"region name {name!r} must be an identifier "
                                    f"(letters, digits, '_', '.', ':', '/', '-')")
        if name in self._data:
            raise MemoryAccessError(f"region {name!r} already exists")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise MemoryAccessError(f"region {name!r}: size must be a positive integer, "
                                    f"got {size!r}")
        if isinstance(base, bool) or not isinstance(base, int) or base < 1 or base + size > 1 << 64:
            raise MemoryAccessError(f"region {name!r}: base {base!r} must be a non-zero "
                                    f"64-bit address")
        region = Region(name, base, size)
        for other in self._regions:
            if base < other.end and other.base < region.end:
                raise MemoryAccessError(f"region {name!r} [{base:#x}, {region.end:#x}) overlaps "
                                        f"region {other.name!r} [{other.base:#x}, {other.end:#x})")
        pos = bisect.bisect(self._bases, base)
        self._regions.insert(pos, region)
        self._bases.insert(pos, base)
        self._data[name] = np.zeros(size, dtype=np.uint8)
        return region

    def alloc(self, name: str, nbytes: int, align: int = 64) -> Region:
        """Add region `name` of `nbytes` after every existing region (first base 0x1000),
        with its base aligned to `align` bytes."""
        if align < 1 or align & (align - 1):
            raise MemoryAccessError(f"alignment must be a power of two, got {align}")
        top = max([FIRST_BASE] + [r.end for r in self._regions])
        return self.map(name, -(-top // align) * align, nbytes)

    @property
    def regions(self) -> list[Region]:
        return list(self._regions)

    def region(self, name: str) -> Region:
        for region in self._regions:
            if region.name == name:
                return region
        raise MemoryAccessError(f"no region named {name!r}")

    def region_at(self, addr: int, nbytes: int = 1) -> Region:
        """The region holding all of [addr, addr + nbytes)."""
        pos = bisect.bisect_right(self._bases, addr) - 1
        if pos >= 0 and self._regions[pos].contains(addr, nbytes):
            return self._regions[pos]
        raise MemoryAccessError(f"access of {nbytes} byte(s) at address {addr:#x} is outside "
                                f"every memory region")

    # ------------------------------------------------------------------------------------------
    # Raw access
    # ------------------------------------------------------------------------------------------
    def buffer(self, addr: int, nbytes: int) -> np.ndarray:
        """A writable uint8 view of [addr, addr + nbytes), which must lie in one region."""
        region = self.region_at(addr, max(nbytes, 1))
        start = addr - region.base
        return self._data[region.name][start:start + nbytes]

    def read(self, addr: int, nbytes: int) -> np.ndarray:
        """A copy of the `nbytes` bytes at `addr` (uint8)."""
        return self.buffer(addr, nbytes).copy()

    def write(self, addr: int, data) -> None:
        """Write the raw little-endian bytes of `data` (bytes or any numpy array) at `addr`."""
        raw = _as_bytes(data)
        self.buffer(addr, raw.size)[:] = raw

    # ------------------------------------------------------------------------------------------
    # Typed access, by region name or address
    # ------------------------------------------------------------------------------------------
    def _address(self, where: str | int) -> int:
        return self.region(where).base if isinstance(where, str) else where

    def write_array(self, where: str | int, array) -> None:
        """Write `array` (C order, little-endian) at region `where` or at address `where`."""
        self.write(self._address(where), np.ascontiguousarray(array))

    def read_array(self, where: str | int, shape, dtype) -> np.ndarray:
        """Read an array of `shape` and `dtype` (C order) from region `where` or address `where`."""
        dtype = np.dtype(dtype).newbyteorder("<")
        count = int(np.prod(shape, dtype=np.int64))
        raw = self.read(self._address(where), count * dtype.itemsize)
        return raw.view(dtype).astype(dtype.newbyteorder("="), copy=False).reshape(shape)

    # ------------------------------------------------------------------------------------------
    # Whole-memory operations
    # ------------------------------------------------------------------------------------------
    def copy(self) -> "Memory":
        other = Memory(self._regions)
        for name, data in self._data.items():
            other._data[name][:] = data
        return other

    def image(self) -> tuple[int, np.ndarray]:
        """One flat byte image from the lowest region base to the highest region end (gaps are
        zero), for loading into a simulated DRAM: returns (base, bytes)."""
        if not self._regions:
            return FIRST_BASE, np.zeros(0, dtype=np.uint8)
        base = self._regions[0].base
        flat = np.zeros(max(r.end for r in self._regions) - base, dtype=np.uint8)
        for region in self._regions:
            flat[region.base - base:region.end - base] = self._data[region.name]
        return base, flat

    def load_image(self, base: int, image) -> None:
        """Copy every region's bytes out of a flat image that starts at address `base` (the inverse
        of `image`; bytes outside the regions are ignored).  The image must cover every region."""
        flat = _as_bytes(image)
        for region in self._regions:
            lo, hi = region.base - base, region.end - base
            if lo < 0 or hi > flat.size:
                raise MemoryAccessError(f"image [{base:#x}, {base + flat.size:#x}) does not cover "
                                        f"region {region.name!r} at {region.base:#x}")
            self._data[region.name][:] = flat[lo:hi]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Memory):
            return NotImplemented
        return self._regions == other._regions and all(
            np.array_equal(self._data[name], other._data[name]) for name in self._data)

    def __repr__(self) -> str:
        parts = ", ".join(f"{r.name}@{r.base:#x}+{r.size:#x}" for r in self._regions)
        return f"Memory({parts})"


def _as_bytes(data) -> np.ndarray:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(data), dtype=np.uint8)
    array = np.ascontiguousarray(data)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return array.reshape(-1).view(np.uint8)
