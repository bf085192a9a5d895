"""The area model: each component of a design point synthesized with Yosys, weighted into NAND2
equivalents (GE) and cached.

    from gemmini_gen.area import area_report
    report = area_report(preset("small"))           # every component; minutes cold, ms cached
    report.total_kge, report.components["mesh"].sram_bits, report.unavailable

`component_area(config, name)` is one component; the first call for a (component, config) pair
elaborates the component to RTLIL and synthesizes it (unless another config already produced the
same RTLIL), later calls read the cache (`cache.AreaCache`).  The weights (`weights.AreaWeights`)
are applied to the cached cell counts, so changing them needs no new synthesis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..config import GemminiConfig
from .cache import AreaCache
from .components import COMPONENTS, ComponentUnavailable, build_component
from .rtlil import design_texts
from .weights import DEFAULT_WEIGHTS, AreaWeights
from .yosys import SynthesisResult, synthesis_script, synthesize, yosys_version

__all__ = ["AreaReport", "ComponentArea", "area_report", "component_area", "synthesis_result"]


@dataclass(frozen=True)
class ComponentArea:
    """One component's area: logic (gates and flip-flops) and SRAM macros, in GE."""

    component: str
    logic_ge: float
    sram_ge: float
    cells: int
    flops: int
    sram_bits: int
    parts_ge: dict[str, float]          # by the component's direct submodules
    synthesis_s: float                  # Yosys wall time when it ran (cached: the original run)
    cached: bool

    @property
    def total_ge(self) -> float:
        return self.logic_ge + self.sram_ge

    def to_dict(self) -> dict:
        return {"component": self.component, "total_ge": self.total_ge,
                "logic_ge": self.logic_ge, "sram_ge": self.sram_ge, "cells": self.cells,
                "flops": self.flops, "sram_bits": self.sram_bits, "parts_ge": self.parts_ge,
                "synthesis_s": self.synthesis_s, "cached": self.cached}


@dataclass(frozen=True)
class AreaReport:
    """The area of a design point: the components that could be built and why others not."""

    config_hash: str
    components: dict[str, ComponentArea]
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def total_ge(self) -> float:
        return sum(c.total_ge for c in self.components.values())

    @property
    def total_kge(self) -> float:
        return self.total_ge / 1000

    def to_dict(self) -> dict:
        return {"config_hash": self.config_hash, "total_kge": self.total_kge,
                "components": {k: v.to_dict() for k, v in self.components.items()},
                "unavailable": dict(self.unavailable)}


def synthesis_result(config: GemminiConfig, component: str, *,
                     cache: AreaCache | None = None, timeout: float | None = None
                     ) -> tuple[SynthesisResult, bool]:
    """(Yosys result for `component` of `config`, whether it came from the cache)."""
    cache = cache or AreaCache()
    tool = yosys_version()
    point = cache.point_key(component, config.content_hash(), tool)
    hit = cache.get("point", point)
    if hit is not None:
        stored = cache.get("netlist", hit["netlist"])
        if stored is not None:
            return SynthesisResult.from_json(stored), True
    design = build_component(component, config)
    started = time.perf_counter()
    text, verilog = design_texts(design.top, keep=design.blackboxes)
    elaboration_s = round(time.perf_counter() - started, 3)
    netlist = cache.netlist_key(text + verilog, synthesis_script(design.blackboxes, bool(verilog)),
                                tool)
    stored = cache.get("netlist", netlist)
    cached = stored is not None
    if stored is None:
        stored = synthesize(text, verilog=verilog, blackboxes=design.blackboxes,
                            timeout=timeout).to_json()
        cache.put("netlist", netlist, stored)
    cache.put("point", point, {"component": component, "config_hash": config.content_hash(),
                               "netlist": netlist, "elaboration_s": elaboration_s})
    return SynthesisResult.from_json(stored), cached


def component_area(config: GemminiConfig, component: str, *,
                   weights: AreaWeights = DEFAULT_WEIGHTS, cache: AreaCache | None = None,
                   timeout: float | None = None) -> ComponentArea:
    """The area of one component of `config` (raises `ComponentUnavailable`, `AreaToolError`)."""
    result, cached = synthesis_result(config, component, cache=cache, timeout=timeout)
    parts = {name: weights.logic(cells) + sum(weights.memory(m)
                                              for m in result.part_memories.get(name, ()))
             for name, cells in result.parts.items()}
    return ComponentArea(
        component=component, logic_ge=weights.logic(result.cells),
        sram_ge=sum(weights.memory(m) for m in result.memories),
        cells=sum(result.cells.values()), flops=weights.flops(result.cells),
        sram_bits=sum(m.bits for m in result.memories), parts_ge=parts,
        synthesis_s=result.seconds, cached=cached)


def area_report(config: GemminiConfig, components: tuple[str, ...] = COMPONENTS, *,
                weights: AreaWeights = DEFAULT_WEIGHTS, cache: AreaCache | None = None,
                timeout: float | None = None) -> AreaReport:
    """Every requested component's area; a component this version cannot build is listed in
    `unavailable` with the reason instead."""
    areas, unavailable = {}, {}
    for name in components:
        try:
            areas[name] = component_area(config, name, weights=weights, cache=cache,
                                         timeout=timeout)
        except ComponentUnavailable as e:
            unavailable[name] = str(e)
    return AreaReport(config.content_hash(), areas, unavailable)
