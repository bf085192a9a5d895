"""The transposer: a buffer of DIM x DIM blocks that can store each incoming row as a column.

Operands reach the array as the rows a program stored, but the array sometimes needs the transpose
(OS consumes A by columns; ``a_transpose``/``b_transpose`` hand over transposed operands).  Gemmini
passes such an operand through a systolic transposer in front of the array; here the transposition
happens while a block is written into the buffer the wrapper keeps anyway, so it costs no extra
cycles, tolerates gaps between rows, and works for every operand.

Storage: `dim` narrow memories (one element wide, ``slots*dim`` deep).  Element ``(row, e)`` of a
block lives in memory ``(row + e) % dim`` at address ``slot*dim + row``.  A plain row write then
touches every memory once at one address (data rotated by `row`); a transposed write of incoming row
`r` puts element `c` at ``(c, r)``: memory ``(c + r) % dim`` again (same rotation), at address
``slot*dim + c``, a different address per memory.  A row read uses one address in every memory and
rotates the data back.  Without `transposable` it is a single memory of whole rows.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["TransposingBuffer", "buffer_module_name", "buffer_signature", "rotated"]


def rotated(m: Module, values, amount, *, right: bool, name: str):
    """`values` (a view of an `ArrayLayout` of `n` elements, `n` a power of two) rotated by `amount`:
    ``out[i] = values[(i - amount) % n]`` to the right, ``values[(i + amount) % n]`` to the left.
    A barrel rotator: stage `s` rotates by ``2**s`` elements when bit `s` of `amount` is set."""
    layout = values.shape()
    width = data.ArrayLayout(layout.elem_shape, 1).size
    stage = values.as_value()
    for s in range((layout.length - 1).bit_length()):
        bits = (1 << s) * width
        turned = stage.rotate_left(bits) if right else stage.rotate_right(bits)
        nxt = Signal(len(stage), name=f"{name}_{s}")
        m.d.comb += nxt.eq(Mux(amount[s], turned, stage))
        stage = nxt
    return data.View(layout, stage)


def buffer_signature(dim: int, elem_shape, slots: int) -> wiring.Signature:
    """The ports of a `TransposingBuffer` (the same with and without `transposable`)."""
    row = data.ArrayLayout(elem_shape, dim)        # also rejects an invalid elem_shape
    address = {"slot": range(slots), "row": range(dim)}
    return wiring.Signature({
        "write": In(data.StructLayout({"en": 1, **address, "transpose": 1, "data": row})),
        "read": In(data.StructLayout(address)),
        "read_data": Out(row),
    })


def buffer_module_name(dim: int, elem_shape, slots: int, transposable: bool) -> str:
    """The Verilog module name of a `TransposingBuffer` with these parameters."""
    width = data.ArrayLayout(elem_shape, 1).size
    return f"gemmini_operand_buffer_d{dim}_w{width}_s{slots}_{'t' if transposable else 'rows'}"


class TransposingBuffer(wiring.Component):
    """`slots` blocks of `dim` x `dim` elements of `elem_shape`.

    * ``write`` (In): when ``en``, store ``data`` as row ``row`` of block ``slot``, or, when
      ``transpose``, as column ``row`` (element ``c`` of ``data`` becomes element ``row`` of row ``c``).
    * ``read`` (In) / ``read_data`` (Out): every cycle, row ``read.row`` of block ``read.slot``
      appears on ``read_data`` one cycle later.  A read in the cycle of a write to the same element
      returns the old value.
    """

    def __init__(self, dim: int, elem_shape, slots: int, *, transposable: bool = True):
        if not isinstance(dim, int) or dim < 2 or dim & (dim - 1):
            raise ValueError(f"dim must be a power of two >= 2, got {dim!r}")
        if not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a positive integer, got {slots!r}")
        self.dim, self.slots, self.transposable = dim, slots, transposable
        self.elem_shape = elem_shape
        super().__init__(buffer_signature(dim, elem_shape, slots))

    @property
    def module_name(self) -> str:
        """Name of this buffer's Verilog module when converted on its own."""
        return buffer_module_name(self.dim, self.elem_shape, self.slots, self.transposable)

    def elaborate(self, platform):
        m = Module()
        if self.transposable:
            self._elaborate_diagonal(m)
        else:
            m.submodules.rows = rows = Memory(shape=self.read_data.shape(),
                                              depth=self.slots * self.dim, init=[])
            wp, rp = rows.write_port(), rows.read_port()
            m.d.comb += [wp.en.eq(self.write.en), wp.addr.eq(Cat(self.write.row, self.write.slot)),
                         wp.data.eq(self.write.data),
                         rp.addr.eq(Cat(self.read.row, self.read.slot)),
                         self.read_data.eq(rp.data)]
        return m

    def _elaborate_diagonal(self, m: Module):
        dim, wr = self.dim, self.write
        stored = rotated(m, wr.data, wr.row, right=True, name="write_rotation")
        fetched = Signal(self.read_data.shape())
        read_row = Signal(range(dim))          # the row whose data arrives this cycle
        m.d.sync += read_row.eq(self.read.row)
        for k in range(dim):
            mem = m.submodules[f"diagonal_{k}"] = Memory(shape=self.elem_shape,
                                                         depth=self.slots * dim, init=[])
            wp, rp = mem.write_port(), mem.read_port()
            column_row = Signal(range(dim), name=f"column_row_{k}")   # (k - r) % dim
            m.d.comb += [
                column_row.eq(k - wr.row),
                wp.en.eq(wr.en),
                wp.addr.eq(Cat(Mux(wr.transpose, column_row, wr.row), wr.slot)),
                wp.data.eq(stored[k]),
                rp.addr.eq(Cat(self.read.row, self.read.slot)),
                fetched[k].eq(rp.data),
            ]
        m.d.comb += self.read_data.eq(rotated(m, fetched, read_row, right=False,
                                              name="read_rotation"))
