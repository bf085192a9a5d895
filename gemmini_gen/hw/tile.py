"""A Tile: a combinational grid of `tile_rows` x `tile_cols` PEs (Gemmini's Tile).

There are no pipeline registers inside a tile: ``a`` is broadcast along each PE row, and the
vertical paths (``b``, and the result chain through the PEs' own registers) run straight down each
PE column.  All PEs of a tile share one `PE_CONTROL` value, since a beat reaches every PE of a tile
in the same cycle.  Pipeline registers between tiles, and the preload chain's registers, belong to
the `Mesh`; the tile passes each PE its preload link.
"""

from __future__ import annotations

from amaranth.hdl import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..config import GemminiConfig
from .pe import PE, PE_CONTROL, ArrayWidths

__all__ = ["Tile"]


def _column_members(w: ArrayWidths, cols: int) -> dict:
    """In/Out pairs of the vertical paths of `cols` PE columns."""
    paths = {"b": signed(w.b)}
    if w.has_os:
        paths["result"] = signed(w.acc)
    members = {}
    for name, shape in paths.items():
        members[f"{name}_in"] = In(data.ArrayLayout(shape, cols))
        members[f"{name}_out"] = Out(data.ArrayLayout(shape, cols))
    return members


class Tile(wiring.Component):
    """`config.tile_rows` x `config.tile_cols` PEs.

    Ports: ``a`` (one element per PE row), ``ctrl``, ``preload`` (element ``[q][p]``: the preload
    link of the PE in row `q`, column `p`), and per PE column ``b_in``/``b_out`` and (OS)
    ``result_in``/``result_out``.  Element `q` of ``a`` feeds PE row `q`; element `p` of a column
    port belongs to PE column `p` (row 0 at the top).
    """

    def __init__(self, config: GemminiConfig):
        self.widths = w = ArrayWidths(config)
        self.rows, self.cols = config.tile_rows, config.tile_cols
        super().__init__({
            "a": In(data.ArrayLayout(signed(w.input), self.rows)),
            "ctrl": In(PE_CONTROL),
            "preload": In(data.ArrayLayout(data.ArrayLayout(signed(w.input), self.cols),
                                           self.rows)),
            **_column_members(w, self.cols),
        })

    def elaborate(self, platform):
        m = Module()
        chains = ["b"] + (["result"] if self.widths.has_os else [])
        for p in range(self.cols):
            above = {name: getattr(self, f"{name}_in")[p] for name in chains}
            for q in range(self.rows):
                pe = m.submodules[f"pe_{q}_{p}"] = PE(self.widths.config)
                m.d.comb += [pe.a.eq(self.a[q]), pe.ctrl.eq(self.ctrl),
                             pe.preload.eq(self.preload[q][p])]
                for name in chains:
                    m.d.comb += getattr(pe, f"{name}_in").eq(above[name])
                    above[name] = getattr(pe, f"{name}_out")
            for name in chains:
                m.d.comb += getattr(self, f"{name}_out")[p].eq(above[name])
        return m
