"""`gemmini-estimate`: per-layer and total cycles of a workload on one design point.

    gemmini-estimate WORKLOAD [--preset NAME | --config FILE] [--dim N]
                     [--mode gemmini|scalesim] [--dataflow os|ws|is] [--rows R --cols C]
                     [--symbol NAME=VALUE ...] [--skip-bad-rows] [--params FILE] [--json]

WORKLOAD is a SCALE-Sim topology CSV, a layer-list TOML, an ONNX model (once the compiler's lowering
is installed) or a built-in name (resnet18, resnet50, digits_cnn).  `--json` prints
{"mode", "config", "total_cycles", "layers": [{"name", "M", "N", "K", "cycles", "utilization",
"mapping_efficiency", ...}], ...}.  Bad input: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from ..config import ConfigError, GemminiConfig, preset, preset_names
from ..perf.estimate import DATAFLOWS, Estimate, estimate
from ..perf.model_params import GemminiModelParams
from ..perf.layer import LayerError
from ..perf.workload import WorkloadError, builtin_workloads, load_workload

__all__ = ["OneLineArgumentParser", "main"]


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="gemmini-estimate",
        description="Estimate the cycles of a workload on a Gemmini design point.",
        epilog=f"built-in workloads: {', '.join(builtin_workloads())}")
    parser.add_argument("workload", help="topology .csv, layer-list .toml, .onnx or built-in name")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=preset_names(), help="start from a named preset")
    source.add_argument("--config", metavar="FILE", help="a config .toml/.json")
    parser.add_argument("--dim", type=int, help="override the array dimension")
    parser.add_argument("--mode", choices=("gemmini", "scalesim"), default="gemmini")
    parser.add_argument("--dataflow", choices=DATAFLOWS, type=str.lower,
                        help="default: the config's (BOTH -> ws)")
    parser.add_argument("--rows", type=int, help="array rows (scalesim mode)")
    parser.add_argument("--cols", type=int, help="array columns (scalesim mode)")
    parser.add_argument("--symbol", action="append", default=[], metavar="NAME=VALUE",
                        help="value of a symbolic CSV cell (repeatable)")
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="skip CSV rows that do not parse (listed on stderr)")
    parser.add_argument("--params", metavar="FILE",
                        help="gemmini-mode model parameters (calibration JSON)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _symbols(items: list[str]) -> dict[str, int]:
    symbols = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value.strip().isdigit():
            raise ConfigError(f"--symbol expects NAME=INTEGER, got {item!r}")
        symbols[name.strip()] = int(value)
    return symbols


def _config(args: argparse.Namespace) -> GemminiConfig:
    config = GemminiConfig.load(args.config) if args.config else preset(args.preset or "default")
    return config.with_dim(args.dim) if args.dim is not None else config


def format_table(est: Estimate) -> str:
    names = [layer.name for layer in est.layers]
    width = max([len("layer")] + [len(n) for n in names])
    lines = [f"{est.workload}: {est.mode} mode, {est.rows}x{est.cols} array, dataflow "
             f"{est.dataflow.upper()}, config {est.config.slug()}",
             f"{'layer':<{width}}  {'kind':>9} {'M':>8} {'N':>6} {'K':>6} {'groups':>6} "
             f"{'cycles':>12} {'util%':>6} {'map%':>6}"]
    for layer in est.layers:
        lines.append(f"{layer.name:<{width}}  {layer.kind:>9} {layer.M:>8} {layer.N:>6} "
                     f"{layer.K:>6} {layer.groups:>6} {layer.cycles:>12} "
                     f"{100 * layer.utilization:>6.1f} {100 * layer.mapping_efficiency:>6.1f}")
    lines.append(f"{'TOTAL':<{width}}  {'':>9} {'':>8} {'':>6} {'':>6} {'':>6} "
                 f"{est.total_cycles:>12} {100 * est.utilization:>6.1f} "
                 f"{100 * est.mapping_efficiency:>6.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
        workload = load_workload(args.workload, symbols=_symbols(args.symbol),
                                 skip_malformed=args.skip_bad_rows)
        options = {}
        if args.params:
            if args.mode != "gemmini":
                raise ConfigError("--params applies to gemmini mode only")
            options["params"] = GemminiModelParams.load(args.params)
        result = estimate(workload, config, mode=args.mode, dataflow=args.dataflow,
                          rows=args.rows, cols=args.cols, **options)
    except (ConfigError, WorkloadError, LayerError, OSError, ValueError) as e:
        print(f"gemmini-estimate: error: {e}", file=sys.stderr)
        return 2
    for message in workload.skipped:
        print(f"gemmini-estimate: skipped {message}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
