"""One processing element (PE) of the systolic array, with Gemmini's two dataflows.

Every PE has one multiplier (`W_IN` x `W_IN` bits) and two registers:

* ``acc``: the stationary value.  Output stationary (OS): the running sum, `W_ACC` bits.  Weight
  stationary (WS): the weight.
* ``result`` (OS only): one link of the *result chain*.  At the last beat of an OS block the final
  sum is captured here and then shifted down and out of the array while the next block computes.

It reads ``preload``, its link of the *preload chain*: a shift register that runs down each column
every cycle, carrying the next block's preloaded matrix (WS weights, OS starting sums `D`) while the
current block computes, so a new block's preload overlaps the current block's compute.  The chain
is pure delay, the same for every column, so the `Mesh` keeps it as one register per chain position
holding that position of every column (a few wide registers instead of one narrow register per PE,
which is what a simulator pays for) and hands each PE its link.

Per-beat control (`PE_CONTROL`) travels with the data:

* ``ws``: this beat computes in WS (else OS);
* ``load``: first beat of a block that flips: the block starts from ``preload`` instead of ``acc``
  (WS: install ``preload`` as the new weight; OS: restart the sum from ``preload``);
* ``capture``: last beat of an OS block: copy the final sum into ``result``.

Per cycle, with ``base = load ? preload : acc``:

* OS: ``acc <= base + a*b`` and ``b_out = b_in`` (``b`` carries elements of the streamed operand);
* WS: ``acc <= base`` and ``b_out = b_in + a*base`` (``b`` carries the partial sums).

All sums wrap modulo 2**W_ACC: the partial-sum width inside the array is the accumulator width, with
no rounding, shift or saturation (ISA.md section 6 and section 12 rows 1-2).  A beat with ``a = 0``
and no control bits set changes nothing, which is how idle cycles are fed.

One difference from Spike: a WS block that does not flip right after an OS block multiplies by the
low `W_IN` bits of the OS sums (Spike would use the full `acc_t` sums as weights).  Programs always
flip (COMPUTE_PRELOADED) when they switch to WS, so this never shows.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..config import Dataflow, GemminiConfig

__all__ = ["PE", "PE_CONTROL", "ArrayWidths", "sign_extend"]

PE_CONTROL = data.StructLayout({"ws": 1, "load": 1, "capture": 1})


def sign_extend(value, width: int):
    """`value` (signed, narrower than `width`) widened to exactly `width` bits, written as an
    addition of a signed zero.

    A plain widening becomes a Verilog replication of the sign bit, which Verilator turns into a
    long chain of shifts and ors per bit; an arithmetic operator is sign-extended implicitly and
    compiles to one `VL_EXTENDS`.  (The zero costs nothing after synthesis.)"""
    return value + Const(0, signed(width - 1))


def _wrapping_product(a, b, width: int):
    """``a * b`` (both signed, at most `width` bits) modulo ``2**width``.

    When ``2*width`` fits a 64-bit word the operands are widened to `width` bits first and
    multiplied unsigned: the low `width` bits are the same, and Verilator then emits one native
    multiply with no sign-extension of the product (the exact ``2*W_IN``-bit product would have to
    be sign-extended again for every sum it enters).  Otherwise (a 64-bit accumulator) it is the
    exact signed product, which fits `width` bits."""
    if 2 * width > 64:
        return a * b

    def widened(value):
        return (sign_extend(value, width) if len(value) < width else value).as_unsigned()
    return (widened(a) * widened(b))[:width]


class ArrayWidths:
    """Bit widths of the values that move through the array, derived from a `GemminiConfig`."""

    def __init__(self, config: GemminiConfig):
        if not isinstance(config, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {config!r}")
        self.config = config
        self.has_os = config.has_os
        self.has_ws = config.has_ws
        self.both = config.dataflow is Dataflow.BOTH
        #: Elements of A, B, D and of preloaded matrices.
        self.input = config.input_bits
        #: Sums (OS accumulators, WS partial sums, results).
        self.acc = config.acc_bits
        #: The vertical `b` path: WS partial sums, or OS elements of B when the array has no WS.
        self.b = config.acc_bits if config.has_ws else config.input_bits
        #: The stationary register: OS sums need the accumulator width, WS weights the input width.
        self.stationary = config.acc_bits if config.has_os else config.input_bits
        #: Products only ever meet sums modulo 2**W_ACC, so they are computed modulo 2**W_ACC.
        self.product = config.acc_bits


class PE(wiring.Component):
    """A processing element for `config` (see the module docstring for the semantics).

    Ports: ``a`` (from the left), ``ctrl`` (`PE_CONTROL`), ``b_in``/``b_out``, ``preload`` (this
    PE's link of the preload chain) and, when the array supports OS, ``result_in``/``result_out``.
    ``result_out`` is the PE's own register; ``b_out`` is combinational.
    """

    def __init__(self, config: GemminiConfig):
        self.widths = w = ArrayWidths(config)
        members = {
            "a": In(signed(w.input)),
            "ctrl": In(PE_CONTROL),
            "b_in": In(signed(w.b)),
            "b_out": Out(signed(w.b)),
            "preload": In(signed(w.input)),
        }
        if w.has_os:
            members["result_in"] = In(signed(w.acc))
            members["result_out"] = Out(signed(w.acc))
        super().__init__(members)

    def elaborate(self, platform):
        w = self.widths
        m = Module()

        acc = Signal(signed(w.stationary))                   # reset: PE state is 0 (ISA.md s.5)

        # Which dataflow this beat uses (a constant unless the array supports both).
        ws = self.ctrl.ws if w.both else int(w.has_ws)
        base = Signal(signed(w.stationary))
        weight = Signal(signed(w.input))        # WS: the stationary weight (low W_IN bits of base)
        streamed = Signal(signed(w.input))      # OS: the element of B travelling down the b path
        product = Signal(signed(w.product))     # a * (weight or streamed), modulo 2**W_ACC
        acc_next = Signal(signed(w.stationary))
        m.d.comb += [
            base.eq(Mux(self.ctrl.load, sign_extend(self.preload, w.stationary), acc)),
            weight.eq(base),
            streamed.eq(self.b_in),
            product.eq(_wrapping_product(self.a, Mux(ws, weight, streamed), w.product)),
        ]
        if w.has_os and w.has_ws:
            m.d.comb += [acc_next.eq(base + Mux(ws, 0, product)),
                         self.b_out.eq(self.b_in + Mux(ws, product, 0))]
        elif w.has_os:
            m.d.comb += [acc_next.eq(base + product), self.b_out.eq(self.b_in)]
        else:
            m.d.comb += [acc_next.eq(base), self.b_out.eq(self.b_in + product)]
        m.d.sync += acc.eq(acc_next)

        if w.has_os:
            result = Signal(signed(w.acc), reset_less=True)
            m.d.sync += result.eq(Mux(self.ctrl.capture, acc_next, self.result_in))
            m.d.comb += self.result_out.eq(result)
        return m
