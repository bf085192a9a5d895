"""The C side of gemmini-gen: headers for C programs and the host shim that runs them.

* `render_isa_header()`: ``gemmini.h``, Gemmini's instruction macros generated from the ISA table
  (`isa_header`);
* `write_headers(cfg, directory)`: ``gemmini_params.h`` and ``gemmini.h`` for one config
  (also ``python -m gemmini_gen.software``);
* `gemmini_gen.software.shim`: the Python server behind ``software/shim/gemmini_shim.c``, which
  runs a native C program's commands on the golden model or the RTL (docs/software.md).
"""

from __future__ import annotations

from pathlib import Path

from ..config import GemminiConfig
from ..header import render_params_header
from .isa_header import render_isa_header

__all__ = ["HEADER_FILES", "render_isa_header", "write_headers"]

#: The C headers a design point gets, in include order.
HEADER_FILES = ("gemmini_params.h", "gemmini.h")


def write_headers(cfg: GemminiConfig, directory: str | Path) -> list[Path]:
    """Write ``gemmini_params.h`` and ``gemmini.h`` for `cfg` into `directory` (created if needed);
    return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    texts = {"gemmini_params.h": render_params_header(cfg), "gemmini.h": render_isa_header()}
    paths = []
    for name in HEADER_FILES:
        path = directory / name
        path.write_text(texts[name])
        paths.append(path)
    return paths
