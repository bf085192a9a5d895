"""Wide shifts and word selections built from multiplexers, for a smaller conversion.

Amaranth turns a shift by a variable amount and a `word_select` at a variable index into one netlist
cell in which every output bit depends on every input bit; the conversion's combinational-loop
check walks all of those edges, every time a design is converted.  On the DMA rows (hundreds of
bits) that is most of the accelerator's edges: the write DMA's byte-lane shift alone is 600k, the
load controller's row selection 330k (DIM 16).  The functions here compute the same values from
2:1 multiplexers over constant shifts and slices (which are wiring), with a few edges per bit.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, Value

__all__ = ["select_word", "shift_left", "shift_right"]


def shift_left(m: Module, value, amount, name: str, *, unit: int = 1,
               width: int | None = None) -> Value:
    """``value << (amount * unit)`` for unsigned `value` and `amount`, as one multiplexer stage per
    bit of `amount`, each stage a signal of `m` (``{name}_{stage}``: an expression used twice would
    be built twice); ``len(value) + unit * (2**len(amount) - 1)`` bits wide, or its low `width`
    bits (every stage truncated to them: bits shifted past them never come back)."""
    if not isinstance(unit, int) or unit < 1:
        raise ValueError(f"unit must be a positive integer, got {unit!r}")
    if width is not None and (not isinstance(width, int) or width < 1):
        raise ValueError(f"width must be a positive integer, got {width!r}")
    value, amount = Value.cast(value).as_unsigned(), Value.cast(amount)
    for stage in range(len(amount)):
        shifted = value.shift_left(unit << stage)
        if width is not None:
            shifted = shifted[:width]
        nxt = Signal(len(shifted), name=f"{name}_{stage}")
        m.d.comb += nxt.eq(Mux(amount[stage], shifted, value))
        value = nxt
    return value if width is None else value[:width]


def shift_right(m: Module, value, amount, name: str, *, unit: int = 1) -> Value:
    """``value >> (amount * unit)`` (zeros shifted in) for unsigned `value` and `amount`, as one
    multiplexer stage per bit of `amount`, each a signal of `m` (``{name}_{stage}``)."""
    if not isinstance(unit, int) or unit < 1:
        raise ValueError(f"unit must be a positive integer, got {unit!r}")
    value, amount = Value.cast(value).as_unsigned(), Value.cast(amount)
    for stage in range(len(amount)):
        nxt = Signal(len(value), name=f"{name}_{stage}")
        m.d.comb += nxt.eq(Mux(amount[stage], value.shift_right(unit << stage), value))
        value = nxt
    return value


def select_word(value, index, width: int) -> Value:
    """``value.word_select(index, width)`` for unsigned `value` (zeros beyond its end), as a chain
    of multiplexers over its words (each uses the previous once: no stage is built twice)."""
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    value, index = Value.cast(value).as_unsigned(), Value.cast(index)
    selected = Const(0, width)
    for k in range(-(-len(value) // width)):
        selected = Mux(index == k, value[k * width:(k + 1) * width], selected)
    return selected
