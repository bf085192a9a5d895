"""A component as RTLIL text for Yosys, with identical modules merged.

`design_texts` converts a component (module ``top``) and every module it instantiates separately
(``verilog_modules()``, the array's cells, see `gemmini_gen.hw.hierarchy`).  Amaranth emits one
RTLIL module per submodule *instance*: the accumulator's DIM fp32 scalers or the load path's row
scaler units are DIM identical modules.  `merge_identical_modules` keeps one of each and points
every instance at it, so Yosys synthesizes each distinct module once and the cell counts are
multiplied by the instance counts (`yosys.rollup`); synthesis is per module, never flattened.
"""

from __future__ import annotations

import re

from amaranth.back import rtlil
from amaranth.lib import wiring

from ..emit import _ports          # the component's ports, as `gemmini-gen` emits them

__all__ = ["design_texts", "merge_identical_modules"]

_MODULE = re.compile(r"^((?:attribute [^\n]*\n)*)module (\S+)\n(.*?)^end\n", re.M | re.S)
_CELL = re.compile(r"^(\s*cell )(\\\S+)( )", re.M)


def design_texts(top: wiring.Component, keep: tuple[str, ...] = ()) -> tuple[str, str]:
    """(RTLIL of `top` as module ``top`` and of the components it instantiates, merged -- the
    modules named in `keep` are never merged away; the hand-written Verilog modules it
    instantiates, the `verilog_modules()` entries given as text such as `hw.bank_storage`'s, or
    '' when there are none)."""
    modules = sorted(getattr(top, "verilog_modules", dict)().items())
    parts = [rtlil.convert(top, name="top", ports=_ports(top), emit_src=False)]
    parts += [rtlil.convert(component, name=name, ports=_ports(component), emit_src=False)
              for name, component in modules if not isinstance(component, str)]
    verilog = "".join(text for _, text in modules if isinstance(text, str))
    return merge_identical_modules("".join(parts), keep), verilog


def merge_identical_modules(text: str, keep: tuple[str, ...] = ()) -> str:
    """Replace every module whose body equals an earlier module's (after the same replacement
    inside it) by that module, except those named in `keep`.  Repeats until nothing changes, so
    identical subtrees merge bottom-up."""
    while True:
        blocks = [(m.group(1), m.group(2), m.group(3)) for m in _MODULE.finditer(text)]
        canonical: dict[str, str] = {}
        rename: dict[str, str] = {}
        for _, name, body in blocks:
            if name.lstrip("\\") in keep:
                continue
            first = canonical.setdefault(body, name)
            if first != name:
                rename[name] = first
        if not rename:
            return text
        kept = []
        for attributes, name, body in blocks:
            if name in rename:
                continue
            body = _CELL.sub(lambda m: m.group(1) + rename.get(m.group(2), m.group(2))
                             + m.group(3), body)
            kept.append(f"{attributes}module {name}\n{body}end\n")
        text = "".join(kept)
