"""`gemmini-dse`: run a design-space sweep and write its reports.

    gemmini-dse SPEC.toml --out DIR [--backend local|ray] [--workers N] [--resume]
                [--ray-address ADDR] [--no-progress]

Writes DIR/results.jsonl (incremental, crash-safe), DIR/results.csv, DIR/results.json,
DIR/report.html and its PNGs.  A sweep killed at any moment continues with `--resume`.
Bad input (spec, workloads, an existing DIR without --resume): one line on stderr, exit status 2.
"""

from __future__ import annotations

import sys

from ..config import ConfigError
from ..dse.evaluators import EvaluatorError
from ..dse.executors import BACKENDS, ExecutorError
from ..dse.spec import SpecError, load_spec
from ..dse.sweep import SweepError, run_sweep
from .estimate import OneLineArgumentParser

__all__ = ["main"]


def _parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(prog="gemmini-dse",
                                   description="Run a design-space sweep (see docs/dse.md).")
    parser.add_argument("spec", help="sweep spec (.toml)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--backend", choices=BACKENDS, default="local")
    parser.add_argument("--workers", type=int, help="parallel workers (default: all cores)")
    parser.add_argument("--resume", action="store_true", help="continue a sweep in DIR")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="connect to a running Ray cluster instead of starting one")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        spec = load_spec(args.spec)
        summary = run_sweep(spec, args.out, backend=args.backend, workers=args.workers,
                            resume=args.resume, progress=not args.no_progress,
                            address=args.ray_address)
    except (SpecError, SweepError, ExecutorError, EvaluatorError, ConfigError, OSError) as e:
        print(f"gemmini-dse: error: {e}", file=sys.stderr)
        return 2
    print(f"gemmini-dse: {summary.points} points ({summary.evaluated} evaluated now, "
          f"{summary.failed} failed"
          + (f", {summary.expensive} expensive evaluations" if summary.expensive else "")
          + f"); reports in {summary.out_dir}", file=sys.stderr)
    print(f"gemmini-dse: evaluation {summary.evaluation_s:.2f} s, reports {summary.report_s:.2f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
