"""Expensive evaluators for multi-fidelity sweeps (the RTL simulation, or your own).

An evaluator measures what the analytic model predicts:

    evaluator(config: GemminiConfig, workload: Workload, *, dataflow: str | None) -> list[int]
                                                             # measured cycles, one per layer

It runs in a worker process (or a Ray task), so it must be importable there: name it in the spec
either by a registered name or as `"package.module:function"`.  `rtl` is registered: it runs every
layer's tiled program on the Verilated accelerator (`dse/rtl_evaluator.py`).  `dataflow` is the
sweep's `[model] dataflow` (None: the model's default).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


__all__ = ["Evaluator", "EvaluatorError", "register_evaluator", "resolve_evaluator"]

Evaluator = Callable[..., list[int]]      # (config, workload, *, dataflow) -> cycles per layer

# name -> "module:attribute" imported on first use.
_LAZY = {"rtl": "gemmini_gen.dse.rtl_evaluator:evaluate"}
_REGISTERED: dict[str, Evaluator] = {}


class EvaluatorError(ValueError):
    """An evaluator that cannot be found or imported (one line)."""


def register_evaluator(name: str, evaluator: Evaluator) -> None:
    _REGISTERED[name] = evaluator


def resolve_evaluator(name: str) -> Evaluator:
    if name in _REGISTERED:
        return _REGISTERED[name]
    target = _LAZY.get(name, name)
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise EvaluatorError(f"unknown evaluator {name!r}: give a registered name "
                             f"({', '.join(sorted(set(_REGISTERED) | set(_LAZY)))}) or "
                             f"\"package.module:function\"")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise EvaluatorError(f"evaluator {name!r} needs module {module_name}, which is not "
                                 f"available") from None
        raise
    try:
        evaluator = getattr(module, attribute)
    except AttributeError:
        raise EvaluatorError(f"evaluator {name!r}: {module_name} has no {attribute!r}") from None
    if not callable(evaluator):
        raise EvaluatorError(f"evaluator {name!r}: {target} is not callable")
    return evaluator
