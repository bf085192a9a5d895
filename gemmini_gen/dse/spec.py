"""Sweep specification: a TOML file -> `SweepSpec` (validated; errors say file:line).

```toml
name = "example"

[base]                          # the starting GemminiConfig: a preset and/or any config fields
preset = "default"

[parameters]                    # swept axes: GemminiConfig fields or `dim`
dim = { min = 4, max = 32, scale = "pow2" }     # 4, 8, 16, 32
dataflow = ["OS", "WS"]                         # a list = these values
sp_capacity_kib = { values = [64, 256] }
acc_capacity_kib = { min = 16, max = 64, step = 16 }   # linear, inclusive

[workloads]                     # label = built-in name or file (relative to this spec), or a table
resnet18 = "resnet18"
lstm = { source = "LSTM.csv", symbols = { B = 16, H = 256, D = 256 } }

[model]
mode = "gemmini"                # or "scalesim"
dataflow = "ws"                 # optional override of the config's dataflow
params = "calibration.json"     # optional GemminiModelParams file (gemmini mode)

[area]                          # the `area` metric (see dse/area.py)
model = "auto"                  # auto (Yosys if area is a metric) | yosys | none | "module:function"
components = ["mesh", "scratchpad", "accumulator", "dma_reader", "dma_writer", "control"]

[metrics]                       # Pareto objectives; the first two are plotted
minimize = ["cycles", "area"]   # area needs an area model; area_proxy_mtr is always available
maximize = []

[strategy]
kind = "grid"                   # grid | random | multi_fidelity
samples = 20                    # random (and multi_fidelity with sampler = "random")
seed = 1
sampler = "grid"                # multi_fidelity: how the analytic points are chosen
top_k = 3                       # multi_fidelity: Pareto points given to the expensive evaluator
evaluator = "rtl"               # multi_fidelity: registered name or "package.module:function"
```
A metric is summed over all workloads, or names one: `cycles@resnet18`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..config import ConfigError, GemminiConfig
from ..perf.estimate import DATAFLOWS
from ..perf.toml_lines import TomlLines
from .area import AREA_MODELS

__all__ = ["Axis", "METRICS", "SpecError", "Strategy", "SweepSpec", "WorkloadRef", "load_spec",
           "parse_spec"]

# Network-level metrics a point has (see results.point_metrics).
METRICS = ("cycles", "macs", "utilization", "dram_bytes", "dram_read_bytes", "dram_write_bytes",
           "sram_read_bytes", "sram_write_bytes", "area_proxy_mtr", "area")
AREA_COMPONENTS = ("mesh", "scratchpad", "accumulator", "dma_reader", "dma_writer", "control")
STRATEGIES = ("grid", "random", "multi_fidelity")
CONFIG_FIELDS = {f.name for f in fields(GemminiConfig)} - {"name"}


class SpecError(ValueError):
    """A malformed sweep spec (one line: file, line, problem)."""


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple


@dataclass(frozen=True)
class WorkloadRef:
    label: str
    source: str                         # built-in name or absolute path
    symbols: tuple[tuple[str, int], ...] = ()
    skip_malformed: bool = False
    line: int | None = field(default=None, compare=False)    # where the spec names it


@dataclass(frozen=True)
class Strategy:
    kind: str = "grid"
    samples: int | None = None
    seed: int = 0
    sampler: str = "grid"
    top_k: int = 0
    evaluator: str | None = None


@dataclass(frozen=True)
class SweepSpec:
    name: str
    source: str
    base: dict[str, Any]
    axes: tuple[Axis, ...]
    workloads: tuple[WorkloadRef, ...]
    mode: str
    model_dataflow: str | None
    model_params: str | None
    objectives: tuple[tuple[str, str], ...]         # (metric, "min" | "max")
    strategy: Strategy
    area_model: str = "auto"                        # see dse/area.py
    area_components: tuple[str, ...] = AREA_COMPONENTS

    def base_config(self) -> GemminiConfig:
        return GemminiConfig.from_dict(self.base, source=f"{self.source} [base]")

    def digest(self) -> str:
        """Hash of everything that determines the points and their results."""
        data = {k: v for k, v in self.__dict__.items() if k != "source"}
        blob = json.dumps(data, sort_keys=True, default=lambda o: {
            k: v for k, v in o.__dict__.items() if k != "line"})
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_spec(path: str | Path) -> SweepSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise SpecError(f"cannot read sweep spec {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return parse_spec(text, source=str(path), base_dir=path.resolve().parent)


def parse_spec(text: str, *, source: str = "<spec>", base_dir: Path | None = None) -> SweepSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{source}: malformed TOML: {e}") from None
    return _Parser(data, TomlLines(text), source, base_dir or Path.cwd()).spec()


class _Parser:
    def __init__(self, data: dict, where: TomlLines, source: str, base_dir: Path):
        self.data, self.where, self.source, self.base_dir = data, where, source, base_dir

    def fail(self, message: str, *path) -> SpecError:
        line = self.where.nearest(*path)
        return SpecError(f"{self.source}:{line}: {message}" if line else
                         f"{self.source}: {message}")

    def table(self, key: str, required: bool = False) -> dict:
        value = self.data.get(key, {} if not required else None)
        if value is None:
            raise self.fail(f"missing [{key}] table")
        if not isinstance(value, dict):
            raise self.fail(f"{key} must be a table ([{key}])", key)
        return value

    def spec(self) -> SweepSpec:
        allowed = {"name", "description", "base", "parameters", "workloads", "model", "metrics",
                   "strategy", "area"}
        for key in self.data:
            if key not in allowed:
                raise self.fail(f"unknown top-level key {key!r} (expected "
                                f"{', '.join(sorted(allowed))})", key)
        name = self.data.get("name", Path(self.source).stem)
        if not isinstance(name, str) or not name:
            raise self.fail("name must be a non-empty string", "name")
        base = self.table("base")
        try:
            GemminiConfig.from_dict(base, source="[base]")
        except ConfigError as e:
            raise self.fail(str(e), "base") from None
        mode, dataflow, params = self.model()
        area_model, area_components = self.area()
        objectives = self.objectives()
        if area_model == "none" and any(m.partition("@")[0] == "area" for m, _ in objectives):
            raise self.fail("metric area needs an area model ([area] model = \"auto\", "
                            "\"yosys\" or a function); use area_proxy_mtr", "metrics")
        return SweepSpec(name=name, source=self.source, base=base, axes=self.axes(),
                         workloads=self.workloads(), mode=mode, model_dataflow=dataflow,
                         model_params=params, objectives=objectives,
                         strategy=self.strategy(), area_model=area_model,
                         area_components=area_components)

    def area(self) -> tuple[str, tuple[str, ...]]:
        area = self.table("area")
        extra = set(area) - {"model", "components"}
        if extra:
            key = sorted(extra)[0]
            raise self.fail(f"unknown [area] key {key!r} (expected model, components)",
                            "area", key)
        model = area.get("model", "auto")
        if not isinstance(model, str) or (model not in AREA_MODELS and ":" not in model):
            raise self.fail(f"area model must be one of {', '.join(AREA_MODELS)} or "
                            f"\"package.module:function\", got {model!r}", "area", "model")
        components = area.get("components", list(AREA_COMPONENTS))
        if not isinstance(components, list) or not components or any(
                c not in AREA_COMPONENTS for c in components):
            raise self.fail(f"area components must be a non-empty list of "
                            f"{', '.join(AREA_COMPONENTS)}, got {components!r}",
                            "area", "components")
        return model, tuple(components)

    def axes(self) -> tuple[Axis, ...]:
        axes = []
        for key, raw in self.table("parameters").items():
            where = ("parameters", key)
            if key not in CONFIG_FIELDS and key != "dim":
                raise self.fail(f"unknown parameter {key!r}: not a GemminiConfig field or dim",
                                *where)
            values = self.axis_values(key, raw, where)
            if len(set(map(repr, values))) != len(values):
                raise self.fail(f"parameter {key} lists a value twice", *where)
            axes.append(Axis(key, tuple(values)))
        return tuple(axes)

    def axis_values(self, key: str, raw: Any, where: tuple) -> list:
        if isinstance(raw, list):
            if not raw:
                raise self.fail(f"parameter {key} has no values", *where)
            return raw
        if not isinstance(raw, dict):
            return [raw]
        extra = set(raw) - {"values", "min", "max", "step", "scale"}
        if extra:
            raise self.fail(f"parameter {key}: unknown range key {sorted(extra)[0]!r} (expected "
                            f"values, or min/max with step or scale = \"pow2\")", *where)
        if "values" in raw:
            if set(raw) != {"values"} or not isinstance(raw["values"], list) or not raw["values"]:
                raise self.fail(f"parameter {key}: `values` must be a non-empty list and stand "
                                f"alone", *where)
            return raw["values"]
        lo, hi = raw.get("min"), raw.get("max")
        for label, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise self.fail(f"parameter {key}: range {label} must be an integer, got {v!r}",
                                *where)
        if lo > hi:
            raise self.fail(f"parameter {key}: range min {lo} > max {hi}", *where)
        scale = raw.get("scale", "linear")
        if scale == "pow2":
            if "step" in raw:
                raise self.fail(f"parameter {key}: a pow2 range takes no step", *where)
            values = [1 << e for e in range(64) if lo <= (1 << e) <= hi]
            if not values:
                raise self.fail(f"parameter {key}: no power of two in [{lo}, {hi}]", *where)
            return values
        if scale != "linear":
            raise self.fail(f"parameter {key}: scale must be \"linear\" or \"pow2\", got "
                            f"{scale!r}", *where)
        step = raw.get("step", 1)
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise self.fail(f"parameter {key}: step must be a positive integer, got {step!r}",
                            *where)
        return list(range(lo, hi + 1, step))

    def workloads(self) -> tuple[WorkloadRef, ...]:
        refs = []
        for label, raw in self.table("workloads", required=True).items():
            where = ("workloads", label)
            symbols, skip = {}, False
            if isinstance(raw, dict):
                extra = set(raw) - {"source", "symbols", "skip_malformed"}
                if extra or "source" not in raw:
                    raise self.fail(f"workload {label}: a table needs `source` and may have "
                                    f"`symbols`, `skip_malformed`", *where)
                symbols, skip = raw.get("symbols", {}), raw.get("skip_malformed", False)
                raw = raw["source"]
                if not isinstance(symbols, dict) or not all(
                        isinstance(v, int) and not isinstance(v, bool) for v in symbols.values()):
                    raise self.fail(f"workload {label}: symbols must map names to integers",
                                    *where)
                if not isinstance(skip, bool):
                    raise self.fail(f"workload {label}: skip_malformed must be true or false",
                                    *where)
            if not isinstance(raw, str) or not raw:
                raise self.fail(f"workload {label}: expected a built-in name or a file path",
                                *where)
            is_file = "/" in raw or Path(raw).suffix != ""
            source = str((self.base_dir / raw).resolve()) if is_file else raw
            refs.append(WorkloadRef(label, source, tuple(sorted(symbols.items())), skip,
                                    self.where.line_of(*where)))
        if not refs:
            raise self.fail("[workloads] lists no workload", "workloads")
        return tuple(refs)

    def model(self) -> tuple[str, str | None, str | None]:
        model = self.table("model")
        extra = set(model) - {"mode", "dataflow", "params"}
        if extra:
            key = sorted(extra)[0]
            raise self.fail(f"unknown [model] key {key!r} (expected mode, dataflow, params)",
                            "model", key)
        mode = model.get("mode", "gemmini")
        if mode not in ("gemmini", "scalesim"):
            raise self.fail(f"model mode must be gemmini or scalesim, got {mode!r}",
                            "model", "mode")
        dataflow = model.get("dataflow")
        allowed = DATAFLOWS if mode == "scalesim" else ("os", "ws")
        if dataflow is not None and str(dataflow).lower() not in allowed:
            raise self.fail(f"{mode} model dataflow must be one of {', '.join(allowed)}, got "
                            f"{dataflow!r}", "model", "dataflow")
        params = model.get("params")
        if params is not None:
            if mode != "gemmini" or not isinstance(params, str):
                raise self.fail("model params must be a file name (gemmini mode only)",
                                "model", "params")
            params = str((self.base_dir / params).resolve())
        return mode, dataflow and str(dataflow).lower(), params

    def objectives(self) -> tuple[tuple[str, str], ...]:
        metrics = self.table("metrics")
        extra = set(metrics) - {"minimize", "maximize"}
        if extra:
            raise self.fail(f"unknown [metrics] key {sorted(extra)[0]!r} (expected minimize, "
                            f"maximize)", "metrics", sorted(extra)[0])
        labels = {w.label for w in self.workloads()}
        out = []
        for key, sense in (("minimize", "min"), ("maximize", "max")):
            names = metrics.get(key, ["cycles", "area_proxy_mtr"] if key == "minimize" else [])
            if not isinstance(names, list):
                raise self.fail(f"metrics.{key} must be a list", "metrics", key)
            for name in names:
                metric, _, workload = str(name).partition("@")
                if metric not in METRICS:
                    raise self.fail(f"unknown metric {name!r} (choose from "
                                    f"{', '.join(METRICS)})", "metrics", key)
                if workload and metric in ("area", "area_proxy_mtr"):
                    raise self.fail(f"metric {name!r}: {metric} is per design point, not per "
                                    f"workload", "metrics", key)
                if workload and workload not in labels:
                    raise self.fail(f"metric {name!r} names an unknown workload", "metrics", key)
                out.append((str(name), sense))
        if not out:
            raise self.fail("[metrics] needs at least one objective", "metrics")
        return tuple(out)

    def strategy(self) -> Strategy:
        raw = self.table("strategy")
        extra = set(raw) - {f.name for f in fields(Strategy)}
        if extra:
            key = sorted(extra)[0]
            raise self.fail(f"unknown [strategy] key {key!r}", "strategy", key)
        kind = raw.get("kind", "grid")
        if kind not in STRATEGIES:
            raise self.fail(f"strategy kind must be one of {', '.join(STRATEGIES)}, got "
                            f"{kind!r}", "strategy", "kind")
        sampler = raw.get("sampler", "grid")
        if sampler not in ("grid", "random"):
            raise self.fail(f"strategy sampler must be grid or random, got {sampler!r}",
                            "strategy", "sampler")
        for key in ("samples", "seed", "top_k"):
            v = raw.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise self.fail(f"strategy {key} must be a non-negative integer, got {v!r}",
                                "strategy", key)
        random_sampling = kind == "random" or (kind == "multi_fidelity" and sampler == "random")
        if random_sampling and not raw.get("samples"):
            raise self.fail("random sampling needs samples = N (> 0)", "strategy")
        evaluator = raw.get("evaluator")
        if kind == "multi_fidelity":
            if not isinstance(evaluator, str) or not evaluator:
                raise self.fail("multi_fidelity needs evaluator = \"name\" or "
                                "\"package.module:function\"", "strategy")
            if not raw.get("top_k"):
                raise self.fail("multi_fidelity needs top_k = N (> 0)", "strategy")
        return Strategy(kind=kind, samples=raw.get("samples"), seed=raw.get("seed", 0),
                        sampler=sampler, top_k=raw.get("top_k", 0), evaluator=evaluator)
