"""Loading and dumping a memory image of the AXI4 memory model: its binary file backdoor
(`$fread`/`$fwrite`) versus one VPI access per bus word (cocotb), on the same Verilator build.

    python benchmarks/bench_image_load.py [--mib 1 4] [--bus-bits 128]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from amaranth.back import verilog

from gemmini_gen.hw.axi_memory import STORAGE_MODULE, AXI4Memory, write_storage_verilog
from gemmini_gen.sim_runner import build

SIM_DIR = Path(__file__).resolve().parents[1] / "sim" / "dma"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, nargs="+", default=[1, 4], help="image sizes (MiB)")
    ap.add_argument("--bus-bits", type=int, default=128)
    args = ap.parse_args(argv)
    print(f"{'image':>7} {'file load':>10} {'file dump':>10} {'VPI load':>9} "
          f"{'VPI dump':>9}   (seconds, including numpy <-> file)")
    for mib in args.mib:
        size = mib << 20
        if size & (size - 1):
            ap.error(f"--mib {mib}: the memory size must be a power of two")
        with tempfile.TemporaryDirectory(prefix="bench_image_") as tmp:
            tmp = Path(tmp)
            src = tmp / "axi_memory.v"
            src.write_text(verilog.convert(AXI4Memory(data_width=args.bus_bits, size_bytes=size),
                                           name="axi_memory"))
            sim = build("axi_memory", [src, write_storage_verilog(tmp)],
                        public=[f"{STORAGE_MODULE}.mem"], name="axi_memory_public")
            results = tmp / "results.json"
            setup = {"data_width": args.bus_bits, "size_bytes": size, "work_dir": str(tmp),
                     "results": str(results)}
            sim.run("test_image_backdoor", test_dir=SIM_DIR,
                    extra_env={"IMAGE_SETUP": json.dumps(setup)})
            f = json.loads(results.read_text())
        print(f"{mib:5d} MiB {f['file_load_s']:10.3f} {f['file_dump_s']:10.3f} "
              f"{f['vpi_load_s']:9.3f} {f['vpi_dump_s']:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
