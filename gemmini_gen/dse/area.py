"""Area of a design point for the sweep: the `area` metric.

A spec's ``[area] model`` chooses it:

* ``"auto"`` (default): the Yosys area model when `area` is one of the spec's metrics, else none
  (synthesis costs minutes per cold design point: a sweep pays it only when it asks for area);
* ``"yosys"``: the Yosys area model (`gemmini_gen.area.area_report`), always -- kGE summed over
  ``[area] components`` (default: all); results are cached on disk, so a point's components are
  synthesized once across sweeps and re-runs;
* ``"none"``: no area (the `area` column stays empty; `area_proxy_mtr` is always there);
* ``"package.module:function"``: `function(config) -> float`, any area figure.

`area_function(model, components)` resolves the choice into `config -> {"area", "area_detail"}`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..config import GemminiConfig

__all__ = ["AREA_MODELS", "AreaModelError", "area_function", "resolve_area_model"]

AREA_MODELS = ("auto", "yosys", "none")


class AreaModelError(ValueError):
    """An area model that cannot be used (one line)."""


def resolve_area_model(model: str, area_is_a_metric: bool) -> str:
    """"auto" -> "yosys" when the spec's metrics include area, else "none"; "yosys" must be
    installed (`AreaModelError` says how); "none" and functions as they are."""
    if model == "auto":
        model = "yosys" if area_is_a_metric else "none"
    if model == "yosys":
        from ..area.yosys import yosys_available
        reason = yosys_available()
        if reason:
            raise AreaModelError(f"metric area needs the Yosys area model: {reason}"
                                 if area_is_a_metric else reason)
    return model


def area_function(model: str, components: tuple[str, ...]
                  ) -> Callable[[GemminiConfig], dict[str, Any]] | None:
    """The area of a point for a resolved model (None for "none")."""
    if model == "none":
        return None
    if model == "yosys":
        from ..area import area_report

        def yosys_area(config: GemminiConfig) -> dict[str, Any]:
            report = area_report(config, components)
            detail = {name: round(c.total_ge / 1000, 3) for name, c in report.components.items()}
            return {"area": report.total_kge, "area_detail": {
                "unit": "kGE", "components": detail, "unavailable": report.unavailable}}
        return yosys_area
    module_name, _, attr = model.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise AreaModelError(f"cannot import area model {model!r}: {e}") from None

    def custom_area(config: GemminiConfig) -> dict[str, Any]:
        return {"area": float(function(config)), "area_detail": {"model": model}}
    return custom_area
