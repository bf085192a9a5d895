"""Calibration of the `gemmini` model: fit `GemminiModelParams` to measured layer cycles.

    samples = [CalibrationSample(layer, config, measured_cycles, "ws"), ...]
    train, held_out = split_samples(samples, validation_fraction=0.25, seed=0)
    result = fit_params(train, validation=held_out)
    print(result.report())                    # per-layer error on both sets, per design point
    result.params.save("calibration.json")    # GemminiModel(params=GemminiModelParams.load(...))

The fit minimizes the mean squared log ratio of modelled to measured cycles (a relative error, so
small and large layers count alike) by a pattern search: try moving each parameter up and down by
its step, keep what lowers the error, halve the steps when nothing does, down to a quarter cycle.
The model is a max-plus expression (flat in a parameter wherever another term dominates), so a
derivative-free search is the natural fit; the plan-derived work of every sample is computed
once and only re-timed.

`measure_cycles` runs a layer's exact program (`TilerCall.program`) on a backend that counts cycles
(the RTL backend, "rtl") with random operands; `rtl_measurements.measure_layers` runs many in one
simulator process.  `benchmarks/calibrate.py` does the whole calibration against the RTL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from ..config import GemminiConfig
from ..isa import Program
from ..memory import Memory
from .estimate import ModelError
from .gemmini_model import layer_work
from .layer import Layer
from .model_params import FITTABLE, GemminiModelParams
from .pipeline_timing import layer_timing

__all__ = ["CalibrationResult", "CalibrationSample", "SampleFit", "fit_params", "layer_job",
           "measure_cycles", "split_samples"]

RESOLUTION = 0.25        # the finest step of the search, in cycles


@dataclass(frozen=True)
class CalibrationSample:
    """One measurement: `layer` run on `config` with `dataflow` ("ws"/"os", None = the model's
    default for the config) took `cycles` cycles."""

    layer: Layer
    config: GemminiConfig
    cycles: int
    dataflow: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.cycles, bool) or not isinstance(self.cycles, int) or self.cycles < 1:
            raise ModelError(f"{self.layer.name}: measured cycles must be a positive integer, "
                             f"got {self.cycles!r}")

    @property
    def model_dataflow(self) -> str:
        if self.dataflow is not None:
            return self.dataflow.lower()
        return "ws" if self.config.has_ws else "os"


@dataclass(frozen=True)
class SampleFit:
    """Model against measurement for one sample: error = (model - measured) / measured."""

    name: str
    config: str
    dataflow: str
    measured: int
    modelled: int

    @property
    def error(self) -> float:
        return (self.modelled - self.measured) / self.measured


def _mean_abs(fits) -> float | None:
    return sum(abs(f.error) for f in fits) / len(fits) if fits else None


@dataclass(frozen=True)
class CalibrationResult:
    params: GemminiModelParams
    training: tuple[SampleFit, ...]
    validation: tuple[SampleFit, ...]
    evaluations: int                     # model evaluations the search used

    @property
    def training_error(self) -> float | None:
        """Mean absolute relative error on the training samples."""
        return _mean_abs(self.training)

    @property
    def validation_error(self) -> float | None:
        """Mean absolute relative error on the held-out samples (None without any)."""
        return _mean_abs(self.validation)

    def summary(self) -> list[tuple[str, str, str, int, float, float]]:
        """Per set and design point: (set, config, dataflow, layers, mean |error|, max |error|)."""
        rows = []
        for label, fits in (("calibration", self.training), ("validation", self.validation)):
            groups = defaultdict(list)
            for fit in fits:
                groups[fit.config, fit.dataflow].append(abs(fit.error))
            rows += [(label, config, dataflow, len(e), sum(e) / len(e), max(e))
                     for (config, dataflow), e in groups.items()]
        return rows

    def report(self) -> str:
        """A text table: fitted parameters, then every sample's error, per set."""
        fitted = ", ".join(f"{k} = {getattr(self.params, k):g}" for k in FITTABLE)
        lines = [f"fitted: {fitted} ({self.evaluations} evaluations)"]
        for label, fits, mean in (("training", self.training, self.training_error),
                                  ("validation", self.validation, self.validation_error)):
            if not fits:
                continue
            lines.append(f"{label}: {len(fits)} layers, mean |error| {100 * mean:.2f} %, "
                         f"max {100 * max(abs(f.error) for f in fits):.2f} %")
            width = max(len(f.name) for f in fits)
            lines += [f"  {f.name:<{width}}  {f.config:<24} {f.dataflow}  measured "
                      f"{f.measured:>12,}  model {f.modelled:>12,}  {100 * f.error:+7.2f} %"
                      for f in fits]
        return "\n".join(lines)


