"""Design-space exploration: sweep specs, strategies, executors, results store and reports
(see docs/dse.md).

    from gemmini_gen.dse import load_spec, run_sweep
    run_sweep(load_spec("dse/example.toml"), "out/example", workers=2)
"""

from .evaluators import Evaluator, EvaluatorError, register_evaluator, resolve_evaluator
from .executors import BACKENDS, ExecutorError, LocalExecutor, RayExecutor, make_executor
from .pareto import pareto_front, pareto_ranks, top_k
from .space import Point, grid_points, random_points, sweep_points
from .spec import METRICS, Axis, SpecError, Strategy, SweepSpec, WorkloadRef, load_spec, parse_spec
from .store import ResultsStore, StoreError
from .sweep import SweepError, SweepSummary, run_sweep

__all__ = [
    "Axis", "BACKENDS", "Evaluator", "EvaluatorError", "ExecutorError", "LocalExecutor", "METRICS",
    "Point", "RayExecutor", "ResultsStore", "SpecError", "StoreError", "Strategy", "SweepError",
    "SweepSpec", "SweepSummary", "WorkloadRef", "grid_points", "load_spec", "make_executor",
    "pareto_front", "pareto_ranks", "parse_spec", "random_points", "register_evaluator",
    "resolve_evaluator", "run_sweep", "sweep_points", "top_k",
]
