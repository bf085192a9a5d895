"""Decoder: `decode(cmd, cfg)` -> a typed record (one frozen dataclass per format of the table).

The record classes are generated from `FORMATS`: `decode(mvin(...)).rows`, `.local` (a `LocalAddr`),
`.dram`, `.name == "mvin"`.  Values are Python values: bools for flags, floats for fp32 fields,
signed ints for signed fields, `LocalAddr` for local addresses, ints otherwise.  `.command` keeps
the raw bits.  With a config, `decode` also runs the static checks of `checks.py` and raises
`IllegalInstruction` naming the command index and the field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..arith import f32_from_bits
from .checks import check_static
from .command import Command, LocalAddr
from .errors import IllegalInstruction
from .layout import Field, Format, Kind
from .table import FORMATS, format_of

if TYPE_CHECKING:
    from ..config import GemminiConfig

__all__ = ["Instruction", "RECORD_TYPES", "decode", "field_value"]

# funct values that exist only in Gemmini's RTL (ISA.md section 4.1): named in the error message.
_RTL_ONLY = {22: "CLKGATE_EN", 23: "STORE_SPAD", 24: "LOOP_WS_CONFIG_SPAD_AB",
             25: "LOOP_WS_CONFIG_SPAD_C"}


@dataclass(frozen=True)
class Instruction:
    """Base of the decoded records: `.name`, `.format`, `.command` plus the format's fields."""

    format: ClassVar[Format]
    command: Command

    @property
    def name(self) -> str:
        return self.format.name

    @property
    def funct(self) -> int:
        return self.format.funct


def field_value(field: Field, bits: int):
    """The Python value of a field's raw bits."""
    kind = field.kind
    if kind is Kind.LOCAL:
        return LocalAddr(bits)
    if kind is Kind.BOOL:
        return bool(bits)
    if kind is Kind.FP32:
        return float(f32_from_bits(bits))
    if kind is Kind.SINT and bits >> (field.width - 1):
        return bits - (1 << field.width)
    return bits


def _record_type(fmt: Format) -> type[Instruction]:
    names = [f.name for _, f in fmt.declared_fields() if f.is_named]
    class_name = "".join(part.capitalize() for part in fmt.name.split("_"))
    cls = dataclasses.make_dataclass(class_name, names, bases=(Instruction,), frozen=True)
    cls.format = fmt
    cls.name = fmt.name          # a plain class attribute: cheaper than the base property
    cls.__doc__ = f"Decoded {fmt.name.upper()} (funct {fmt.funct}): {fmt.doc}."
    return cls


RECORD_TYPES: dict[str, type[Instruction]] = {fmt.name: _record_type(fmt) for fmt in FORMATS}

# Per format: (register index, field) of the named fields, in record order.
_PLAN = {fmt.name: [(0 if reg == "rs1" else 1, f)
                    for reg, f in fmt.declared_fields() if f.is_named]
         for fmt in FORMATS}


def decode(cmd: Command | tuple[int, int, int], cfg: "GemminiConfig | None" = None,
           index: int | None = None) -> Instruction:
    """Decode one command.  With `cfg`, also check it statically (reserved bits, operand limits,
    address ranges, features of the config) and raise `IllegalInstruction` on violation."""
    cmd = Command(*cmd)
    fmt = format_of(cmd.funct, cmd.rs1)
    if fmt is None:
        rtl_only = _RTL_ONLY.get(cmd.funct)
        extra = f" (RTL-only {rtl_only}, not supported)" if rtl_only else ""
        raise IllegalInstruction(index, "funct", f"unknown funct {cmd.funct}{extra}")
    words = (cmd.rs1, cmd.rs2)
    values = [field_value(f, f.get(words[reg])) for reg, f in _PLAN[fmt.name]]
    inst = RECORD_TYPES[fmt.name](cmd, *values)
    if cfg is not None:
        check_static(inst, cfg, index)
    return inst
