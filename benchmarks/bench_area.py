"""Area model timings: elaboration (RTLIL) and Yosys synthesis per component, cold, and the cached
lookup, for the default config resized to several array sizes.

    python benchmarks/bench_area.py [--dims 4 8 16] [--components mesh control ...]

Runs one Yosys at a time in a fresh temporary cache, so every figure is a cold run.  Prints one row
per (DIM, component): elaboration s, synthesis s, cells, flip-flops, SRAM bits, area in kGE.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from gemmini_gen import preset
from gemmini_gen.area import (COMPONENTS, AreaCache, ComponentUnavailable, area_report,
                              component_area)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--components", nargs="+", default=list(COMPONENTS),
                        choices=COMPONENTS)
    args = parser.parse_args()
    print(f"{'DIM':>4} {'component':<12} {'elab s':>7} {'synth s':>8} {'cells':>8} "
          f"{'flops':>7} {'SRAM bits':>10} {'kGE':>8}")
    for dim in args.dims:
        config = preset("default").with_dim(dim)
        with tempfile.TemporaryDirectory() as tmp:
            cache = AreaCache(tmp)
            for name in args.components:
                started = time.perf_counter()
                try:
                    area = component_area(config, name, cache=cache)
                except ComponentUnavailable as e:
                    print(f"{dim:>4} {name:<12} not available: {e}")
                    continue
                elaboration = time.perf_counter() - started - area.synthesis_s
                print(f"{dim:>4} {name:<12} {elaboration:>7.1f} {area.synthesis_s:>8.1f} "
                      f"{area.cells:>8} {area.flops:>7} {area.sram_bits:>10} "
                      f"{area.total_ge / 1000:>8.1f}", flush=True)
            started = time.perf_counter()
            report = area_report(config, tuple(args.components), cache=cache)
            lookup_ms = 1000 * (time.perf_counter() - started)
            print(f"{dim:>4} {'total':<12} {report.total_kge:.1f} kGE (cached lookup of all: "
                  f"{lookup_ms:.1f} ms)", flush=True)


if __name__ == "__main__":
    main()