def split_samples(samples: list[CalibrationSample], *, validation_fraction: float = 0.25,
                  seed: int = 0) -> tuple[list[CalibrationSample], list[CalibrationSample]]:
    """A seeded random split into (training, validation); at least one training sample."""
    if not 0 <= validation_fraction < 1:
        raise ModelError(f"validation_fraction must be in [0, 1), got {validation_fraction!r}")
    order = np.random.default_rng(seed).permutation(len(samples))
    held = min(len(samples) - 1, round(validation_fraction * len(samples)))
    chosen = set(order[:held].tolist())
    return ([s for i, s in enumerate(samples) if i not in chosen],
            [s for i, s in enumerate(samples) if i in chosen])


class _Objective:
    """Mean squared log ratio over samples whose plan-derived work is computed once."""

    def __init__(self, samples: list[CalibrationSample]):
        self.samples = samples
        self.works = [layer_work(s.layer, s.config, s.model_dataflow).costs for s in samples]
        self.log_measured = np.log([s.cycles for s in samples])
        self.evaluations = 0

    def cycles(self, params: GemminiModelParams) -> list[int]:
        return [layer_timing(costs, params, s.config).cycles
                for costs, s in zip(self.works, self.samples)]

    def __call__(self, params: GemminiModelParams) -> float:
        self.evaluations += 1
        return float(np.mean((np.log(self.cycles(params)) - self.log_measured) ** 2))

    def fits(self, params: GemminiModelParams) -> tuple[SampleFit, ...]:
        return tuple(SampleFit(s.layer.name, s.config.slug(), s.model_dataflow, s.cycles, c)
                     for s, c in zip(self.samples, self.cycles(params)))


def fit_params(training: list[CalibrationSample], *,
               validation: list[CalibrationSample] = (), start: GemminiModelParams | None = None,
               fit: tuple[str, ...] = FITTABLE, max_evaluations: int = 2000,
               label: str = "fitted") -> CalibrationResult:
    """Fit the parameters named in `fit` (the others keep `start`'s values, default the
    first-principles `GemminiModelParams()`) to the training samples; report every sample's
    error on both sets.  `label` goes into the parameters' `calibration` field."""
    if not training:
        raise ModelError("calibration needs at least one training sample")
    unknown = sorted(set(fit) - set(FITTABLE))
    if unknown:
        raise ModelError(f"cannot fit unknown parameter(s) {', '.join(unknown)} (choose from "
                         f"{', '.join(FITTABLE)})")
    objective = _Objective(list(training))
    best = start or GemminiModelParams()
    best_loss = objective(best)
    steps = {name: max(1.0, getattr(best, name) / 2) for name in fit}
    while any(steps.values()) and objective.evaluations < max_evaluations:
        improved = False
        for name in fit:
            for direction in (1, -1):
                value = getattr(best, name) + direction * steps[name]
                if steps[name] == 0 or value < 0:
                    continue
                candidate = replace(best, **{name: value})
                loss = objective(candidate)
                if loss < best_loss:
                    best, best_loss, improved = candidate, loss, True
                    steps[name] *= 2             # keep going this way, faster
                    break
        if not improved:
            steps = {name: step / 2 if step / 2 >= RESOLUTION else 0
                     for name, step in steps.items()}
    rms = math.sqrt(best_loss)
    best = replace(best, calibration=f"{label}: {len(training)} layers, rms log error "
                                     f"{rms:.4f}")
    return CalibrationResult(params=best, training=objective.fits(best),
                             validation=_Objective(list(validation)).fits(best)
                             if validation else (),
                             evaluations=objective.evaluations)


def layer_job(layer: Layer, config: GemminiConfig, dataflow: str, seed=0
              ) -> tuple[Program, Memory]:
    """The layer's exact program and a memory holding random operands (seeded)."""
    tiled = layer_work(layer, config, dataflow).lowered.call.program(config)
    rng = np.random.default_rng(seed)
    inputs = {name: rng.integers(-8, 8, port.shape) for name, port in tiled.inputs.items()}
    return tiled.program, tiled.load(**inputs)


def measure_cycles(layer: Layer, config: GemminiConfig, *, dataflow: str | None = None,
                   backend: str = "rtl", seed: int = 0, **backend_options) -> int:
    """Run the layer's exact program on `backend` with random operands; its cycle count."""
    from ..backend import get_backend
    df = (dataflow or ("ws" if config.has_ws else "os")).lower()
    result = get_backend(backend, config, **backend_options).run(
        *layer_job(layer, config, df, seed))
    if result.cycles is None:
        raise ModelError(f"backend {backend!r} does not count cycles")
    return int(result.cycles)
