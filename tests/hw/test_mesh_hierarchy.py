"""How the mesh is split into separately converted Verilog modules (`gemmini_gen.hw.mesh`).

Regions of the same size are converted once and instantiated.  A region whose inputs exceed what
Amaranth can number in one module (2**16 bits) is elaborated inline in its parent instead: a DIM 64
array with int16 inputs has 65,536 bits of preload links alone, and once failed to convert."""

from __future__ import annotations

import re

from gemmini_gen.config import GemminiConfig
from gemmini_gen.emit import build_top, convert
from gemmini_gen.hw.mesh import _fits_one_module, region_signature


def _module_names(verilog: str) -> set[str]:
    return set(re.findall(r"^module (\S+)\(", verilog, flags=re.MULTILINE))


def _region_sizes(modules: set[str]) -> set[str]:
    return {name.rsplit("_", 1)[1] for name in modules if name.startswith("gemmini_mesh_")}


def test_default_array_instantiates_every_region_size():
    config = GemminiConfig()                                   # DIM 16: 16x16 tiles of 1x1
    modules = _module_names(convert(build_top(config, "mesh"), "mesh"))
    assert _region_sizes(modules) == {"16x16", "8x8", "4x4", "2x2", "1x1"}


def test_region_wider_than_a_module_is_inlined():
    config = GemminiConfig(input_dtype="int16").with_dim(64)
    assert not _fits_one_module(region_signature(config, 64, 64))
    assert _fits_one_module(region_signature(config, 32, 32))
    verilog = convert(build_top(config, "mesh"), "mesh")
    modules = _module_names(verilog)
    assert _region_sizes(modules) == {"32x32", "16x16", "8x8", "4x4", "2x2", "1x1"}
    # The four 32x32 quadrants are instances inside the top module.
    quadrant = next(name for name in modules if name.endswith("_32x32"))
    assert len(re.findall(rf"^\s*{quadrant} ", verilog, flags=re.MULTILINE)) == 4
