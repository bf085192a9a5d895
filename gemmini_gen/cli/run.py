"""`gemmini-run`: run an ONNX model on the accelerator (golden model or RTL) or the reference executor.

    gemmini-run MODEL.onnx --input IN.npz --output OUT.npz [--backend golden|rtl|reference]
                [--preset NAME | --config FILE] [--dim N] [--report REPORT.json]
                [--quantize --calibration CAL.npz] [--per-channel-requant host|accelerator]
                [--allow-host-ops] [--waves] [--batch N]

IN.npz holds one array per model input, named like the input; an array may carry an extra leading
axis of samples (see `gemmini_gen.compiler.batching`).  Samples run `--batch` at a time (default
64): with a symbolic batch dimension, one program per layer and batch, M growing with the batch.
OUT.npz holds one array per model output.  `--quantize` quantizes a float model first (onnxruntime
static quantization, calibration samples from CAL.npz).  `--waves` (rtl only) writes one VCD per
accelerator program into ``<OUT>_waves/``.  REPORT.json: per step where it ran, MACs, cycles and
utilization (see `gemmini_gen.compiler.run_report`), plus the images, the batch and the wall time.

Bad input (flags, model, inputs, a layer the config cannot hold, an unavailable backend): one line
``gemmini-run: error: ...`` on stderr, exit status 2, and no output file is written (outputs are
written to temporary files and renamed into place at the end).  A backend that fails (a simulation
watchdog or wall-clock limit, a command the hardware rejects) exits with status 1, also with one
line; the simulators' output, otherwise discarded, is then kept in ``<OUT>.rtl.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

import numpy as np
from tqdm import tqdm

from ..backend import BackendError, get_backend
from ..config import ConfigError, GemminiConfig, preset, preset_names
from ..compiler import CompilerError, InputError, ReferenceGemmExecutor, compile_model, quantize
from ..compiler.backend_executor import BackendGemmExecutor
from ..compiler.batching import plan_batches
from ..compiler.lowering import PER_CHANNEL_CHOICES
from ..compiler.run_report import RunReport
from ..rtl.console import simulator_output_to

__all__ = ["main"]

PROG = "gemmini-run"
BACKENDS = ("golden", "rtl", "reference")
RTL_MEMORY_BYTES = 1 << 20          # one Verilator build per config (the RTL regression's size class)


class UsageError(ValueError):
    """A bad combination of flags."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run an ONNX model on a Gemmini design point.")
    parser.add_argument("model", help="the ONNX model (.onnx)")
    parser.add_argument("--input", required=True, metavar="IN.npz", help="one array per model input")
    parser.add_argument("--output", required=True, metavar="OUT.npz", help="where the outputs go")
    parser.add_argument("--backend", choices=BACKENDS, default="golden",
                        help="golden model (default), RTL simulation or the numpy reference executor")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=preset_names(), help="design point (default: default)")
    source.add_argument("--config", metavar="FILE", help="a config .toml/.json")
    parser.add_argument("--dim", type=int, help="override the array dimension")
    parser.add_argument("--report", metavar="REPORT.json", help="write a per-layer JSON report")
    parser.add_argument("--quantize", action="store_true",
                        help="quantize a float model first (needs --calibration)")
    parser.add_argument("--calibration", metavar="CAL.npz", help="calibration samples for --quantize")
    parser.add_argument("--per-channel-requant", choices=PER_CHANNEL_CHOICES, default="host",
                        help="where per-channel requantization runs (default host)")
    parser.add_argument("--allow-host-ops", action="store_true",
                        help="run operators the accelerator cannot run on the host instead of failing")
    parser.add_argument("--waves", action="store_true", help="rtl: write a VCD per program")
    parser.add_argument("--batch", type=int, default=64, help="samples per run (default 64)")
    return parser


def _config(args: argparse.Namespace) -> GemminiConfig:
    config = GemminiConfig.load(args.config) if args.config else preset(args.preset or "default")
    return config.with_dim(args.dim) if args.dim is not None else config


def _check_flags(args: argparse.Namespace) -> None:
    if args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}")
    if args.quantize and not args.calibration:
        raise UsageError("--quantize needs --calibration CAL.npz")
    if args.calibration and not args.quantize:
        raise UsageError("--calibration is only used with --quantize")
    if args.waves and args.backend != "rtl":
        raise UsageError("--waves needs --backend rtl")
    paths = [Path(p).resolve() for p in (args.output, args.report) if p]
    if len(set(paths)) != len(paths):
        raise UsageError("--output and --report name the same file")


