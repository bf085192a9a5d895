"""Area weights: NAND2 equivalents (GE) per Yosys gate-level cell, and per SRAM bit.

Logic.  Generic synthesis ends in Yosys's internal gate library (`$_AND_`, `$_MUX_`, `$_DFFE_PP_`,
...).  Each cell is weighted by the area of the matching X1 cell of the NanGate 45 nm Open Cell
Library divided by its NAND2_X1 (0.798 um^2), rounded to a third:

    NOT 0.67 (INV_X1 0.532)   NAND2, NOR2, BUF 1   AND2, OR2, AOI21, OAI21 1.33 (1.064)
    AOI22, OAI22 1.67 (1.330) XOR2, XNOR2 2 (1.596) MUX2 2.33 (1.862)
    DFF 5.67 (DFF_X1 4.522)   DFF with async reset 6.67 (DFFR_X1 5.320)   latch 2.33 (DLH_X1)

Yosys's ANDNOT/ORNOT (one input inverted) count as an AND2/OR2.  A flip-flop's synchronous
reset/set adds an AND2/OR2 (1.33), a clock enable a MUX2 (2.33), an async set-and-reset flop is
DFFRS_X1 (8.0).  Wide multiplexers $_MUX4_/8/16 count as 3/7/15 MUX2s.

SRAM.  Memories that synthesis keeps as macros (`yosys.SRAM_MIN_DEPTH`) count `sram_bit` GE per
bit for one port, plus `sram_extra_port` of that per additional port: a 6T bit cell with its
periphery in a small macro is about 0.6 um^2 in 45 nm (~0.75 GE); every extra port adds
word/bit lines and a wider cell.  These are proxies for ranking design points, not a layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .yosys import AreaToolError, Memory

__all__ = ["AreaWeights", "DEFAULT_WEIGHTS"]

_GATES = {
    "$_NOT_": 2 / 3, "$_BUF_": 1.0, "$_NAND_": 1.0, "$_NOR_": 1.0,
    "$_AND_": 4 / 3, "$_OR_": 4 / 3, "$_ANDNOT_": 4 / 3, "$_ORNOT_": 4 / 3,
    "$_XOR_": 2.0, "$_XNOR_": 2.0, "$_MUX_": 7 / 3, "$_NMUX_": 7 / 3,
    "$_AOI3_": 4 / 3, "$_OAI3_": 4 / 3, "$_AOI4_": 5 / 3, "$_OAI4_": 5 / 3,
    "$_MUX4_": 3 * 7 / 3, "$_MUX8_": 7 * 7 / 3, "$_MUX16_": 15 * 7 / 3,
}
DFF, DFF_ASYNC, DFF_SET_RESET, LATCH = 17 / 3, 20 / 3, 8.0, 7 / 3
SYNC_RESET, ENABLE = 4 / 3, 7 / 3

# Flip-flop families: $_DFF_P_, $_DFF_PN0_ (async reset), $_DFFE_PP_, $_DFFE_PN0P_,
# $_SDFF_PP0_, $_SDFFE_PP0P_, $_SDFFCE_PP0P_, $_DFFSR_PNN_, $_DFFSRE_PNNP_, $_ALDFF_PP_, ...
_FLOP = re.compile(r"^\$_(DFF|DFFE|SDFF|SDFFE|SDFFCE|DFFSR|DFFSRE|ALDFF|ALDFFE)_([PN01]+)_$")
_LATCH = re.compile(r"^\$_(DLATCH|DLATCHSR|SR)_[PN01]+_$")


def _flop_weight(kind: str, polarities: str) -> float:
    if kind in ("DFFSR", "DFFSRE"):
        base = DFF_SET_RESET
    elif kind.startswith("ALDFF") or (kind in ("DFF", "DFFE") and len(polarities) >= 3):
        base = DFF_ASYNC                  # async reset / load: $_DFF_PN0_, $_DFFE_PN0P_
    else:
        base = DFF
    if kind.startswith("S"):
        base += SYNC_RESET
    if kind.endswith("E"):
        base += ENABLE
    return base


@dataclass(frozen=True)
class AreaWeights:
    """GE per SRAM bit for one port, and the extra fraction per additional port."""

    sram_bit: float = 0.75
    sram_extra_port: float = 0.5

    def cell(self, kind: str) -> float:
        """GE of one gate-level cell of Yosys type `kind`."""
        if kind in _GATES:
            return _GATES[kind]
        flop = _FLOP.match(kind)
        if flop:
            return _flop_weight(*flop.groups())
        if _LATCH.match(kind):
            return LATCH
        raise AreaToolError(f"no area weight for cell type {kind}")

    def logic(self, cells: dict[str, int]) -> float:
        return sum(self.cell(kind) * count for kind, count in cells.items())

    def memory(self, memory: Memory) -> float:
        ports = memory.read_ports + memory.write_ports
        return memory.bits * self.sram_bit * (1 + self.sram_extra_port * max(0, ports - 1))

    def flops(self, cells: dict[str, int]) -> int:
        """How many of `cells` are flip-flops or latches."""
        return sum(n for kind, n in cells.items() if _FLOP.match(kind) or _LATCH.match(kind))


DEFAULT_WEIGHTS = AreaWeights()
