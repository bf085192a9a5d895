"""Wide shifts and word selections built from multiplexers, for a smaller conversion.

Amaranth turns a shift by a variable amount and a `word_select` at a variable index into one netlist
cell in which every output bit depends on every input bit; the conversion's combinational-loop
check walks all of those edges, every time a design is converted.  On the DMA rows (hundreds of
bits) that is most of the accelerator's edges: the write DMA's byte-lane shift alone is 600k, the
load controller's row selection 330k (DIM 16).  The functions here compute the same values one
stage per bit of the amount, each a shift by either 0 or a constant (`_by`): a few edges per bit.
Written as a shift by ``Mux(bit, step, 0)`` rather than as a multiplexer between the shifted and
the unshifted value, so that a simulator computes the shift only when the bit is set (Verilator
evaluates both inputs of a multiplexer, and a shift by a number of bits that is not a multiple of
its 32-bit words is a loop over the words; most amounts are 0).
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
        step = unit << stage
        nxt = Signal(len(value) + step if width is None else min(width, len(value) + step),
                     name=f"{name}_{stage}")
        m.d.comb += nxt.eq((value << _by(amount[stage], step))[:len(nxt)])
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
        m.d.comb += nxt.eq(value >> _by(amount[stage], unit << stage))
        value = nxt
    return value


def _by(bit, step: int) -> Value:
    """The shift amount of one stage: `step` when `bit` is set, else 0."""
    return Mux(bit, Const(step, range(step + 1)), 0)


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
