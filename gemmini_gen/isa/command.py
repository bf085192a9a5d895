"""`Command` (one funct7 + rs1 + rs2 triple) and local (scratchpad/accumulator) addresses."""

from __future__ import annotations

from typing import NamedTuple

from .table import GARBAGE, LOCAL_ADDRESS

__all__ = ["Command", "GARBAGE", "LocalAddr", "acc", "sp"]

_ROW = LOCAL_ADDRESS["row"]
_NORM = LOCAL_ADDRESS["norm_cmd"]
_FULL = LOCAL_ADDRESS["read_full"]
_ACCUMULATE = LOCAL_ADDRESS["accumulate"]
_ACC = LOCAL_ADDRESS["acc"]
# Plain ints for the properties below (they sit on the golden model's hot path).
_ROW_MASK = _ROW.mask << _ROW.lsb
_ACC_BIT, _ACCUMULATE_BIT, _FULL_BIT = (1 << f.lsb for f in (_ACC, _ACCUMULATE, _FULL))


class Command(NamedTuple):
    """One accelerator command: 7-bit funct and two 64-bit operands (the RoCC payload)."""

    funct: int
    rs1: int
    rs2: int

    def check(self) -> "Command":
        """This command, after checking that each part fits its width (ValueError otherwise)."""
        for name, value, bits in (("funct", self.funct, 7), ("rs1", self.rs1, 64),
                                  ("rs2", self.rs2, 64)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
                raise ValueError(f"{name} must be an unsigned {bits}-bit integer, got {value!r}")
        return self


class LocalAddr(int):
    """A 32-bit local address (ISA.md section 3), an int with named views of its fields."""

    __slots__ = ()

    @property
    def is_garbage(self) -> bool:
        return self == GARBAGE

    @property
    def is_acc(self) -> bool:
        return bool(self & _ACC_BIT)

    @property
    def accumulate(self) -> bool:
        return bool(self & _ACCUMULATE_BIT)

    @property
    def read_full(self) -> bool:
        return bool(self & _FULL_BIT)

    @property
    def norm_cmd(self) -> int:
        return _NORM.get(self)

    @property
    def row(self) -> int:
        """Bits [25:0]: the row index plus the garbage bits above ADDR_BITS."""
        return (self & _ROW_MASK) >> _ROW.lsb

    def __repr__(self) -> str:
        if self.is_garbage:
            return "GARBAGE"
        flags = "".join(f".{n}" for n, on in (("accumulate", self.accumulate),
                                                ("read_full", self.read_full)) if on)
        norm = f".norm{self.norm_cmd}" if self.norm_cmd else ""
        return f"{'acc' if self.is_acc else 'sp'}[{self.row}]{flags}{norm}"


def sp(row: int) -> LocalAddr:
    """Scratchpad row `row`."""
    return LocalAddr(_ROW.put(_row(row)))


def acc(row: int, accumulate: bool = False, read_full: bool = False) -> LocalAddr:
    """Accumulator row `row`; `accumulate` adds on writes, `read_full` reads raw acc_t on MVOUT."""
    return LocalAddr(_ACC.put(1) | _ACCUMULATE.put(int(accumulate)) | _FULL.put(int(read_full))
                     | _ROW.put(_row(row)))


def _row(row: int) -> int:
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row <= _ROW.mask:
        raise ValueError(f"row must be an integer in 0..{_ROW.mask}, got {row!r}")
    return row
