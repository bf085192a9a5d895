"""Banked accumulator: ``acc_banks`` banks of ``acc_bank_rows`` rows of DIM ``acc_t`` elements.

Row ``r`` lives in bank ``r // ACC_BANK_ROWS``.  Ports (handshakes in :mod:`.bank_ports`):

* write clients (default ``("ex", "load")``: execute's C results, load/mvin) -- ``write_<name>``:
  {addr, data, mask, accumulate}.  ``accumulate = 0`` overwrites the masked elements, ``1`` adds
  to them (wrapping modulo 2**W_ACC, ISA section 6).  Each bank runs a read-modify-write pipeline of
  ``acc_latency`` cycles that takes one row per cycle, including back-to-back accumulates to the
  same row: the pipeline reads the old row one cycle before it writes (``acc_latency == 1``: in the
  same cycle, asynchronously) through a write-first port, so every earlier write is seen.  A write
  accepted in cycle t is in memory at the end of cycle t + acc_latency - 1.
* read clients (default ``("store",)``, mvout) -- ``read_<name>``: ``req`` {addr, full, scale,
  relu, tag} -> ``resp`` {data, tag} exactly :attr:`Accumulator.read_latency` cycles later.
  ``full = 1`` returns the raw acc_t row.  ``full = 0`` returns ``act(ACC_SCALE(x, scale))``
  (fp32 scale, round half to even, saturate to elem_t, then ReLU if ``relu``; ISA sections 6 and
  7.4), sign-extended to acc_t.  Both kinds share one latency, so responses stay in request order.
  Without a scaler (``acc_scale = "none"`` or ``acc_read_small_width`` off) a scaled read returns
  the raw value (the store keeps its low bytes); with ``acc_read_full_width`` off ``full`` is ignored.

Per bank and cycle: one external read, one RMW write (plus the RMW pipeline's own read port).
Conflicting clients are served in list order.  A read in the same cycle as a write to the same row
sees the new elements.  The contents start at zero.  ``storage="verilog"`` keeps each bank in a small
Verilog module instead of an Amaranth memory (see :mod:`.bank_storage`), and ``scalers="instance"``
makes the read path's ScaleToInt units instances of one Verilog module (`.arith.place_scalers`);
``gate_scalers=True`` clocks the scalers and the pipeline beside them only while a read is in
them (`.clock_gate`; not for amaranth.sim).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In
from amaranth.utils import exact_log2

from ..config import GemminiConfig
from .arith import SCALER_UNITS, FP32Layout, ScaleToInt, place_scalers, scaler_modules
from .bank_storage import STORAGES, make_bank
from .bank_storage import verilog_modules as bank_storage_modules
from .bank_ports import (ReadPortSignature, check_clients, fixed_priority, select,
                         write_port_signature)
from .clock_gate import gated_domain
from .clock_gate import verilog_modules as clock_gate_modules

__all__ = ["Accumulator"]


class Accumulator(wiring.Component):
    """The accumulator of design point `cfg` (ports described in the module docstring)."""

    def __init__(self, cfg: GemminiConfig, *, read_clients=("store",),
                 write_clients=("ex", "load"), tag_shape=unsigned(8), storage="amaranth",
                 scalers="inline", gate_scalers=False):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
        if scalers not in SCALER_UNITS:
            raise ValueError(f"scalers must be one of {', '.join(SCALER_UNITS)}, got {scalers!r}")
        self.cfg = cfg
        self.storage = storage
        self.scalers = scalers
        self.gate_scalers = bool(gate_scalers)
        self.read_clients = check_clients("read", read_clients)
        self.write_clients = check_clients("write", write_clients)
        self.tag_shape = tag_shape
        self.row_shape = data.ArrayLayout(signed(cfg.acc_bits), cfg.dim)
        self.has_scaler = cfg.acc_scale == "fp32" and cfg.acc_read_small_width
        self.read_signature = ReadPortSignature(
            cfg.acc_addr_bits, self.row_shape, tag_shape,
            extra={"full": unsigned(1), "scale": FP32Layout, "relu": unsigned(1)})
        self.write_signature = write_port_signature(cfg.acc_addr_bits, self.row_shape,
                                                    extra={"accumulate": unsigned(1)})
        members = {f"read_{n}": In(self.read_signature) for n in self.read_clients}
        members.update({f"write_{n}": In(self.write_signature) for n in self.write_clients})
        super().__init__(members)

    @property
    def read_latency(self) -> int:
        """Cycles from a read request's handshake to its response."""
        return 1 + (ScaleToInt.LATENCY if self.has_scaler else 0)

    @property
    def write_latency(self) -> int:
        """Cycles from a write's handshake to the end of the cycle it is written in, plus one."""
        return self.cfg.acc_latency

    def verilog_modules(self) -> dict:
        """Verilog modules the banks, scalers and clock gates instantiate (none with Amaranth
        storage, inline scalers and no gating)."""
        modules = bank_storage_modules() if self.storage == "verilog" else {}
        if self.has_scaler:
            modules.update(scaler_modules(self.cfg.acc_bits, self.cfg.input_bits, self.scalers))
            if self.gate_scalers:
                modules.update(clock_gate_modules())
        return modules

    def read_port(self, name: str):
        return getattr(self, f"read_{name}")

    def write_port(self, name: str):
        return getattr(self, f"write_{name}")

    def elaborate(self, platform):
        cfg = self.cfg
        m = Module()
        row_bits = exact_log2(cfg.acc_bank_rows)
        nbanks = cfg.acc_banks
        latency = cfg.acc_latency

        def bank_of(addr):
            return addr[row_bits:] if nbanks > 1 else 0

        writes = [self.write_port(n) for n in self.write_clients]
        wgrants, wwinners = fixed_priority(
            m, [(w.valid, bank_of(w.payload.addr)) for w in writes], nbanks)
        for w, grant in zip(writes, wgrants):
            m.d.comb += w.ready.eq(grant)
        reads = [self.read_port(n) for n in self.read_clients]
        rgrants, rwinners = fixed_priority(
            m, [(r.req.valid, bank_of(r.req.payload.addr)) for r in reads], nbanks)

        op_layout = data.StructLayout({"valid": unsigned(1), "row": unsigned(row_bits),
                                       "data": self.row_shape, "mask": unsigned(cfg.dim),
                                       "accumulate": unsigned(1)})
        ext_ports = []
        for b in range(nbanks):
            # The RMW read port with latency 1 is asynchronous: it sees every earlier write.
            wp, (rmw, ext) = make_bank(m, f"bank{b}", self.row_shape, cfg.acc_bank_rows,
                                  ("comb" if latency == 1 else "sync", "sync"), self.storage)
            ext_ports.append(ext)

            hit, idx = wwinners[b]
            incoming = Signal(op_layout, name=f"bank{b}_op0")
            m.d.comb += [
                incoming.valid.eq(hit),
                incoming.row.eq(select(idx, [w.payload.addr[:row_bits] for w in writes])),
                incoming.data.eq(select(idx, [w.payload.data.as_value() for w in writes])),
                incoming.mask.eq(select(idx, [w.payload.mask for w in writes])),
                incoming.accumulate.eq(select(idx, [w.payload.accumulate for w in writes])),
            ]
            # stages[k] holds the operation accepted k cycles ago; the last one is written.
            stages = [incoming]
            for k in range(1, latency):
                stage = Signal(op_layout, name=f"bank{b}_op{k}")
                m.d.sync += stage.eq(stages[-1])
                stages.append(stage)
            reading, last = stages[max(0, latency - 2)], stages[-1]
            m.d.comb += rmw.addr.eq(reading.row)
            merged = [Mux(last.accumulate, (rmw.data[k] + last.data[k])[:cfg.acc_bits],
                          last.data[k]) for k in range(cfg.dim)]
            m.d.comb += [
                wp.addr.eq(last.row),
                wp.en.eq(last.mask & last.valid.replicate(cfg.dim)),
            ]
            for k in range(cfg.dim):
                m.d.comb += wp.data[k].eq(merged[k])

            _, ridx = rwinners[b]
            m.d.comb += ext.addr.eq(select(ridx, [r.req.payload.addr[:row_bits] for r in reads]))

        for name, r, grant in zip(self.read_clients, reads, rgrants):
            self._read_client(m, name, r, grant, bank_of, ext_ports)
        return m

    def _read_client(self, m, name, port, grant, bank_of, ext_ports):
        """One read client: bank row one cycle after the request, then the optional scaler."""
        cfg = self.cfg
        req = port.req.payload
        m.d.comb += port.req.ready.eq(grant)
        valid, bank, tag = Signal(), Signal(range(max(2, len(ext_ports)))), Signal(self.tag_shape)
        full, scale, relu = Signal(), Signal(FP32Layout), Signal()
        m.d.sync += [valid.eq(grant), bank.eq(bank_of(req.addr)), tag.eq(req.tag),
                     full.eq(req.full if cfg.acc_read_full_width else 0), scale.eq(req.scale),
                     relu.eq(req.relu)]
        raw = Signal(self.row_shape)
        m.d.comb += raw.eq(select(bank, [e.data.as_value() for e in ext_ports]))
        if not self.has_scaler:
            m.d.comb += [port.resp.valid.eq(valid), port.resp.payload.data.eq(raw),
                         port.resp.payload.tag.eq(tag)]
            return
        stages = [(Signal(name=f"{name}_valid{k + 1}"), Signal(self.tag_shape), Signal(),
                   Signal(self.row_shape)) for k in range(ScaleToInt.LATENCY)]
        domain = "sync"
        if self.gate_scalers:
            busy = Cat(valid, *(stage[0] for stage in stages)).any()   # a read in the pipeline
            domain = gated_domain(m, f"{name}_scale", busy)
        scaled = place_scalers(m, f"{name}_scale", cfg.acc_bits, cfg.input_bits, en=1,
                               xs=[raw[k] for k in range(cfg.dim)], scale=scale, relu=relu,
                               units=self.scalers, domain=domain)
        for nxt in stages:
            m.d[domain] += [nxt[0].eq(valid), nxt[1].eq(tag), nxt[2].eq(full), nxt[3].eq(raw)]
            valid, tag, full, raw = nxt
        m.d.comb += [port.resp.valid.eq(valid), port.resp.payload.tag.eq(tag)]
        for k in range(cfg.dim):
            m.d.comb += port.resp.payload.data[k].eq(Mux(full, raw[k], scaled[k]))
