"""Calibrate the `gemmini` performance mode against RTL cycle counts (figures for BENCHMARKS.md).

    python benchmarks/calibrate.py [--targets small_ws:ws medium:os ...] [--refit] [--no-write]
        [--measurements FILE] [--params FILE]

1. Measures every layer of the calibration and validation sets (`gemmini_gen.perf.
   calibration_layers`) on the RTL of every target (preset:dataflow), one simulator process per
   target (`run_many`), with the regression's 1 MiB memory model so the Verilator builds are the
   RTL regression's.  Measurements are kept in the shipped measurements file with fingerprints of
   the program and of the RTL sources; only missing or stale ones are run again.  `--refit` runs
   no simulator and uses the stored measurements as they are.
2. Fits one global `GemminiModelParams` to the calibration set of all targets together: the model
   derives everything that differs between design points (DIM, bus, memories, queues, mesh
   latency) from the config, so what is left -- the read latency, the read burst's slot overhead,
   when a load or store counts as complete, the program's fixed cost -- is the same hardware
   everywhere; one fit also keeps the model usable on design points nobody measured (DSE).  The
   write path's parameters are measured, not fitted (`model_params.MEASURED`: the memory's
   write latency and the slot overhead its waveforms show).
3. Prints every layer's error and, per set and target, the mean and max |error| (markdown), and
   writes the parameters with their provenance (git revision, date, targets, RTL source hash,
   errors) to the shipped file that `gemmini` mode loads by default (unless `--no-write`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from gemmini_gen.config import ConfigError, preset
from gemmini_gen.dse.provenance import git_revision, now_utc
from gemmini_gen.perf.calibration import CalibrationSample, fit_params
from gemmini_gen.perf.calibration_layers import TARGETS, calibration_layers, validation_layers
from gemmini_gen.perf.estimate import ModelError
from gemmini_gen.perf.model_params import CALIBRATED, SHIPPED, GemminiModelParams
from gemmini_gen.perf.rtl_measurements import (Measurement, load_measurements, measure_layers,
                                               program_fingerprint, save_measurements)

MEASUREMENTS = SHIPPED.parent / "rtl_measurements.json"
MEMORY_BYTES = 1 << 20          # tests/rtl/conftest.py: one build per config for the regression
LATENCY = 40                    # the RTL backend's default memory latency (read and write)


def parse_target(text: str) -> tuple[str, str]:
    name, _, dataflow = text.partition(":")
    try:
        cfg = preset(name)
    except ConfigError as e:         # an unknown preset
        raise argparse.ArgumentTypeError(str(e)) from None
    supported = [df for df, ok in (("ws", cfg.has_ws), ("os", cfg.has_os)) if ok]
    if dataflow not in supported:
        raise argparse.ArgumentTypeError(f"{text}: the dataflow must be one of {name}'s: "
                                         f"{', '.join(supported)}")
    return name, dataflow


@contextlib.contextmanager
def simulator_output_to(log: Path):
    """Send the simulator's console output (it writes to file descriptors 1 and 2) to `log`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log, "ab") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


def measure_target(name: str, dataflow: str, stored: list[Measurement], rtl: str
                   ) -> list[Measurement]:
    """The target's measurements: the stored ones that are current, the rest run now."""
    cfg = preset(name)
    wanted = [("calibration", layer) for layer in calibration_layers(cfg.dim)]
    wanted += [("validation", layer) for layer in validation_layers(cfg.dim)]
    current = {(m.set, m.layer, m.program): m for m in stored
               if (m.preset, m.dataflow, m.rtl, m.read_latency) == (name, dataflow, rtl, LATENCY)}
    kept, missing = [], []
    for set_name, layer in wanted:
        program = program_fingerprint(layer, cfg, dataflow)
        found = current.get((set_name, layer, program))
        if found:
            kept.append(found)
        else:
            missing.append((set_name, layer, program))
    if not missing:
        print(f"{name}:{dataflow}: {len(kept)} measurements current", flush=True)
        return kept
    start = time.perf_counter()
    log = Path(tempfile.gettempdir()) / "gemmini-calibrate-simulator.log"
    try:
        with simulator_output_to(log):
            results = measure_layers([layer for _, layer, _ in missing], cfg, dataflow,
                                     memory_bytes=MEMORY_BYTES, read_latency=LATENCY)
    except Exception:
        print(f"{name}:{dataflow}: the simulation failed; its output is in {log}",
              file=sys.stderr)
        raise
    wall = time.perf_counter() - start
    cycles = sum(r.cycles for r in results)
    print(f"{name}:{dataflow}: measured {len(missing)} layers, {cycles:,} cycles in {wall:.1f} s "
          f"({cycles / wall:,.0f} simulated cycles/s incl. build and start-up)", flush=True)
    return kept + [Measurement(name, dataflow, set_name, layer, int(r.cycles), program, rtl,
                               LATENCY, LATENCY, r.counters)
                   for (set_name, layer, program), r in zip(missing, results)]


