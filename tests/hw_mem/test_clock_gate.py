"""`clock_gate`: clock-gated scalers behave exactly like the ungated ones, cycle by cycle.

Verilator (not amaranth.sim, whose gated clocks race, see `gemmini_gen.hw.clock_gate`) runs one
design holding both variants of each gated unit on shared inputs: a `RowScaler` (MVIN_SCALE's
row pipeline, here with stalls from random back-pressure) and an `Accumulator`'s scaled read path
(ACC_SCALE), under random traffic with idle stretches long enough for the gates to close.  Every
output must agree in every cycle (valid always, payload when valid): cocotb_clock_gate.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from gemmini_gen.config import preset
from gemmini_gen.emit import convert
from gemmini_gen.hw.accumulator import Accumulator
from gemmini_gen.hw.arith import RowScaler
from gemmini_gen.hw.clock_gate import gated_domain
from gemmini_gen.sim_runner import build

HERE = Path(__file__).resolve().parent
ROW = 4                          # RowScaler elements
ROW_OUT = 8
TAG = 8
ACC_CFG = preset("small")        # DIM 4, int32 accumulator, int8 inputs
VARIANTS = ("plain", "gated")


def _row_ports(row_in: int) -> dict:
    ports = {"row_valid": In(1), "row_data": In(ROW * row_in), "row_scale": In(32),
             "row_relu": In(1), "row_tag": In(TAG), "row_ready_out": In(1)}
    for v in VARIANTS:
        ports.update({f"row_{v}_ready": Out(1), f"row_{v}_valid": Out(1),
                      f"row_{v}_data": Out(ROW * ROW_OUT), f"row_{v}_tag": Out(TAG)})
    return ports


def _acc_ports() -> dict:
    cfg = ACC_CFG
    ports = {"w_valid": In(1), "w_addr": In(cfg.acc_addr_bits), "w_data": In(cfg.dim * cfg.acc_bits),
             "w_mask": In(cfg.dim), "w_accumulate": In(1),
             "r_valid": In(1), "r_addr": In(cfg.acc_addr_bits), "r_full": In(1), "r_scale": In(32),
             "r_relu": In(1), "r_tag": In(TAG)}
    for v in VARIANTS:
        ports.update({f"acc_{v}_wready": Out(1), f"acc_{v}_rready": Out(1),
                      f"acc_{v}_valid": Out(1), f"acc_{v}_data": Out(cfg.dim * cfg.acc_bits),
                      f"acc_{v}_tag": Out(TAG)})
    return ports


class GatePair(wiring.Component):
    """Each gated unit twice, ungated (``plain``) and gated, on shared inputs; the RowScaler takes
    `row_in`-bit elements (8: rows at the identity scale bypass its units)."""

    def __init__(self, row_in: int):
        self.rows = {v: RowScaler(ROW, row_in, ROW_OUT, unsigned(TAG),
                                  units="instance" if v == "gated" else "inline",
                                  gate=v == "gated") for v in VARIANTS}
        self.accs = {v: Accumulator(ACC_CFG, read_clients=("store",), write_clients=("ex",),
                                    tag_shape=unsigned(TAG), gate_scalers=v == "gated",
                                    scalers="instance" if v == "gated" else "inline")
                     for v in VARIANTS}
        super().__init__({**_row_ports(row_in), **_acc_ports()})

    def verilog_modules(self):
        return {**self.rows["gated"].verilog_modules(), **self.accs["gated"].verilog_modules()}

    def elaborate(self, platform):
        m = Module()
        for v in VARIANTS:
            row = m.submodules[f"row_{v}"] = self.rows[v]
            m.d.comb += [row.i.valid.eq(self.row_valid), row.i.payload.data.eq(self.row_data),
                         row.i.payload.scale.eq(self.row_scale),
                         row.i.payload.relu.eq(self.row_relu), row.i.payload.tag.eq(self.row_tag),
                         row.o.ready.eq(self.row_ready_out),
                         getattr(self, f"row_{v}_ready").eq(row.i.ready),
                         getattr(self, f"row_{v}_valid").eq(row.o.valid),
                         getattr(self, f"row_{v}_data").eq(row.o.payload.data),
                         getattr(self, f"row_{v}_tag").eq(row.o.payload.tag)]
            acc = m.submodules[f"acc_{v}"] = self.accs[v]
            w, r = acc.write_port("ex"), acc.read_port("store")
            m.d.comb += [w.valid.eq(self.w_valid), w.payload.addr.eq(self.w_addr),
                         w.payload.data.eq(self.w_data), w.payload.mask.eq(self.w_mask),
                         w.payload.accumulate.eq(self.w_accumulate),
                         r.req.valid.eq(self.r_valid), r.req.payload.addr.eq(self.r_addr),
                         r.req.payload.full.eq(self.r_full), r.req.payload.scale.eq(self.r_scale),
                         r.req.payload.relu.eq(self.r_relu), r.req.payload.tag.eq(self.r_tag),
                         getattr(self, f"acc_{v}_wready").eq(w.ready),
                         getattr(self, f"acc_{v}_rready").eq(r.req.ready),
                         getattr(self, f"acc_{v}_valid").eq(r.resp.valid),
                         getattr(self, f"acc_{v}_data").eq(r.resp.payload.data),
                         getattr(self, f"acc_{v}_tag").eq(r.resp.payload.tag)]
        return m


@pytest.mark.parametrize("row_in", [32, 8])
def test_gated_units_match_ungated(tmp_path, row_in):
    source = tmp_path / "gate_pair.v"
    source.write_text(convert(GatePair(row_in), "gate_pair"))
    sim = build("gate_pair", [source], name=f"gate_pair_{row_in}")
    setup = {"row": {"elems": ROW, "in_bits": row_in, "out_bits": ROW_OUT},
             "acc": {"dim": ACC_CFG.dim, "bits": ACC_CFG.acc_bits, "rows": ACC_CFG.acc_rows},
             "tag_bits": TAG}
    sim.run("cocotb_clock_gate", test_dir=HERE, extra_env={"GATE_SETUP": json.dumps(setup)})


@pytest.mark.parametrize("name", ["", "1x", "a-b", None])
def test_domain_name_must_be_an_identifier(name):
    with pytest.raises(ValueError, match="identifier"):
        gated_domain(Module(), name, 1)
