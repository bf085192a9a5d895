"""Text form of a program: a readable assembly that round-trips bit for bit.

```
.program gemm_64
.comment C = A @ B, weight stationary
.region A 0x1000 0x1000
config_ld            stride=64 block_stride=16 scale=1.0
mvin                 dram=A+0x40 sp[12] rows=4 cols=16
preload              bd=sp[0] bd_rows=16 bd_cols=16 c=acc[0].accumulate c_rows=16 c_cols=16
```

One command per line: the mnemonic, then the fields of the table in table order.  Local addresses
are `sp[row]`, `acc[row]` with `.accumulate`, `.read_full`, `.norm<n>` suffixes, or `garbage`; DRAM
addresses are `Region+offset` when they fall inside a region of the program (else hex, `0` = none);
one-bit flags are bare names when set; fp32 fields are the shortest decimal that round-trips (hex
bits for NaN).  Zero-valued counts are left out (absent = 0) except operand rows/cols.  Non-zero
reserved bits are kept as `rs1[h:l]=0x..`; a command with an unknown funct is
`raw funct=.. rs1=.. rs2=..`.
`#` starts a comment (ignored).  Canonical text (what `disassemble` writes) reassembles to the same
program and back to the same text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ..arith import f32_bits, f32_from_bits
from ..memory import Region
from .command import GARBAGE, Command, LocalAddr, acc, sp
from .layout import Field, Format, Kind
from .table import LOCAL_ADDRESS, format_named, format_of

if TYPE_CHECKING:
    from .program import Program

__all__ = ["AssemblyError", "assemble", "disassemble", "format_command"]

_MNEMONIC_WIDTH = 20
_ALWAYS = (Kind.LOCAL, Kind.ADDR, Kind.ENUM, Kind.FP32)
_LOCAL = re.compile(r"(sp|acc)\[(\d+)\]((?:\.\w+)*)\Z")
_RAW_KEY = re.compile(r"(rs[12])\[(\d+)(?::(\d+))?\]\Z")
_ADDR = re.compile(r"([A-Za-z_][\w.:/-]*)(?:\+(\w+))?\Z")


class AssemblyError(ValueError):
    """Malformed assembly text; the message names the line."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}")


# ------------------------------------------------------------------------------------------------
# Disassembler
# ------------------------------------------------------------------------------------------------
def _fp32_text(bits: int) -> str:
    value = f32_from_bits(bits)
    text = str(value)
    if np.isnan(value) or f32_bits(float(text)) != bits:
        return f"{bits:#010x}"
    return text


def _local_text(addr: int) -> str:
    if addr == GARBAGE:
        return "garbage"
    a = LocalAddr(addr)
    text = f"{'acc' if a.is_acc else 'sp'}[{a.row}]"
    text += ".accumulate" if a.accumulate else ""
    text += ".read_full" if a.read_full else ""
    return text + (f".norm{a.norm_cmd}" if a.norm_cmd else "")


def _addr_text(addr: int, regions: list[Region]) -> str:
    if addr == 0:
        return "0"
    for region in regions:
        if region.base <= addr < region.end:
            offset = addr - region.base
            return region.name if offset == 0 else f"{region.name}+{offset:#x}"
    return f"{addr:#x}"


def _value_text(field: Field, bits: int, regions: list[Region]) -> str:
    kind = field.kind
    if kind is Kind.LOCAL:
        return _local_text(bits)
    if kind is Kind.ADDR:
        return _addr_text(bits, regions)
    if kind is Kind.FP32:
        return _fp32_text(bits)
    if kind is Kind.ENUM:
        return field.names[bits] if bits < len(field.names) else str(bits)
    if kind is Kind.SINT:
        return str(bits - (1 << field.width) if bits >> (field.width - 1) else bits)
    if kind in (Kind.HEX, Kind.IGNORED, Kind.RESERVED):
        return f"{bits:#x}"
    return str(bits)


