"""Building blocks of the ISA's bit-layout table: `Field`, `Layout` (one 64- or 32-bit word) and
`Format` (one command: funct + the layouts of rs1 and rs2).

A `Layout` covers every bit of its word exactly once: bits no declared field names become
`reserved_<hi>_<lo>` fields (must be zero).  That makes each layout directly usable as an
Amaranth `StructLayout` (`layout.spans()` lists (name, lsb, width) in bit order) without importing
Amaranth here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["Field", "Format", "Kind", "Layout"]


class Kind(enum.Enum):
    """How a field's bits are interpreted (decoded value, text form, checks)."""

    UINT = "uint"          # unsigned count/size, written in decimal
    HEX = "hex"            # unsigned raw value, written in hex
    SINT = "sint"          # two's complement integer
    BOOL = "bool"          # one-bit flag, written 0/1
    ENUM = "enum"          # small code with names (`Field.names`)
    FP32 = "fp32"          # IEEE-754 single-precision bits
    ADDR = "addr"          # DRAM byte address (0 = zeros/absent), written region+offset
    LOCAL = "local"        # 32-bit scratchpad/accumulator address (ISA.md section 3)
    CONST = "const"        # selector bits with a fixed value (`Field.const`)
    RESERVED = "reserved"  # must be zero
    IGNORED = "ignored"    # any value, no effect (kept bit-exact by text/binary forms)


@dataclass(frozen=True)
class Field:
    """`width` bits starting at bit `lsb` of one register."""

    name: str
    lsb: int
    width: int
    kind: Kind = Kind.UINT
    doc: str = ""
    names: tuple[str, ...] = ()     # ENUM: names of codes 0, 1, ... (shorter than 2**width is fine)
    const: int = 0                  # CONST: the required value

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @cached_property
    def mask(self) -> int:
        return (1 << self.width) - 1

    @property
    def bits(self) -> str:
        """`[h:l]` (or `[b]`) as in the spec."""
        return f"[{self.msb}:{self.lsb}]" if self.width > 1 else f"[{self.lsb}]"

    @property
    def is_named(self) -> bool:
        """A field with a meaning of its own (not auto-filled reserved bits or a selector)."""
        return self.kind not in (Kind.RESERVED, Kind.CONST)

    def get(self, word: int) -> int:
        return (word >> self.lsb) & self.mask

    def put(self, value: int) -> int:
        return (value & self.mask) << self.lsb


class Layout:
    """The fields of one register word, in bit order, covering all `width` bits."""

    def __init__(self, name: str, fields: list[Field] | tuple[Field, ...], width: int = 64):
        self.name = name
        self.width = width
        declared = sorted(fields, key=lambda f: f.lsb)
        filled: list[Field] = []
        pos = 0
        for f in declared:
            if f.lsb < pos:
                raise ValueError(f"layout {name}: field {f.name} overlaps the previous field")
            if f.lsb > pos:
                filled.append(_reserved(pos, f.lsb - 1))
            filled.append(f)
            pos = f.lsb + f.width
        if pos > width:
            raise ValueError(f"layout {name}: fields exceed {width} bits")
        if pos < width:
            filled.append(_reserved(pos, width - 1))
        names = [f.name for f in filled]
        if len(set(names)) != len(names):
            raise ValueError(f"layout {name}: duplicate field names")
        self.fields: tuple[Field, ...] = tuple(filled)
        self.declared: tuple[Field, ...] = tuple(fields)     # the table's order (text form, docs)
        self._by_name = {f.name: f for f in filled}

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.fields)

    def spans(self) -> list[tuple[str, int, int]]:
        """(name, lsb, width) of every field in bit order (sizes add up to the word width)."""
        return [(f.name, f.lsb, f.width) for f in self.fields]

    def as_dict(self) -> dict[str, tuple[int, int]]:
        """field name -> (lsb, width), e.g. for building an Amaranth StructLayout."""
        return {f.name: (f.lsb, f.width) for f in self.fields}

    def unpack(self, word: int) -> dict[str, int]:
        return {f.name: f.get(word) for f in self.fields}

    def pack(self, values: dict[str, int]) -> int:
        """The word with each field set from `values` (missing fields are 0, CONST fields their
        constant); a value that does not fit its field raises ValueError."""
        word = 0
        for f in self.fields:
            value = f.const if f.kind is Kind.CONST else values.get(f.name, 0)
            if not 0 <= value <= f.mask:
                raise ValueError(f"{f.name}={value} does not fit in {f.width} bits")
            word |= value << f.lsb
        return word


def _reserved(lo: int, hi: int) -> Field:
    return Field(f"reserved_{hi}_{lo}", lo, hi - lo + 1, Kind.RESERVED, "reserved, must be 0")


@dataclass(frozen=True)
class Format:
    """One command: its mnemonic, funct7, the layouts of rs1 and rs2 and where it comes from."""

    name: str
    funct: int
    rs1: Layout
    rs2: Layout
    doc: str
    c_macro: str = ""
    queue: str = ""
    selector: Field | None = field(default=None)   # CONST field of rs1 that tells formats apart

    def fields(self):
        """(register, Field) for every field of rs1 then rs2, in bit order."""
        return [("rs1", f) for f in self.rs1] + [("rs2", f) for f in self.rs2]

    def declared_fields(self):
        """(register, Field) for the declared fields of rs1 then rs2, in table order."""
        return [("rs1", f) for f in self.rs1.declared] + [("rs2", f) for f in self.rs2.declared]

    def matches(self, rs1: int) -> bool:
        return self.selector is None or self.selector.get(rs1) == self.selector.const
