"""Banked scratchpad: ``sp_banks`` banks of ``sp_bank_rows`` rows of DIM ``elem_t`` elements.

Row ``r`` lives in bank ``r // BANK_ROWS`` at row ``r % BANK_ROWS`` (ISA section 1).  Every client
has its own port over the whole scratchpad (see :mod:`.bank_ports` for the handshakes):

* read clients (default ``("ex_a", "ex_bd", "store")``: execute's A operand, execute's B/D operand,
  store/mvout) -- ``read_<name>``: ``req`` {addr, tag} -> ``resp`` {data, tag} exactly
  ``spad_read_delay`` cycles later.  A client may issue one read per cycle.
* write clients (default ``("ex", "load")``: execute's C results, load/mvin) -- ``write_<name>``:
  {addr, data, mask}; element k is written only when mask bit k is set (partial rows, ISA 13.15).

Per bank and cycle one read and one write happen; conflicts go to the client listed first.  A read
and a write of the same row in the same cycle return the newly written elements (write-first).
The contents start at zero (ISA section 5).  ``storage="verilog"`` keeps each bank in a small
Verilog module instead of an Amaranth memory (see :mod:`.bank_storage`; for Verilator, where it
builds much faster).
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In
from amaranth.utils import exact_log2

from ..config import GemminiConfig
from .bank_storage import STORAGES, make_bank
from .bank_storage import verilog_modules as bank_storage_modules
from .bank_ports import (ReadPortSignature, check_clients, fixed_priority, select,
                         write_port_signature)

__all__ = ["Scratchpad"]


class Scratchpad(wiring.Component):
    """The scratchpad of design point `cfg` (ports described in the module docstring)."""

    def __init__(self, cfg: GemminiConfig, *, read_clients=("ex_a", "ex_bd", "store"),
                 write_clients=("ex", "load"), tag_shape=unsigned(8), storage="amaranth"):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
        self.cfg = cfg
        self.storage = storage
        self.read_clients = check_clients("read", read_clients)
        self.write_clients = check_clients("write", write_clients)
        self.row_shape = data.ArrayLayout(signed(cfg.input_bits), cfg.dim)
        self.tag_shape = tag_shape
        self.read_signature = ReadPortSignature(cfg.sp_addr_bits, self.row_shape, tag_shape)
        self.write_signature = write_port_signature(cfg.sp_addr_bits, self.row_shape)
        members = {f"read_{n}": In(self.read_signature) for n in self.read_clients}
        members.update({f"write_{n}": In(self.write_signature) for n in self.write_clients})
        super().__init__(members)

    @property
    def read_latency(self) -> int:
        return self.cfg.spad_read_delay

    def verilog_modules(self) -> dict:
        """Verilog modules the banks instantiate (none with Amaranth storage)."""
        return bank_storage_modules() if self.storage == "verilog" else {}

    def read_port(self, name: str):
        return getattr(self, f"read_{name}")

    def write_port(self, name: str):
        return getattr(self, f"write_{name}")

    def elaborate(self, platform):
        cfg = self.cfg
        m = Module()
        row_bits = exact_log2(cfg.sp_bank_rows)
        nbanks = cfg.sp_banks

        mems = []
        for b in range(nbanks):
            wp, (rp,) = make_bank(m, f"bank{b}", self.row_shape, cfg.sp_bank_rows, ("sync",),
                             self.storage)
            mems.append((rp, wp))

        def bank_of(addr):
            return addr[row_bits:] if nbanks > 1 else 0

        # ---- writes
        writes = [self.write_port(n) for n in self.write_clients]
        grants, winners = fixed_priority(
            m, [(w.valid, bank_of(w.payload.addr)) for w in writes], nbanks)
        for w, grant in zip(writes, grants):
            m.d.comb += w.ready.eq(grant)
        for (_, wp), (hit, idx) in zip(mems, winners):
            m.d.comb += [
                wp.addr.eq(select(idx, [w.payload.addr[:row_bits] for w in writes])),
                wp.data.eq(select(idx, [w.payload.data.as_value() for w in writes])),
                wp.en.eq(select(idx, [w.payload.mask for w in writes]) & hit.replicate(cfg.dim)),
            ]

        # ---- reads: arbitrate, then each client's response follows its own pipeline.
        reads = [self.read_port(n) for n in self.read_clients]
        grants, winners = fixed_priority(
            m, [(r.req.valid, bank_of(r.req.payload.addr)) for r in reads], nbanks)
        for (rp, _), (_, idx) in zip(mems, winners):
            m.d.comb += rp.addr.eq(select(idx, [r.req.payload.addr[:row_bits] for r in reads]))
        for r, grant in zip(reads, grants):
            m.d.comb += r.req.ready.eq(grant)
            valid, bank, tag = Signal(), Signal(range(max(2, nbanks))), Signal(self.tag_shape)
            m.d.sync += [valid.eq(grant), tag.eq(r.req.payload.tag),
                         bank.eq(bank_of(r.req.payload.addr))]
            row = select(bank, [rp.data.as_value() for rp, _ in mems])
            for stage in range(cfg.spad_read_delay - 1):
                nxt = (Signal(), Signal(len(row)), Signal(self.tag_shape))
                m.d.sync += [nxt[0].eq(valid), nxt[1].eq(row), nxt[2].eq(tag)]
                valid, row, tag = nxt
            m.d.comb += [r.resp.valid.eq(valid), r.resp.payload.data.eq(row),
                         r.resp.payload.tag.eq(tag)]
        return m