def _load_npz(path: str, what: str) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise InputError(f"{what} file {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except Exception as e:                     # zipfile/pickle/format errors of many kinds
        raise InputError(f"cannot read {what} file {path!r} as .npz: {str(e).splitlines()[0]}") from None


class _WaveBackend:
    """The rtl backend with one VCD per program, numbered in run order, in `directory`."""

    name = "rtl"

    def __init__(self, config: GemminiConfig, directory: Path) -> None:
        self.config = config
        self.directory = directory
        self.count = 0
        get_backend("rtl", config, memory_bytes=RTL_MEMORY_BYTES)      # fails early if unavailable

    def run(self, program, memory):
        self.count += 1
        path = self.directory / f"{self.count:04d}_{program.name or 'program'}.vcd"
        backend = get_backend("rtl", self.config, memory_bytes=RTL_MEMORY_BYTES, waves=True,
                              waves_path=str(path))
        return backend.run(program, memory)


def _executor(backend: str, config: GemminiConfig, waves_dir: Path | None):
    if backend == "reference":
        return ReferenceGemmExecutor(config)
    if backend == "rtl":
        target = _WaveBackend(config, waves_dir) if waves_dir else get_backend(
            "rtl", config, memory_bytes=RTL_MEMORY_BYTES)
        return BackendGemmExecutor(target)
    return BackendGemmExecutor(get_backend(backend, config))


def _run(args: argparse.Namespace, staging: Path) -> tuple[dict[str, np.ndarray], dict]:
    config = _config(args)
    arrays = _load_npz(args.input, "input")
    model = args.model
    if not Path(model).is_file():
        raise InputError(f"model file {model!r} does not exist")
    if args.quantize:
        model = quantize(model, _load_npz(args.calibration, "calibration"))
    compiled = compile_model(model, allow_host_ops=args.allow_host_ops,
                             per_channel_requant=args.per_channel_requant, config=config)
    batches = plan_batches(compiled.inputs, compiled.outputs, arrays, args.batch)
    waves_dir = staging / "waves" if args.waves else None
    if waves_dir:
        waves_dir.mkdir()
    executor = _executor(args.backend, config, waves_dir)
    report = RunReport(compiled, args.backend)
    outputs = []
    start = time.perf_counter()
    log = staging / "rtl.log" if args.backend == "rtl" else None
    with simulator_output_to(log) as stream, \
            tqdm(total=batches.samples, unit="img", file=stream, leave=False,
                 disable=None if batches.samples > batches.batch else True) as bar:
        for count, inputs in batches.runs():
            result = compiled.run(inputs, executor)
            report.add(result)
            outputs.append(result.outputs)
            bar.update(count)
    seconds = time.perf_counter() - start
    summary = {"model": str(args.model), "quantized": bool(args.quantize), "images": batches.samples,
               "batch": batches.batch, "wall_time_s": round(seconds, 6),
               "images_per_s": batches.samples / seconds if seconds > 0 else None}
    summary |= report.to_dict()
    if isinstance(executor, BackendGemmExecutor):
        summary["programs"] = {"built": executor.programs_built, "run": executor.programs_run}
    return batches.join(outputs), summary


def _run_keeping_log(args: argparse.Namespace, staging: Path) -> tuple[dict[str, np.ndarray], dict]:
    """`_run`; when the backend fails, keep the simulators' log next to OUT and say where."""
    try:
        return _run(args, staging)
    except (RuntimeError, OSError) as e:      # inputs are read as InputErrors: an OSError is the backend's
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        log = staging / "rtl.log"
        if log.exists():
            kept = Path(args.output).with_suffix(".rtl.log")
            shutil.copyfile(log, kept)
            message += f" (simulator log: {kept})"
        raise RuntimeError(message) from e


def _publish(staging: Path, args: argparse.Namespace, outputs: dict[str, np.ndarray],
             summary: dict) -> None:
    """Write every output into `staging`, then move each into place."""
    moves = []
    out = staging / "out.npz"
    with open(out, "wb") as f:
        np.savez(f, **outputs)
    moves.append((out, Path(args.output)))
    if args.report:
        report = staging / "report.json"
        report.write_text(json.dumps(summary, indent=1) + "\n")
        moves.append((report, Path(args.report)))
    if args.waves:
        stem = Path(args.output).with_suffix("")
        moves.append((staging / "waves", stem.parent / f"{stem.name}_waves"))
    for source, target in moves:
        if source.is_dir():
            if target.exists():
                shutil.rmtree(target)
            shutil.move(str(source), str(target))
        else:
            os.replace(source, target)


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:          # usage errors (status 2) and --help (0), already printed
        return e.code
    try:
        _check_flags(args)
        for target in (args.output, args.report):
            if target and not Path(target).resolve().parent.is_dir():
                raise UsageError(f"cannot write {target!r}: its directory does not exist")
        parent = Path(args.output).resolve().parent
        with tempfile.TemporaryDirectory(prefix=".gemmini-run-", dir=parent) as tmp:
            outputs, summary = _run_keeping_log(args, Path(tmp))
            _publish(Path(tmp), args, outputs, summary)
    except (UsageError, CompilerError, ConfigError, BackendError) as e:
        hint = " (use a smaller --batch)" if args.backend == "rtl" and "memory_bytes" in str(e) else ""
        print(f"{PROG}: error: {e}{hint}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except RuntimeError as e:                     # a simulation that did not finish, a rejected command
        print(f"{PROG}: error: the {args.backend} backend failed: {str(e).splitlines()[0]}",
              file=sys.stderr)
        return 1
    print(f"{PROG}: {summary['images']} sample(s) of {args.model} on {args.backend} "
          f"(config {summary['config_name']}) in {summary['wall_time_s']:.2f} s -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
