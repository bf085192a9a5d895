"""Pipeline-register helpers: plain delays and the triangular skew buffers around a systolic array.

Both build one statement per register stage (not per element): Amaranth's conversion time grows
with the number of statements and signals, and these structures are O(DIM**2) elements.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import data

__all__ = ["delay_line", "delayed", "elements", "skewed"]


def delay_line(m: Module, value, cycles: int, name: str, *, reset_less: bool = True) -> list:
    """`value` delayed by 0, 1, ..., `cycles` cycles: a chain of `cycles` registers named `name`_0,
    `name`_1, ..., returned with `value` in front.  Data registers need no reset; registers
    carrying control or valid bits do (``reset_less=False``)."""
    taps = [value]
    for i in range(cycles):
        reg = Signal.like(value, name=f"{name}_{i}", reset_less=reset_less)
        m.d.sync += reg.eq(taps[-1])
        taps.append(reg)
    return taps


def delayed(m: Module, value, cycles: int, name: str, *, reset_less: bool = True):
    """`value` delayed by `cycles` registers (the end of a `delay_line`)."""
    return delay_line(m, value, cycles, name, reset_less=reset_less)[-1]


def elements(view, start: int, stop: int) -> data.View:
    """Elements ``[start, stop)`` of a view of an `ArrayLayout`, as a view of the same elements."""
    layout = view.shape()
    width = data.ArrayLayout(layout.elem_shape, 1).size
    part = data.ArrayLayout(layout.elem_shape, stop - start)
    return data.View(part, view.as_value()[start * width:stop * width])


def skewed(m: Module, groups, delays: list[int], name: str, *, reset_less: bool = True):
    """`groups` (a view of an `ArrayLayout`) with element `g` delayed by ``delays[g]`` cycles.

    `delays` must be monotonic (the skew in front of an array grows along it, the de-skew behind it
    shrinks).  Built as a staircase: stage `k` is one register holding the elements still to be
    delayed by `k` or more cycles -- a contiguous run, since the delays are monotonic."""
    layout = groups.shape()
    n = len(delays)
    if not isinstance(layout, data.ArrayLayout) or layout.length != n:
        raise ValueError(f"{name}: need one delay per element of an ArrayLayout view")
    if any(not isinstance(d, int) or d < 0 for d in delays):
        raise ValueError(f"{name}: delays must be non-negative integers, got {delays}")
    ascending = list(delays) == sorted(delays)
    if not ascending and list(delays) != sorted(delays, reverse=True):
        raise ValueError(f"{name}: delays must be monotonic, got {delays}")

    def run(k: int) -> tuple[int, int]:
        """The elements with a delay of at least `k`: ``[lo, hi)``."""
        members = [g for g, d in enumerate(delays) if d >= k]
        return (members[0], members[-1] + 1) if members else (0, 0)

    out = Signal(layout, name=name)
    previous, (lo, hi) = groups, (0, n)        # stage k-1 and the elements it holds
    for k in range(max(delays, default=0) + 1):
        if k > 0:
            new_lo, new_hi = run(k)
            stage = Signal(data.ArrayLayout(layout.elem_shape, new_hi - new_lo),
                           name=f"{name}_{k}", reset_less=reset_less)
            m.d.sync += stage.eq(elements(previous, new_lo - lo, new_hi - lo))
            previous, (lo, hi) = stage, (new_lo, new_hi)
        done = [g for g in range(lo, hi) if delays[g] == k]     # leave the staircase here
        if done:
            m.d.comb += elements(out, done[0], done[-1] + 1).eq(
                elements(previous, done[0] - lo, done[-1] + 1 - lo))
    return out