def _always_shown(fmt: Format, field: Field) -> bool:
    has_operands = any(f.kind is Kind.LOCAL for _, f in fmt.fields())
    return field.kind in _ALWAYS or (has_operands and field.kind is Kind.UINT)


def format_command(cmd: Command, regions: list[Region] = ()) -> str:
    """One line of assembly for `cmd` (DRAM addresses shown relative to `regions`)."""
    funct, rs1, rs2 = cmd
    fmt = format_of(funct, rs1)
    if fmt is None:
        return f"{'raw':<{_MNEMONIC_WIDTH}} funct={funct} rs1={rs1:#x} rs2={rs2:#x}"
    words = {"rs1": rs1, "rs2": rs2}
    tokens = []
    for reg, field in fmt.declared_fields():
        bits = field.get(words[reg])
        if field.kind is Kind.CONST:
            continue
        if field.kind is Kind.BOOL:
            if bits:
                tokens.append(field.name)
        elif field.kind is Kind.LOCAL and field.name == "local":
            tokens.append(_local_text(bits))
        elif bits or _always_shown(fmt, field):
            tokens.append(f"{field.name}={_value_text(field, bits, regions)}")
    for reg, field in fmt.fields():
        bits = field.get(words[reg])
        if field.kind is Kind.RESERVED and bits:
            tokens.append(f"{reg}{field.bits}={bits:#x}")
    return f"{fmt.name:<{_MNEMONIC_WIDTH}} {' '.join(tokens)}".rstrip()


def disassemble(program: "Program") -> str:
    """The canonical text of `program`."""
    lines = []
    if program.name:
        lines.append(f".program {program.name}")
    if program.comment:
        lines.extend(f".comment {line}" if line else ".comment"
                     for line in program.comment.split("\n"))
    for region in program.regions:
        lines.append(f".region {region.name} {region.base:#x} {region.size:#x}")
    lines.extend(format_command(cmd, program.regions) for cmd in program.commands)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# Assembler
# ------------------------------------------------------------------------------------------------
def _int(text: str) -> int:
    return int(text, 0)


def _parse_local(text: str) -> int:
    if text == "garbage":
        return GARBAGE
    m = _LOCAL.match(text)
    if not m:
        raise ValueError(f"bad local address {text!r} (expected sp[row], acc[row]... or garbage)")
    kind, row, suffixes = m.group(1), int(m.group(2)), m.group(3)
    flags = {"accumulate": False, "read_full": False}
    norm = 0
    for suffix in filter(None, suffixes.split(".")):
        if suffix in flags and not flags[suffix]:
            flags[suffix] = True
        elif re.fullmatch(r"norm[1-7]", suffix) and not norm:
            norm = int(suffix[4:])
        else:
            raise ValueError(f"bad local address suffix .{suffix} in {text!r}")
    base = acc(row, **flags) if kind == "acc" else sp(row) | (
        LOCAL_ADDRESS["accumulate"].put(flags["accumulate"])
        | LOCAL_ADDRESS["read_full"].put(flags["read_full"]))
    return base | LOCAL_ADDRESS["norm_cmd"].put(norm)


def _parse_addr(text: str, regions: dict[str, Region]) -> int:
    if text[0].isdigit():
        return _int(text)
    m = _ADDR.match(text)
    if not m or m.group(1) not in regions:
        raise ValueError(f"unknown region in address {text!r}")
    return regions[m.group(1)].base + (_int(m.group(2)) if m.group(2) else 0)


def _parse_value(field: Field, text: str, regions: dict[str, Region]) -> int:
    kind = field.kind
    if kind is Kind.LOCAL:
        return _parse_local(text)
    if kind is Kind.ADDR:
        return _parse_addr(text, regions)
    if kind is Kind.FP32:
        return _int(text) if text.lower().startswith("0x") else f32_bits(float(text))
    if kind is Kind.ENUM and not text[0].isdigit():
        names = [n.upper() for n in field.names]
        if text.upper() not in names:
            choices = ", ".join(field.names)
            raise ValueError(f"unknown {field.name} {text!r} (choose from {choices})")
        return names.index(text.upper())
    value = _int(text)
    if kind is Kind.SINT and value < 0:
        value += 1 << field.width
    return value


