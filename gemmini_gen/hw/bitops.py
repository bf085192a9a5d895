"""Wide shifts and word selections built from multiplexers, for a smaller conversion.

Amaranth turns a shift by a variable amount and a `word_select` at a variable index into one netlist
cell in which every output bit depends on every input bit; the conversion's combinational-loop
check walks all of those edges, every time a design is converted.  On the DMA rows (hundreds of
bits) that is most of the accelerator's edges: the write DMA's byte-lane shift alone is 600k, the
load controller's row selection 330k (DIM 16).  The functions here compute the same values one
stage per bit of the amount, each stage a shift by either 0 or a constant (`stage_left`,
`stage_right`): a few edges per bit.  On values of up to 256 bits, a stage whose constant is not a
whole number of 32-bit words is a shift by ``Mux(bit, step, 0)`` rather than a multiplexer between
the shifted and the unshifted value: Verilator evaluates both inputs of a multiplexer, and a shift
by a part of a word is a loop over the words, which then runs only when the bit is set (most
amounts are 0; the small step keeps the cell's edges few).  Wider values (the DMA rows) keep the
multiplexer: as variable shifts they cost the conversion more than they save the simulation.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, Value

__all__ = ["select_word", "shift_left", "shift_right", "stage_left", "stage_right"]

#: Widest value whose part-word stages are variable shifts (see the module docstring).
VARIABLE_STAGE_BITS = 256


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
        m.d.comb += nxt.eq(stage_left(value, amount[stage], step)[:len(nxt)])
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
        m.d.comb += nxt.eq(stage_right(value, amount[stage], unit << stage))
        value = nxt
    return value


def stage_left(value, bit, step: int) -> Value:
    """``value << (step if bit else 0)``, ``len(value) + step`` bits (see the module docstring)."""
    if step % 32 == 0 or len(value) > VARIABLE_STAGE_BITS:
        return Mux(bit, value.shift_left(step), value)
    return (value << Mux(bit, Const(step, range(step + 1)), 0))[:len(value) + step]


def stage_right(value, bit, step: int) -> Value:
    """``value >> (step if bit else 0)`` for unsigned `value`, ``len(value)`` bits."""
    if step % 32 == 0 or len(value) > VARIABLE_STAGE_BITS:
        return Mux(bit, value.shift_right(step), value)
    return value >> Mux(bit, Const(step, range(step + 1)), 0)


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
