"""`gemmini_gen.hw.bitops` computes what Amaranth's own variable shifts and word selections compute,
bit for bit: every shift amount / word index (including ones past the end of the value), random
values, compared with the native operator in the same simulation and with Python integers."""

from __future__ import annotations

import random

import pytest
from amaranth.hdl import Const, Module, Signal
from amaranth.sim import Simulator

from gemmini_gen.hw.bitops import select_word, shift_left, shift_right


def _run(m, value, amount, ours, native, reference, *, trials=12, seed=1):
    """Drive every `amount` with random values; compare `ours`, `native` and `reference(v, a)`."""
    rng = random.Random(seed)
    mismatches = []

    async def bench(ctx):
        for a in range(1 << len(amount)):
            for _ in range(trials):
                v = rng.getrandbits(len(value))
                ctx.set(value, v)
                ctx.set(amount, a)
                got, expected = ctx.get(ours), ctx.get(native)
                if got != expected or got != reference(v, a):
                    mismatches.append((v, a, got, expected))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert mismatches == []


@pytest.mark.parametrize("width, amount_bits, unit", [(584, 3, 8), (37, 4, 1), (16, 5, 3)])
def test_shift_left_is_the_shift_operator(width, amount_bits, unit):
    m = Module()
    value, amount = Signal(width), Signal(amount_bits)
    out_width = width + unit * ((1 << amount_bits) - 1)
    ours, native = Signal(out_width), Signal(out_width)
    m.d.comb += [ours.eq(shift_left(m, value, amount, "ours", unit=unit)),
                 native.eq(value << (amount * unit))]
    _run(m, value, amount, ours, native, lambda v, a: v << (a * unit))


@pytest.mark.parametrize("lanes, count_bits", [(73, 7), (9, 4)])
def test_truncated_shift_left_makes_the_dma_strobes(lanes, count_bits):
    """The write DMA's strobes: ``count`` ones (all of them past `lanes`), as the low `lanes` bits
    of ``~(ones << count)``."""
    m = Module()
    count = Signal(count_bits)
    ours, native = Signal(lanes), Signal(lanes)
    m.d.comb += [ours.eq(~shift_left(m, Const(-1, lanes), count, "mask", width=lanes)),
                 native.eq(((Const(1, lanes + 1) << count) - 1)[:lanes])]
    value = Signal(1)          # (no value input: the mask depends on `count` only)
    _run(m, value, count, ours, native, lambda v, a: (1 << min(a, lanes)) - 1, trials=1)


@pytest.mark.parametrize("width, amount_bits, unit, out_width", [(584, 3, 8, 512), (40, 4, 1, 40),
                                                                  (12, 3, 5, 7)])
def test_shift_right_is_bit_select(width, amount_bits, unit, out_width):
    m = Module()
    value, amount = Signal(width), Signal(amount_bits)
    ours, native = Signal(out_width), Signal(out_width)
    m.d.comb += [ours.eq(shift_right(m, value, amount, "ours", unit=unit)[:out_width]),
                 native.eq(value.bit_select(amount * unit, out_width))]
    mask = (1 << out_width) - 1
    _run(m, value, amount, ours, native, lambda v, a: (v >> (a * unit)) & mask)


@pytest.mark.parametrize("width, index_bits, word", [(512, 3, 128), (512, 3, 512), (100, 3, 32)])
def test_select_word_is_word_select(width, index_bits, word):
    """Including indices past the last word and a last word that is only partly there."""
    m = Module()
    value, index = Signal(width), Signal(index_bits)
    ours, native = Signal(word), Signal(word)
    m.d.comb += [ours.eq(select_word(value, index, word)),
                 native.eq(value.word_select(index, word))]
    mask = (1 << word) - 1
    _run(m, value, index, ours, native, lambda v, a: (v >> (a * word)) & mask)


@pytest.mark.parametrize("call", [lambda m: shift_left(m, Signal(4), Signal(2), "x", unit=0),
                                  lambda m: shift_left(m, Signal(4), Signal(2), "x", width=0),
                                  lambda m: shift_right(m, Signal(4), Signal(2), "x", unit=-1),
                                  lambda m: select_word(Signal(4), Signal(2), 0)])
def test_bad_widths_are_refused(call):
    with pytest.raises(ValueError, match="must be a positive integer"):
        call(None)             # (refused before anything is added to the module)