def markdown(result, targets) -> str:
    """Per set and target: layers, mean and max |error|; then every layer's error."""
    lines = ["| set | design point | dataflow | layers | mean abs. error | max abs. error |",
             "|---|---|---|---|---|---|"]
    order = {t: i for i, t in enumerate(targets)}
    for set_name, config, dataflow, n, mean, worst in sorted(
            result.summary(), key=lambda r: (r[0], order.get((r[1], r[2]), 0))):
        lines.append(f"| {set_name} | {config} | {dataflow} | {n} | {100 * mean:.2f} % | "
                     f"{100 * worst:.2f} % |")
    lines += ["", "| set | layer | " + " | ".join(f"{c}:{d}" for c, d in targets) + " |",
              "|---|---|" + "---|" * len(targets)]
    for set_name, fits in (("calibration", result.training), ("validation", result.validation)):
        by_layer: dict[str, dict] = {}
        for fit in fits:
            by_layer.setdefault(fit.name, {})[fit.config, fit.dataflow] = fit.error
        for layer, errors in by_layer.items():
            cells = [f"{100 * errors[t]:+.1f} %" if t in errors else "" for t in targets]
            lines.append(f"| {set_name} | {layer} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", nargs="+", type=parse_target, default=list(TARGETS),
                        metavar="PRESET:DATAFLOW")
    parser.add_argument("--refit", action="store_true",
                        help="no simulation: fit the stored measurements as they are")
    parser.add_argument("--no-write", action="store_true", help="do not write the parameters")
    parser.add_argument("--measurements", type=Path, default=MEASUREMENTS)
    parser.add_argument("--params", type=Path, default=SHIPPED)
    args = parser.parse_args(argv)

    try:
        stored = load_measurements(args.measurements) if args.measurements.exists() else []
    except ModelError as e:
        print(f"calibrate: {e}", file=sys.stderr)
        return 2
    if args.refit:
        chosen = [m for m in stored if (m.preset, m.dataflow) in args.targets]
        if not chosen:
            print(f"calibrate: {args.measurements} holds no measurements of the targets",
                  file=sys.stderr)
            return 2
    else:
        from gemmini_gen.rtl.build import source_fingerprint
        rtl = source_fingerprint()
        chosen = []
        for name, dataflow in args.targets:
            chosen += measure_target(name, dataflow, stored, rtl)
            others = [m for m in stored if (m.preset, m.dataflow) != (name, dataflow)]
            stored = others + [m for m in chosen if (m.preset, m.dataflow) == (name, dataflow)]
            save_measurements(args.measurements, stored)

    def samples(set_name):
        return [CalibrationSample(m.layer, m.config, m.cycles, m.dataflow)
                for m in chosen if m.set == set_name]
    start = time.perf_counter()
    # the write path's parameters are measured (`model_params.MEASURED`): the memory's write
    # latency, the default write overhead; the others are fitted
    result = fit_params(samples("calibration"), validation=samples("validation"),
                        start=GemminiModelParams(write_latency=LATENCY), fit=CALIBRATED,
                        label="rtl")
    print(f"fit: {result.evaluations} model evaluations in {time.perf_counter() - start:.1f} s\n")
    print(result.report(), "\n")
    print(markdown(result, args.targets))
    if args.no_write:
        return 0
    summary = {f"{s}/{c}:{d}": {"layers": n, "mean_abs_error": round(mean, 5),
                                "max_abs_error": round(worst, 5)}
               for s, c, d, n, mean, worst in result.summary()}
    provenance = {
        "date": now_utc(), **git_revision(),
        "command": "python benchmarks/calibrate.py " + " ".join(sys.argv[1:] if argv is None
                                                              else argv),
        "targets": [f"{c}:{d}" for c, d in args.targets],
        "rtl_sources": sorted({m.rtl for m in chosen}),
        "memory_latency": LATENCY, "memory_bytes": MEMORY_BYTES,
        "layers": {"calibration": len(result.training), "validation": len(result.validation)},
        "errors": summary,
    }
    result.params.save(args.params, provenance)
    print(f"\nwrote {args.params}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
