"""`Accelerator`: the full Gemmini-compatible accelerator behind one command stream and one AXI4
master (docs/accelerator.md; port layouts in `gemmini_gen.hw.ctrl.interface`).

```
cmd -> FrontEnd -> ReservationStation -> LoadController    -> DMAReader -> AXI AR/R
          |  resp                      -> ExecuteController -> MeshWithDelays
          |                            -> StoreController   -> DMAWriter -> AXI AW/W/B
          +-> CounterUnit        Scratchpad (reads: ex_a, ex_p, ex_x, store; writes: ex, load)
                                 Accumulator (reads: store; writes: ex, load)
```
The execute controller is the first write client of both memories, so its result rows are never
refused; the load controller takes the remaining write cycles, the store controller the remaining
read cycles of each bank.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from ..config import GemminiConfig
from .accumulator import Accumulator
from .axi import AXI4Signature, read_half, write_half
from .bank_storage import verilog_modules as bank_storage_modules
from .ctrl.counters import CounterUnit, Event, External
from .ctrl.execute import ExecuteController
from .ctrl.frontend import FrontEnd
from .ctrl.interface import COMMAND_LAYOUT, ERROR_LAYOUT, RESPONSE_BITS, STATUS_LAYOUT
from .ctrl.load import LoadController
from .ctrl.reservation import ReservationStation
from .ctrl.store import StoreController
from .ctrl.uops import Geometry
from .dma.params import DMAParams
from .dma.reader import DMAReader
from .dma.writer import DMAWriter
from .scratchpad import Scratchpad

__all__ = ["Accelerator"]

TAG = unsigned(1)        # the memories' and DMAs' tags (every client tracks its own order)


class Accelerator(wiring.Component):
    """The accelerator of design point `cfg`.

    Ports: ``cmd`` In(stream COMMAND_LAYOUT), ``resp`` Out(stream unsigned(64)), ``busy``,
    ``error``, ``error_info`` (ERROR_LAYOUT), ``status`` (STATUS_LAYOUT), ``axi``
    (AXI4 master, 64-bit addresses, ``cfg.dma_bus_bits`` data, 4-bit ids).

    `clock_gating` runs the fp32 scalers of the load and store paths (MVIN_SCALE, ACC_SCALE) on
    clocks gated to the cycles they hold a row (`.clock_gate`): the cycle behaviour is the same
    either way; gated, an idle scaler costs Verilator no time (the 512^3 GEMM simulates ~20 %
    faster) and would not switch in silicon (its power is not modelled here).  FPGA flows want ``False`` (clock enables only)."""

    def __init__(self, cfg: GemminiConfig, *, clock_gating: bool = True):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        self.cfg = cfg
        self.clock_gating = bool(clock_gating)
        self.geo = Geometry(cfg)
        # The units that instantiate separately converted modules (listed by verilog_modules).
        self.rs = ReservationStation(cfg, checks="instance")
        self.execute = ExecuteController(self.geo, lanes="instance", checks="instance",
                                         readers="instance")
        self.load = LoadController(self.geo, DMAParams.from_config(cfg), scalers="instance",
                                   gate_scalers=self.clock_gating)
        self.acc = Accumulator(cfg, read_clients=("store",), write_clients=("ex", "load"),
                               tag_shape=TAG, storage="verilog", scalers="instance",
                               gate_scalers=self.clock_gating)
        super().__init__({
            "cmd": In(stream.Signature(COMMAND_LAYOUT)),
            "resp": Out(stream.Signature(unsigned(RESPONSE_BITS))),
            "busy": Out(1),
            "error": Out(1),
            "error_info": Out(ERROR_LAYOUT),
            "status": Out(STATUS_LAYOUT),
            "axi": Out(AXI4Signature(addr_width=64, data_width=cfg.dma_bus_bits, id_width=4)),
        })

    def verilog_modules(self):
        """Separately converted modules (the array's cells) and the Verilog of the memory banks,
        for `gemmini_gen.emit.convert`."""
        return {**self.execute.verilog_modules(), **bank_storage_modules(),
                **self.load.verilog_modules(), **self.acc.verilog_modules(),
                **self.rs.verilog_modules()}

    def elaborate(self, platform):
        cfg, geo = self.cfg, self.geo
        m = Module()
        dma = DMAParams.from_config(cfg)
        m.submodules.frontend = fe = FrontEnd(cfg)
        m.submodules.rs = rs = self.rs
        m.submodules.counters = counters = CounterUnit(cfg)
        m.submodules.spad = sp = Scratchpad(cfg, read_clients=("ex_a", "ex_p", "ex_x", "store"),
                                            write_clients=("ex", "load"), tag_shape=TAG,
                                            storage="verilog")
        m.submodules.acc = acc = self.acc
        m.submodules.reader = reader = DMAReader(dma, TAG)
        m.submodules.writer = writer = DMAWriter(dma, TAG)
        m.submodules.load = load = self.load
        m.submodules.execute = ex = self.execute
        m.submodules.store = store = StoreController(geo, dma, acc_latency=acc.read_latency,
                                                     acc_scaled=acc.has_scaler)

        # Command path.
        connect(m, flipped(self.cmd), fe.cmd)
        connect(m, fe.resp, flipped(self.resp))
        connect(m, fe.uop, rs.alloc)
        m.d.comb += [counters.op.eq(fe.counter), fe.counter_value.eq(counters.value),
                     self.error.eq(fe.error), self.error_info.eq(fe.error_info)]
        connect(m, rs.issue_ld, load.uop)
        connect(m, rs.issue_ex, ex.uop)
        connect(m, rs.issue_st, store.uop)
        m.d.comb += [rs.done_ld.eq(load.done), rs.done_ex.eq(ex.done), rs.done_st.eq(store.done)]

        # Data paths.
        connect(m, load.dma_req, reader.req)
        connect(m, reader.resp, load.dma_resp)
        connect(m, load.sp_write, sp.write_load)
        connect(m, load.acc_write, acc.write_load)
        connect(m, ex.read_a, sp.read_ex_a)
        connect(m, ex.read_p, sp.read_ex_p)
        connect(m, ex.read_x, sp.read_ex_x)
        connect(m, ex.sp_write, sp.write_ex)
        connect(m, ex.acc_write, acc.write_ex)
        connect(m, store.sp_read, sp.read_store)
        connect(m, store.acc_read, acc.read_store)
        connect(m, store.dma_req, writer.req)
        connect(m, writer.done, store.dma_done)
        connect(m, reader.axi, flipped(read_half(self.axi)))
        connect(m, writer.axi, flipped(write_half(self.axi)))

        # Busy, fence and status.
        occupied = Signal()
        m.d.comb += occupied.eq((rs.occupancy.ld != 0) | (rs.occupancy.ex != 0)
                                | (rs.occupancy.st != 0))
        downstream = Signal()
        m.d.comb += downstream.eq(occupied | load.active | ex.active | store.active
                                  | reader.busy | writer.busy)
        m.d.comb += [fe.idle.eq(~downstream), self.busy.eq(fe.uop.valid | downstream)]
        status = self.status
        m.d.comb += [status.frontend.eq(fe.busy), status.rs.eq(occupied),
                     status.load.eq(load.active), status.execute.eq(ex.active),
                     status.store.eq(store.active), status.dma_read.eq(reader.busy),
                     status.dma_write.eq(writer.busy)]
        moves = [fe.accepted, rs.alloc.valid & rs.alloc.ready, self.axi.rvalid & self.axi.rready,
                 self.axi.wvalid & self.axi.wready, self.axi.bvalid & self.axi.bready,
                 ex.mesh.feed.valid & ex.mesh.feed.ready, ex.mesh.result.valid,
                 load.done, ex.done, store.done]
        progress = Const(0)
        for move in moves:
            progress = progress | move
        m.d.comb += status.progress.eq(progress)

        self._events(m, counters, fe, rs, load, ex, store, reader, writer)
        return m

    def _events(self, m, counters, fe, rs, load, ex, store, reader, writer):
        """The signals the performance counters count (ISA.md section 10.2)."""
        axi = self.axi
        internal, external = counters.events.internal, counters.events.external
        ld, st, exq = (rs.occupancy.ld != 0), (rs.occupancy.st != 0), (rs.occupancy.ex != 0)
        combos = {Event.ONLY_LD: ld & ~st & ~exq, Event.ONLY_ST: ~ld & st & ~exq,
                  Event.ONLY_EX: ~ld & ~st & exq, Event.LD_ST: ld & st & ~exq,
                  Event.LD_EX: ld & ~st & exq, Event.ST_EX: ~ld & st & exq,
                  Event.LD_ST_EX: ld & st & exq}
        read_out = Signal(range(2 * self.cfg.max_in_flight + 1))
        write_out = Signal(range(2 * self.cfg.max_in_flight + 1))
        m.d.sync += [
            read_out.eq(read_out + (axi.arvalid & axi.arready) - (axi.rvalid & axi.rready
                                                                  & axi.rlast)),
            write_out.eq(write_out + (axi.awvalid & axi.awready) - (axi.bvalid & axi.bready)),
        ]
        signals = {
            **combos,
            Event.LOAD_DMA_WAIT: load.dma_wait, Event.LOAD_ACTIVE: load.active,
            Event.LOAD_SPAD_WAIT: load.write_wait, Event.STORE_DMA_WAIT: store.dma_wait,
            Event.STORE_ACTIVE: store.active, Event.STORE_POOLING: store.pooling,
            Event.STORE_SPAD_WAIT: store.read_wait, Event.READ_DMA_ACTIVE: reader.busy,
            Event.READ_DMA_BUS_WAIT: (axi.arvalid & ~axi.arready)
            | ((read_out != 0) & ~axi.rvalid),
            Event.WRITE_DMA_ACTIVE: writer.busy,
            Event.WRITE_DMA_BUS_WAIT: (axi.awvalid & ~axi.awready) | (axi.wvalid & ~axi.wready),
            Event.EXECUTE_ACTIVE: ex.active, Event.FRONTEND_BLOCKED: fe.blocked,
            Event.EXECUTE_DEP_WAIT: rs.waiting.ex, Event.EXECUTE_OVERLAP_WAIT: ex.overlap_wait,
            Event.SPAD_A_WAIT: ex.read_wait.a, Event.SPAD_P_WAIT: ex.read_wait.p,
            Event.SPAD_X_WAIT: ex.read_wait.x, Event.A_GARBAGE: ex.garbage.a,
            Event.P_GARBAGE: ex.garbage.p, Event.X_GARBAGE: ex.garbage.x,
            Event.RS_FULL: rs.full.ld | rs.full.ex | rs.full.st,
            Event.RS_ACTIVE: ld | st | exq,
        }
        for event, value in signals.items():
            m.d.comb += internal[int(event)].eq(value)
        strobes = Signal(range(self.cfg.bus_bytes + 1))
        m.d.comb += strobes.eq(sum(axi.wstrb[i] for i in range(self.cfg.bus_bytes)))
        amounts = {
            External.RS_LD_OCCUPANCY: rs.occupancy.ld, External.RS_ST_OCCUPANCY: rs.occupancy.st,
            External.RS_EX_OCCUPANCY: rs.occupancy.ex,
            External.READ_DMA_BYTES: (axi.rvalid & axi.rready) * self.cfg.bus_bytes,
            External.WRITE_DMA_BYTES: (axi.wvalid & axi.wready) * strobes,
            External.READ_LATENCY: read_out, External.WRITE_LATENCY: write_out,
        }
        for event, value in amounts.items():
            m.d.comb += external[int(event)].eq(value)