def _assemble_line(fmt: Format, tokens: list[str], regions: dict[str, Region]) -> Command:
    named = {f.name: (reg, f) for reg, f in fmt.fields() if f.is_named}
    words = {"rs1": 0, "rs2": 0}
    seen: set[str] = set()

    def put(reg: str, field: Field, value: int, key: str) -> None:
        if key in seen:
            raise ValueError(f"{key} given twice")
        seen.add(key)
        if not 0 <= value <= field.mask:
            raise ValueError(f"{key}={value} does not fit in {field.width} bits")
        words[reg] |= value << field.lsb

    for token in tokens:
        key, eq, text = token.partition("=")
        raw = _RAW_KEY.match(key)
        if not eq:
            if key in named and named[key][1].kind is Kind.BOOL:
                put(*named[key], 1, key)
            elif "local" in named and (key == "garbage" or _LOCAL.match(key)):
                put(*named["local"], _parse_local(key), "local")
            else:
                raise ValueError(f"unexpected token {token!r}")
        elif raw:
            reg, hi = raw.group(1), int(raw.group(2))
            lo = int(raw.group(3)) if raw.group(3) is not None else hi
            layout = fmt.rs1 if reg == "rs1" else fmt.rs2
            match = [f for f in layout if f.kind is Kind.RESERVED and (f.msb, f.lsb) == (hi, lo)]
            if not match:
                raise ValueError(f"{key} is not a reserved field of {fmt.name}")
            put(reg, match[0], _int(text), key)
        elif key in named:
            put(*named[key], _parse_value(named[key][1], text, regions), key)
        else:
            raise ValueError(f"{fmt.name} has no field {key!r}")
    if fmt.selector is not None:
        words["rs1"] |= fmt.selector.put(fmt.selector.const)
    return Command(fmt.funct, words["rs1"], words["rs2"])


def _assemble_raw(tokens: list[str]) -> Command:
    values = dict(token.partition("=")[::2] for token in tokens)
    if sorted(values) != ["funct", "rs1", "rs2"] or len(tokens) != 3:
        raise ValueError("raw needs exactly funct=, rs1= and rs2=")
    return Command(_int(values["funct"]), _int(values["rs1"]), _int(values["rs2"])).check()


def assemble(text: str):
    """Parse assembly text into a `Program` (raises `AssemblyError` naming the line)."""
    from .program import Program

    name, comment_lines = "", []
    regions: dict[str, Region] = {}
    commands: list[Command] = []
    for number, line in enumerate(text.split("\n"), start=1):
        directive = line.split(" ", 1)[0]
        if directive == ".comment":
            comment_lines.append(line[len(".comment "):])
            continue
        if directive == ".program":
            name = line[len(".program "):].strip()
            continue
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        tokens = body.split()
        try:
            if tokens[0] == ".region":
                if len(tokens) != 4:
                    raise ValueError(".region needs a name, a base and a size")
                if tokens[1] in regions:
                    raise ValueError(f"region {tokens[1]!r} defined twice")
                regions[tokens[1]] = Region(tokens[1], _int(tokens[2]), _int(tokens[3]))
            elif tokens[0].startswith("."):
                raise ValueError(f"unknown directive {tokens[0]!r}")
            elif tokens[0] == "raw":
                commands.append(_assemble_raw(tokens[1:]))
            else:
                try:
                    fmt = format_named(tokens[0])
                except KeyError:
                    raise ValueError(f"unknown instruction {tokens[0]!r}") from None
                commands.append(_assemble_line(fmt, tokens[1:], regions))
        except ValueError as e:
            raise AssemblyError(number, str(e)) from None
    return Program(commands, list(regions.values()), name=name, comment="\n".join(comment_lines))

