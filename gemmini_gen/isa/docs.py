"""Markdown tables of the ISA's bit layouts, generated from the table (the docs cannot drift).

`docs/isa.md` holds the output between the markers below; `tests/isa/test_docs.py` checks it is
current.  Regenerate with:

    python -m gemmini_gen.isa.docs docs/isa.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import GemminiConfig
from .layout import Format, Kind, Layout
from .table import FORMATS, LOCAL_ADDRESS, local_address_layout

__all__ = ["BEGIN", "END", "render_tables", "update_file"]

BEGIN = "<!-- BEGIN GENERATED BIT LAYOUTS (python -m gemmini_gen.isa.docs docs/isa.md) -->"
END = "<!-- END GENERATED BIT LAYOUTS -->"


def _meaning(field) -> str:
    text = field.doc
    if field.kind is Kind.ENUM:
        codes = ", ".join(f"{i} {name}" for i, name in enumerate(field.names))
        text = f"{text} ({codes})" if text else codes
    if field.kind is Kind.CONST:
        text = f"{text}; = {field.const}"
    return text.replace("|", "\\|")


def _rows(reg: str, layout: Layout) -> list[str]:
    return [f"| {reg} | {f.bits} | `{f.name}` | {f.kind.value} | {_meaning(f)} |"
            for f in reversed(layout.fields)]


def _format_section(fmt: Format) -> list[str]:
    select = f", rs1{fmt.selector.bits} = {fmt.selector.const}" if fmt.selector else ""
    lines = [f"#### `{fmt.name}` (funct {fmt.funct}{select})", ""]
    source = f" C: `{fmt.c_macro}`." if fmt.c_macro else ""
    queue = f" Queue: {fmt.queue}." if fmt.queue else ""
    lines += [f"{fmt.doc[0].upper()}{fmt.doc[1:]}.{queue}{source}", ""]
    lines += ["| Reg | Bits | Field | Kind | Meaning |", "|---|---|---|---|---|"]
    lines += _rows("rs1", fmt.rs1) + _rows("rs2", fmt.rs2)
    return lines + [""]


def render_tables() -> str:
    """The generated part of docs/isa.md."""
    cfg = GemminiConfig()
    lines = ["### Local address (32 bits)", "",
             "| Reg | Bits | Field | Kind | Meaning |", "|---|---|---|---|---|"]
    lines += _rows("addr", LOCAL_ADDRESS)
    lines += ["", f"As the hardware of the default config decodes it (ADDR_BITS = {cfg.addr_bits}, "
                  f"`local_address_layout(cfg.addr_bits)`):", "",
              "| Reg | Bits | Field | Kind | Meaning |", "|---|---|---|---|---|"]
    lines += _rows("addr", local_address_layout(cfg.addr_bits))
    lines += ["", "`GARBAGE` = `0xFFFFFFFF` (the whole word).", "", "### Commands", ""]
    for fmt in sorted(FORMATS, key=lambda f: (f.funct, f.selector.const if f.selector else 0)):
        lines += _format_section(fmt)
    return "\n".join(lines).rstrip() + "\n"


def update_file(path: Path) -> bool:
    """Rewrite the generated section of `path`; returns whether anything changed."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: missing the generated-section markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{render_tables()}{END}{tail}"
    if new != text:
        path.write_text(new)
    return new != text


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gemmini_gen.isa.docs docs/isa.md", file=sys.stderr)
        return 2
    changed = update_file(Path(argv[0]))
    print(f"{argv[0]}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
