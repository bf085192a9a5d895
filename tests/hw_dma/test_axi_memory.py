"""The AXI4 memory model on its own: backdoor images, exact read latency with streaming bursts
(INCR/FIXED/WRAP, narrow), and random traffic from cocotbext-axi's AxiMaster (sim/dma/test_axi_memory.py)."""

from __future__ import annotations

import gc

import json

import pytest
from amaranth.back import verilog

from gemmini_gen.hw.axi_memory import AXI4Memory, write_storage_verilog
from gemmini_gen.sim_runner import build

TESTS = ["image_roundtrip", "read_latency_and_streaming", "master_random",
         "write_response_timing"]


@pytest.mark.parametrize("data_width,read_latency,write_latency",
                         [(128, 40, 0), (64, 4, 7), (256, 13, 2)])
def test_axi_memory(data_width, read_latency, write_latency, tmp_path, dma_sim_dir):
    size_bytes = 1 << 16
    top = AXI4Memory(data_width=data_width, size_bytes=size_bytes, read_latency=read_latency,
                     write_latency=write_latency, id_width=4)
    src = tmp_path / "axi_memory.v"
    src.write_text(verilog.convert(top, name="axi_memory"))
    sim = build("axi_memory", [src, write_storage_verilog(tmp_path)])
    setup = {"data_width": data_width, "size_bytes": size_bytes, "read_latency": read_latency,
             "write_latency": write_latency, "work_dir": str(tmp_path), "seed": data_width}
    sim.run("test_axi_memory", test_dir=dma_sim_dir, testcase=TESTS,
            extra_env={"AXI_MEMORY_SETUP": json.dumps(setup)})


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # the rejected object
@pytest.mark.parametrize("kwargs,message", [
    ({"size_bytes": 3000}, "size_bytes must be a power of two"),
    ({"read_latency": 2}, "read_latency must be an integer >= 4"),
    ({"write_latency": -1}, "write_latency must be an integer >= 0"),
    ({"max_reads": 0}, "max_reads must be >= 1"),
    ({"data_width": 96}, "data width must be a power of two"),
])
def test_axi_memory_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AXI4Memory(**kwargs)
    gc.collect()            # finalise the rejected object while its warning is filtered
