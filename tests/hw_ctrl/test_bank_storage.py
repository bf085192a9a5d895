"""`bank_storage`: the Verilog bank module behaves exactly like the Amaranth memory it replaces.

Both storages of a few bank shapes sit side by side in one design (Verilator) under the same random
traffic -- element-masked writes, reads of the row being written in the same cycle, back-to-back
writes -- and every read port's output must agree in every cycle (cocotb test in
cocotb_bank_storage.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from gemmini_gen.emit import convert
from gemmini_gen.hw.bank_storage import make_bank, verilog_modules
from gemmini_gen.sim_runner import build

HERE = Path(__file__).resolve().parent
#: (depth, elements, element bits, read ports) of the banks under test.
SHAPES = [(64, 4, 8, ("sync",)), (32, 2, 32, ("comb", "sync")), (16, 3, 16, ("sync", "sync"))]


class BankPair(wiring.Component):
    """Each bank shape twice, Amaranth and Verilog storage, on shared inputs."""

    def __init__(self):
        ports = {}
        for i, (depth, elems, bits, reads) in enumerate(SHAPES):
            abits = (depth - 1).bit_length()
            row = unsigned(elems * bits)
            ports.update({f"waddr{i}": In(abits), f"wdata{i}": In(row), f"wen{i}": In(elems)})
            for r in range(len(reads)):
                ports[f"raddr{i}_{r}"] = In(abits)
                ports[f"amaranth{i}_{r}"] = Out(row)
                ports[f"verilog{i}_{r}"] = Out(row)
        super().__init__(ports)

    def verilog_modules(self):
        return verilog_modules()

    def elaborate(self, platform):
        m = Module()
        for i, (depth, elems, bits, reads) in enumerate(SHAPES):
            shape = data.ArrayLayout(signed(bits), elems)
            for storage in ("amaranth", "verilog"):
                wp, rps = make_bank(m, f"{storage}{i}", shape, depth, reads, storage)
                m.d.comb += [wp.addr.eq(getattr(self, f"waddr{i}")),
                             wp.data.eq(getattr(self, f"wdata{i}")),
                             wp.en.eq(getattr(self, f"wen{i}"))]
                for r, rp in enumerate(rps):
                    m.d.comb += [rp.addr.eq(getattr(self, f"raddr{i}_{r}")),
                                 getattr(self, f"{storage}{i}_{r}").eq(rp.data)]
        return m


def test_verilog_storage_matches_amaranth(tmp_path):
    source = tmp_path / "bank_pair.v"
    source.write_text(convert(BankPair(), "bank_pair"))
    sim = build("bank_pair", [source], name="bank_pair")
    setup = [{"index": i, "depth": d, "elems": e, "bits": b, "reads": len(r)}
             for i, (d, e, b, r) in enumerate(SHAPES)]
    sim.run("cocotb_bank_storage", test_dir=HERE,
            extra_env={"BANK_SETUP": json.dumps(setup)})
