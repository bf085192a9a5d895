"""DMA bandwidth against the HDL AXI4 memory model, with no Python per cycle.

Builds `sim/dma/dma_traffic.py` (DMA reader + writer + AXI4Memory with a fixed read latency) for a
design point and runs row streams of max-size DMA rows through it:

* read         rows from consecutive row-aligned addresses (what MVIN of a row-aligned matrix does)
* write        the same on the write side (MVOUT)
* copy         read and write concurrently (each row written as it arrives)
* read_unaligned  rows starting 5 bytes past an aligned address (one extra beat and burst per row)

Prints bytes/cycle per stream (the bus moves at most `dma_bus_bits/8` bytes per cycle and
direction), simulated cycles per wall-clock second, and the time to load and dump the whole memory
image through the model's binary file backdoor.  Every run is checked byte for byte.

    python benchmarks/bench_dma.py [--preset default] [--latency 40] [--rows 32000] [--mem-mib 4]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from amaranth.back import verilog

from gemmini_gen.config import ConfigError, preset
from gemmini_gen.hw.axi_memory import write_storage_verilog
from gemmini_gen.hw.dma import DMAParams
from gemmini_gen.sim_runner import build

SIM_DIR = Path(__file__).resolve().parents[1] / "sim" / "dma"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--latency", type=int, default=40, help="memory read latency (cycles)")
    ap.add_argument("--write-latency", type=int, default=40, help="write response latency")
    ap.add_argument("--rows", type=int, default=32000, help="rows per stream")
    ap.add_argument("--mem-mib", type=int, default=4, help="memory model size (MiB, power of 2)")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.preset)
    except ConfigError as e:
        ap.error(str(e))
    p = DMAParams.from_config(cfg)
    row = p.max_row_bytes
    mem_bytes = args.mem_mib << 20
    half = mem_bytes // 2
    if args.rows * row + 64 > half:
        ap.error(f"--rows {args.rows} of {row} bytes do not fit in half of {args.mem_mib} MiB")

    spec = importlib.util.spec_from_file_location("dma_traffic", SIM_DIR / "dma_traffic.py")
    traffic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(traffic)
    top = traffic.DMATraffic(p, {"size_bytes": mem_bytes, "read_latency": args.latency,
                                 "write_latency": args.write_latency,
                                 "max_reads": max(64, 2 * p.max_in_flight)})
    runs = [
        {"name": "read", "mode": traffic.READ, "src": 0, "dst": 0},
        {"name": "write", "mode": traffic.WRITE, "src": 0, "dst": half},
        {"name": "copy", "mode": traffic.COPY, "src": 0, "dst": half},
        {"name": "read_unaligned", "mode": traffic.READ, "src": 5, "dst": 0},
    ]
    for r in runs:
        r.update(rows=args.rows, stride=row, nbytes=row)

    with tempfile.TemporaryDirectory(prefix="bench_dma_") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        src = tmp / "dma_traffic.v"
        src.write_text(verilog.convert(top, name="dma_traffic"))
        sim = build("dma_traffic", [src, write_storage_verilog(tmp)])
        build_s = time.perf_counter() - t0
        results = tmp / "results.json"
        setup = {"params": asdict(p), "mem_bytes": mem_bytes, "work_dir": str(tmp), "seed": 1,
                 "runs": runs, "results": str(results)}
        t0 = time.perf_counter()
        sim.run("test_dma_traffic", test_dir=SIM_DIR,
                extra_env={"DMA_TRAFFIC_SETUP": json.dumps(setup)})
        run_s = time.perf_counter() - t0
        figures = json.loads(results.read_text())

    print(f"DMA bandwidth: preset {args.preset} ({cfg.dma_bus_bits}-bit bus, dma_max_bytes "
          f"{cfg.dma_max_bytes}, max_in_flight {cfg.max_in_flight}), {row}-byte rows, "
          f"read latency {args.latency}, write latency {args.write_latency}")
    print(f"{'stream':16} {'rows':>7} {'cycles':>9} {'B/cycle':>8} {'of peak':>8} {'Mcycles/s':>10}")
    for r in runs:
        f = figures[r["name"]]
        print(f"{r['name']:16} {f['rows']:7d} {f['cycles']:9d} {f['bytes_per_cycle']:8.2f} "
              f"{f['bytes_per_cycle'] / p.bus_bytes:8.1%} {f['sim_cycles_per_s'] / 1e6:10.3f}")
    img = figures["image"]
    print(f"image backdoor ({img['bytes'] >> 20} MiB): numpy->file {img['format_s']:.3f} s, "
          f"load {img['load_s']:.3f} s, dump {img['dump_s']:.3f} s, "
          f"file->numpy {img['parse_s']:.3f} s")
    print(f"build {build_s:.1f} s (cached when unchanged), simulation process {run_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
