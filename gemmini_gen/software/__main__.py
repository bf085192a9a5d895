"""`python -m gemmini_gen.software`: write ``gemmini_params.h`` and ``gemmini.h`` for one config.

    python -m gemmini_gen.software [--preset NAME | --config FILE] [--out DIR]

The config is a preset, a ``.toml``/``.json`` config file (such as the ``config.json`` that
``gemmini-gen`` writes) or the default design; the headers go to ``--out`` (default: the current
directory).  Bad arguments: one line on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ..config import ConfigError, GemminiConfig, preset, preset_names
from . import write_headers

PROG = "python -m gemmini_gen.software"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog=PROG, description="Write gemmini_params.h and gemmini.h for a config.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=preset_names(), help="a named preset")
    source.add_argument("--config", metavar="FILE", help="a config .toml or .json")
    parser.add_argument("--out", metavar="DIR", default=".", help="output directory (default .)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return e.code
    try:
        cfg = GemminiConfig.load(args.config) if args.config else preset(args.preset or "default")
        paths = write_headers(cfg, args.out)
    except ConfigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: error: cannot write {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"{PROG}: {cfg.name} -> {', '.join(str(p) for p in paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
