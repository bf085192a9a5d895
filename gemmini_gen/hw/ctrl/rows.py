"""Small row-level building blocks shared by the controllers: element masks, element shifts and
pulse delays.  A *row* is a view of an `ArrayLayout` of DIM elements."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import data

from ..bitops import stage_left

__all__ = ["first_elements", "shift_elements", "delayed_pulse"]


def first_elements(count, n: int):
    """An `n`-bit mask with bits 0 .. count-1 set (all of them when count >= n)."""
    return Cat(count > k for k in range(n))


def shift_elements(m: Module, row, amount, name: str):
    """`row` with element k moved to k + `amount` (elements shifted out are lost, zeros shifted
    in), as a barrel shifter of log2 stages; `amount` < the row length."""
    layout = row.shape()
    width = data.ArrayLayout(layout.elem_shape, 1).size
    value = row.as_value()
    for s in range(max(1, (layout.length - 1).bit_length())):
        if s >= len(amount):
            break
        nxt = Signal(len(value), name=f"{name}_{s}")
        m.d.comb += nxt.eq(stage_left(value, amount[s], (1 << s) * width)[:len(value)])
        value = nxt
    return data.View(layout, value)


def delayed_pulse(m: Module, pulse, cycles: int, name: str):
    """`pulse` delayed by `cycles` registers (0: the pulse itself)."""
    for i in range(cycles):
        reg = Signal(name=f"{name}_{i}")
        m.d.sync += reg.eq(pulse)
        pulse = reg
    return pulse
