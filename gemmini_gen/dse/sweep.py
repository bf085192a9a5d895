"""Run a sweep: points -> executor -> results store -> reports.

    run_sweep(spec, out_dir, backend="local", workers=None, resume=False)

Stage 1 evaluates every point with the analytic model; a `multi_fidelity` strategy then gives the
`top_k` best points (Pareto rank, then first objective) to its expensive evaluator.  Every record is
appended to `out_dir/results.jsonl` as it arrives, so a sweep killed at any moment resumes with
`resume=True` and re-runs only what has no record.  At the end `results.csv`, `results.json`,
`report.html` and its PNGs are (re)written from all records.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..perf.estimate import ModelError
from ..perf.model_params import GemminiModelParams
from ..perf.workload import WorkloadError, load_workload
from .area import AreaModelError, area_function, resolve_area_model
from .evaluate import EvalContext, analytic_encoded, expensive_encoded
from .evaluators import resolve_evaluator
from .executors import make_executor
from .pareto import top_k
from .provenance import git_revision, now_utc, run_record, tool_versions
from .report_html import write_html_report
from .results import build_results, csv_text, metric_value, write_atomic
from .space import Point, sweep_points
from .spec import SpecError, SweepSpec
from .store import ResultsStore, StoreError

__all__ = ["SweepError", "SweepSummary", "run_sweep"]

STORE_NAME = "results.jsonl"


class SweepError(ValueError):
    """A sweep that cannot start or continue (one line)."""


@dataclass(frozen=True)
class SweepSummary:
    points: int
    evaluated: int          # analytic records written by this run
    failed: int             # failed points in the whole sweep
    expensive: int          # expensive records written by this run
    out_dir: Path
    evaluation_s: float     # wall time of both stages in this run
    report_s: float         # wall time writing the reports


def _context(spec: SweepSpec) -> EvalContext:
    workloads = []
    for ref in spec.workloads:
        try:
            workloads.append(load_workload(ref.source, symbols=dict(ref.symbols),
                                           skip_malformed=ref.skip_malformed))
        except WorkloadError as e:
            where = f"{spec.source}:{ref.line}" if ref.line else spec.source
            raise SpecError(f"{where}: workload {ref.label}: {e}") from None
    try:
        params = GemminiModelParams.load(spec.model_params) if spec.model_params else None
    except ModelError as e:
        raise SpecError(f"{spec.source}: [model] params: {e}") from None
    wanted = any(m.partition("@")[0] == "area" for m, _ in spec.objectives)
    try:
        area_model = resolve_area_model(spec.area_model, wanted)
        area_function(area_model, spec.area_components)          # importable: fail now
    except AreaModelError as e:
        raise SpecError(f"{spec.source}: [area] model: {e}") from None
    return EvalContext(base=spec.base, labels=tuple(w.label for w in spec.workloads),
                       workloads=tuple(workloads), mode=spec.mode, dataflow=spec.model_dataflow,
                       model_params=params, evaluator=spec.strategy.evaluator,
                       area_model=area_model, area_components=spec.area_components)


def _store_key(spec: SweepSpec, ctx: EvalContext) -> dict[str, Any]:
    return {"spec_digest": spec.digest(), "area_model": ctx.area_model,
            "workloads": {label: w.content_hash() for label, w in zip(ctx.labels,
                                                                      ctx.workloads)}}


def _open_store(out_dir: Path, key: dict[str, Any], spec: SweepSpec, resume: bool
                ) -> ResultsStore:
    store = ResultsStore(out_dir / STORE_NAME)
    if store.exists():
        if not resume:
            raise SweepError(f"{out_dir} already holds a sweep ({STORE_NAME}); pass --resume to "
                             f"continue it or choose another --out")
        try:
            store.open()
        except StoreError as e:
            raise SweepError(str(e)) from None
        if store.header.get("key") != key:
            store.close()
            raise SweepError(f"{out_dir}/{STORE_NAME} was produced by a different spec, "
                             f"different workloads or another area model; resume needs the "
                             f"same ones (or use a new --out)")
    else:
        store.create({"key": key, "name": spec.name, "spec_source": spec.source,
                      "created": now_utc()})
    return store


def _chunks(points: list[Point], workers: int, size: int | None = None) -> list[list[Point]]:
    size = size or max(1, min(64, len(points) // (4 * workers)))
    return [points[i:i + size] for i in range(0, len(points), size)]


def _run_stage(executor, fn, ctx, points, store, workers, desc, progress, chunk=None) -> int:
    written = 0
    with tqdm(total=len(points), desc=desc, unit="pt", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for encoded in executor.map_unordered(fn, ctx, _chunks(points, workers, chunk)):
            store.append_encoded(encoded)
            written += len(encoded)
            bar.update(len(encoded))
    return written


def run_sweep(spec: SweepSpec, out_dir: str | Path, *, backend: str = "local",
              workers: int | None = None, resume: bool = False, progress: bool = True,
              address: str | None = None) -> SweepSummary:
    out_dir = Path(out_dir)
    ctx = _context(spec)
    if spec.strategy.kind == "multi_fidelity":
        resolve_evaluator(spec.strategy.evaluator)      # fail now, not after stage 1
    points = sweep_points(spec.axes, spec.strategy)
    key = _store_key(spec, ctx)
    executor = make_executor(backend, workers, address)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        store = _open_store(out_dir, key, spec, resume)
        try:
            store.append(run_record(backend, executor.workers))
            started = time.perf_counter()
            done = store.finished("analytic")
            todo = [p for p in points if p.id not in done]
            evaluated = _run_stage(executor, analytic_encoded, ctx, todo, store,
                                   executor.workers, "analytic", progress)
            expensive = 0
            if spec.strategy.kind == "multi_fidelity":
                chosen = _expensive_points(spec, points, store)
                done = store.finished("expensive")
                todo = [p for p in chosen if p.id not in done]
                expensive = _run_stage(executor, expensive_encoded, ctx, todo, store,
                                       executor.workers, spec.strategy.evaluator, progress,
                                       chunk=1)
            evaluated_at = time.perf_counter()
            failed = write_reports(spec, points, store, out_dir, evaluated_at - started)
        finally:
            store.close()
    finally:
        executor.close()
    return SweepSummary(points=len(points), evaluated=evaluated, failed=failed,
                        expensive=expensive, out_dir=out_dir,
                        evaluation_s=evaluated_at - started,
                        report_s=time.perf_counter() - evaluated_at)


def _expensive_points(spec: SweepSpec, points: list[Point], store: ResultsStore) -> list[Point]:
    analytic = {r["id"]: r for r in store.records("point", "analytic")}
    ok = [p for p in points if analytic[p.id]["status"] == "ok"]
    results = {r["id"]: r for r in build_results([p.id for p in ok], analytic, {},
                                                 spec.objectives)}
    values = [[metric_value(results[p.id], m) for m, _ in spec.objectives] for p in ok]
    chosen = top_k(values, [s for _, s in spec.objectives], spec.strategy.top_k)
    return [ok[i] for i in chosen]


def write_reports(spec: SweepSpec, points: list[Point], store: ResultsStore, out_dir: Path,
                  wall_time_s: float) -> int:
    """Write results.csv, results.json and report.html from every record; returns #failed."""
    analytic = {r["id"]: r for r in store.records("point", "analytic")}
    expensive = {r["id"]: r for r in store.records("point", "expensive")}
    results = build_results([p.id for p in points], analytic, expensive, spec.objectives)
    labels = [w.label for w in spec.workloads]
    param_names = [axis.name for axis in spec.axes]
    runs = list(store.records("run"))
    provenance = {"spec": spec.source, "spec_digest": spec.digest(), "mode": spec.mode,
                  "strategy": spec.strategy.kind, **git_revision(), "versions": tool_versions(),
                  "runs": len(runs), "backends": sorted({r["backend"] for r in runs}),
                  "evaluation_wall_time_last_run_s": round(wall_time_s, 3),
                  "evaluation_time_s": round(sum(p.get("wall_time_s") or 0 for p in results), 3),
                  "written": now_utc()}
    document = {"name": spec.name, "provenance": provenance, "runs": runs,
                "parameters": {a.name: list(a.values) for a in spec.axes},
                "workloads": {w.label: w.source for w in spec.workloads},
                "objectives": [{"metric": m, "sense": s} for m, s in spec.objectives],
                "points": results}
    write_atomic(out_dir / "results.json", json.dumps(document, separators=(",", ":")) + "\n")
    write_atomic(out_dir / "results.csv", csv_text(results, param_names))
    write_html_report(out_dir, f"Design-space sweep: {spec.name}", results, labels,
                      spec.objectives, provenance)
    return sum(1 for p in results if p["status"] != "ok")
