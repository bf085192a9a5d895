"""DMA reader + writer + memory model with no Python per cycle: unaligned row copies checked byte for
byte through the memory model's image backdoor (sim/dma/test_dma_traffic.py)."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict

from amaranth.back import verilog

from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.axi_memory import write_storage_verilog
from gemmini_gen.hw.dma import DMAParams
from gemmini_gen.sim_runner import build


def test_unaligned_copies_with_python_idle(tmp_path, dma_sim_dir):
    spec = importlib.util.spec_from_file_location("dma_traffic", dma_sim_dir / "dma_traffic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    p = DMAParams.from_config(GemminiConfig())
    mem_bytes = 1 << 18
    top = module.DMATraffic(p, {"size_bytes": mem_bytes, "read_latency": 40,
                                "write_latency": 20})
    src = tmp_path / "dma_traffic.v"
    src.write_text(verilog.convert(top, name="dma_traffic"))
    sim = build("dma_traffic", [src, write_storage_verilog(tmp_path)])
    runs = [
        {"name": "aligned", "mode": 1, "rows": 1000, "src": 0x1000, "dst": 0x20000,
         "stride": 64, "nbytes": 64},
        {"name": "unaligned", "mode": 1, "rows": 700, "src": 0x1003, "dst": 0x30007,
         "stride": 77, "nbytes": 61},
        {"name": "tiny_rows", "mode": 1, "rows": 500, "src": 0x10FFF, "dst": 0x39001,
         "stride": 3, "nbytes": 1},
        {"name": "reads_only", "mode": 0, "rows": 800, "src": 0x2005, "dst": 0,
         "stride": 4096, "nbytes": 64},
        {"name": "writes_only", "mode": 2, "rows": 600, "src": 0, "dst": 0x2A0FD,
         "stride": 50, "nbytes": 47},
    ]
    setup = {"params": asdict(p), "mem_bytes": mem_bytes, "work_dir": str(tmp_path), "seed": 3,
             "runs": runs}
    sim.run("test_dma_traffic", test_dir=dma_sim_dir,
            extra_env={"DMA_TRAFFIC_SETUP": json.dumps(setup)})
