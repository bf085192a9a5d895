"""Evaluate design points: the functions that executors run in worker processes / Ray tasks.

Each returns plain JSON-ready records (one per point) that the results store appends:

    analytic:  {"type": "point", "stage": "analytic", "id", "index", "params", "status": "ok",
                "config", "config_hash", "area_proxy_mtr", "area", "area_detail", "wall_time_s",
                "workloads": {label: {"mode", "dataflow", "rows", "cols", "model", "totals",
                                      "layers": {field: [one value per layer]}}}}
    expensive: {"type": "point", "stage": "expensive", "id", "index", "params", "status": "ok",
                "evaluator", "wall_time_s", "measured": {label: [cycles per layer]}}

`area` is the area model's figure (`dse/area.py`; None without one).  A point whose config is
invalid, or whose evaluation raises, gets `"status": "failed"` and `"error"` (one line) instead;
the sweep goes on.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

from ..config import ConfigError, GemminiConfig
from ..perf.area_proxy import area_proxy_mtr
from ..perf.estimate import Estimate, get_model
from ..perf.model_params import GemminiModelParams
from ..perf.workload import Workload
from .area import area_function
from .evaluators import resolve_evaluator
from .space import Point
from .store import Encoded, encode

__all__ = ["EvalContext", "analytic_encoded", "evaluate_analytic", "evaluate_expensive",
           "expensive_encoded", "layer_columns", "layer_rows", "point_config"]


@dataclass(frozen=True)
class EvalContext:
    """Everything a worker needs; picklable, sent once per worker."""

    base: dict[str, Any]
    labels: tuple[str, ...]
    workloads: tuple[Workload, ...]
    mode: str
    dataflow: str | None
    model_params: GemminiModelParams | None
    evaluator: str | None = None
    area_model: str = "none"                     # resolved: "yosys", "none" or a function
    area_components: tuple[str, ...] = ()


def layer_columns(est: Estimate) -> dict[str, list]:
    """The layers of an estimate as columns (field -> one value per layer; `details` keys become
    columns too): a third of the size of one dict per layer in every record."""
    rows = [{**{k: v for k, v in layer.to_dict().items() if k != "details"}, **layer.details}
            for layer in est.layers]
    return {key: [row.get(key) for row in rows] for key in rows[0]}


def layer_rows(columns: dict[str, list]) -> list[dict[str, Any]]:
    """Inverse of `layer_columns`: one dict per layer."""
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def point_config(ctx: EvalContext, point: Point) -> GemminiConfig:
    data = dict(ctx.base)
    data.update(point.as_dict())
    data["name"] = point.id
    return GemminiConfig.from_dict(data, source=f"point {point.id}")


def _base_record(stage: str, point: Point) -> dict[str, Any]:
    return {"type": "point", "stage": stage, "id": point.id, "index": point.index,
            "params": point.as_dict()}


def _failure(record: dict[str, Any], error: BaseException, started: float) -> dict[str, Any]:
    if isinstance(error, (ConfigError, ValueError)):
        message = str(error)
    else:
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        message = f"{type(error).__name__}: {error}{where}"
    record.update(status="failed", error=message.splitlines()[0] if message else
                  type(error).__name__, wall_time_s=time.perf_counter() - started)
    return record


def evaluate_analytic(ctx: EvalContext, points: list[Point]) -> list[dict[str, Any]]:
    options = {"params": ctx.model_params} if ctx.mode == "gemmini" and ctx.model_params else {}
    model = get_model(ctx.mode, **options)
    area_of = area_function(ctx.area_model, ctx.area_components)
    records = []
    for point in points:
        started = time.perf_counter()
        record = _base_record("analytic", point)
        try:
            config = point_config(ctx, point)
            workloads = {}
            for label, workload in zip(ctx.labels, ctx.workloads):
                est = model.estimate(workload, config, dataflow=ctx.dataflow)
                workloads[label] = {"mode": est.mode, "dataflow": est.dataflow,
                                    "rows": est.rows, "cols": est.cols, "model": est.model,
                                    "totals": est.totals(), "layers": layer_columns(est)}
            area = area_of(config) if area_of else {"area": None, "area_detail": None}
            record.update(status="ok", config=config.to_dict(),
                          config_hash=config.content_hash(),
                          area_proxy_mtr=area_proxy_mtr(config), **area, workloads=workloads,
                          wall_time_s=time.perf_counter() - started)
        except Exception as e:      # recorded as a failed point; the sweep goes on
            record = _failure(record, e, started)
        records.append(record)
    return records


def evaluate_expensive(ctx: EvalContext, points: list[Point]) -> list[dict[str, Any]]:
    records = []
    for point in points:
        started = time.perf_counter()
        record = _base_record("expensive", point)
        record["evaluator"] = ctx.evaluator
        try:
            evaluator = resolve_evaluator(ctx.evaluator or "")
            config = point_config(ctx, point)
            measured = {}
            for label, workload in zip(ctx.labels, ctx.workloads):
                cycles = [int(c) for c in evaluator(config, workload, dataflow=ctx.dataflow)]
                if len(cycles) != len(workload.layers):
                    raise ValueError(f"evaluator returned {len(cycles)} layer cycle counts for "
                                     f"{len(workload.layers)} layers of {label}")
                measured[label] = cycles
            record.update(status="ok", measured=measured,
                          wall_time_s=time.perf_counter() - started)
        except Exception as e:      # recorded as a failed point; the sweep goes on
            record = _failure(record, e, started)
        records.append(record)
    return records


def analytic_encoded(ctx: EvalContext, points: list[Point]) -> list[Encoded]:
    """`evaluate_analytic`, encoded in the worker (what executors run: the main process then only
    writes the lines)."""
    return [encode(record) for record in evaluate_analytic(ctx, points)]


def expensive_encoded(ctx: EvalContext, points: list[Point]) -> list[Encoded]:
    return [encode(record) for record in evaluate_expensive(ctx, points)]
