"""`gemmini-gen`: write the Verilog, C header and manifest of one design point.

    gemmini-gen [--preset NAME | --config FILE] [--dim N] [--tile R C] [--dtype T] [--acc-dtype T]
                [--dataflow OS|WS|BOTH] [--sp-kib N] [--acc-kib N] [--bus-bits N]
                [--top NAME] [--no-clock-gating] [--out DIR]

The config starts from the preset, the config file (.toml, or a .json such as a previous
``config.json``) or the default design, then the flags override single fields.  Output goes to
``--out`` (default ``rtl_out/<config slug>/``), which is replaced as a whole: ``<top>.v``,
``gemmini_params.h``, ``gemmini.h`` and ``config.json`` (see `gemmini_gen.emit`).
``--no-clock-gating`` builds the accelerator with clock enables only (for FPGA flows).  Bad flags
or an invalid config: one line ``gemmini-gen: error: ...`` on stderr, exit status 2, nothing
written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import NoReturn

from ..config import ACC_DTYPES, INPUT_DTYPES, ConfigError, GemminiConfig, preset, preset_names
from ..emit import DEFAULT_TOP, TOPS, write_design

__all__ = ["main"]

PROG = "gemmini-gen"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Generate a Gemmini-compatible design point.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=preset_names(), help="start from a named preset")
    source.add_argument("--config", metavar="FILE", help="start from a config .toml or .json")
    parser.add_argument("--dim", type=int, help="array dimension (DIM x DIM PEs)")
    parser.add_argument("--tile", type=int, nargs=2, metavar=("R", "C"),
                        help="PEs per tile (rows, columns); the mesh is DIM/R x DIM/C tiles")
    parser.add_argument("--dtype", choices=INPUT_DTYPES, help="input element type")
    parser.add_argument("--acc-dtype", choices=ACC_DTYPES, help="accumulator element type")
    parser.add_argument("--dataflow", type=str.upper, choices=("OS", "WS", "BOTH"))
    parser.add_argument("--sp-kib", type=int, help="scratchpad capacity in KiB")
    parser.add_argument("--acc-kib", type=int, help="accumulator capacity in KiB")
    parser.add_argument("--bus-bits", type=int, help="DMA bus width in bits")
    parser.add_argument("--top", choices=list(TOPS), default=DEFAULT_TOP,
                        help=f"top-level design (default {DEFAULT_TOP})")
    parser.add_argument("--no-clock-gating", dest="clock_gating", action="store_false",
                        help="no gated clocks: clock enables only (for FPGA flows)")
    parser.add_argument("--out", metavar="DIR", help="output directory (default rtl_out/<slug>/)")
    return parser


def config_from_args(args: argparse.Namespace) -> GemminiConfig:
    """The design point the flags describe (raises `ConfigError`)."""
    config = GemminiConfig.load(args.config) if args.config else preset(args.preset or "default")
    fields = {}
    for flag, name in (("dtype", "input_dtype"), ("acc_dtype", "acc_dtype"),
                       ("dataflow", "dataflow"), ("sp_kib", "sp_capacity_kib"),
                       ("acc_kib", "acc_capacity_kib"), ("bus_bits", "dma_bus_bits")):
        if getattr(args, flag) is not None:
            fields[name] = getattr(args, flag)
    if args.dim is not None or args.tile is not None:
        data = config.to_dict()
        data["dim"] = args.dim if args.dim is not None else config.dim
        if args.tile is not None:
            data["tile_rows"], data["tile_cols"] = args.tile
        elif data["dim"] % config.tile_rows or data["dim"] % config.tile_cols:
            data["tile_rows"] = data["tile_cols"] = 1
        del data["mesh_rows"], data["mesh_cols"]
        config = GemminiConfig.from_dict(data, source="flags")
    return config.replace(**fields) if fields else config


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status (argparse's own exits included)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:          # usage errors (status 2) and --help (0), already printed
        return e.code
    try:
        config = config_from_args(args)
        out = Path(args.out) if args.out else Path("rtl_out") / config.slug()
        start = time.monotonic()
        info = write_design(config, out, top=args.top, clock_gating=args.clock_gating)
    except ConfigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: error: cannot write {args.out or 'rtl_out'}: {e.strerror or e}",
              file=sys.stderr)
        return 1
    seconds = time.monotonic() - start
    print(f"{PROG}: {config} -> {out}/ ({info['verilog']['file']}, gemmini_params.h, gemmini.h, "
          f"config.json) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
