"""Pack and unpack integers laid out by Amaranth `data` layouts (for cocotb testbenches).

`pack` takes a struct as a dict and an array as a sequence, with Python ints as leaves (negative
values are stored in two's complement).  Rows of signed elements use `pack_row` / `unpack_row`,
which are vectorised with numpy.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Shape
from amaranth.lib import data

__all__ = ["pack", "pack_row", "unpack_row"]


def pack(layout, value) -> int:
    """The integer holding `value` laid out as `layout`."""
    if isinstance(layout, data.StructLayout):
        out = 0
        for name, field in layout:
            if name in value:
                out |= pack(field.shape, value[name]) << field.offset
        return out
    if isinstance(layout, data.ArrayLayout):
        width = Shape.cast(layout.elem_shape).width
        out = 0
        for i, item in enumerate(value):
            out |= pack(layout.elem_shape, item) << (i * width)
        return out
    width = Shape.cast(layout).width
    return int(value) & ((1 << width) - 1)


def pack_row(values: np.ndarray, bits: int) -> int:
    """A row of signed ints as an integer of ``len(values)`` `bits`-bit fields (element 0 lowest)."""
    as_bytes = np.asarray(values, np.int64).astype(f"<i{bits // 8}").tobytes()
    return int.from_bytes(as_bytes, "little")


def unpack_row(raw: int, length: int, bits: int) -> np.ndarray:
    """Inverse of `pack_row`: int64 array of the `length` signed fields of `raw`."""
    as_bytes = raw.to_bytes(length * bits // 8, "little")
    return np.frombuffer(as_bytes, f"<i{bits // 8}").astype(np.int64)
