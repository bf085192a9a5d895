"""`AcceleratorHarness`: the simulation top around `Accelerator` that the `rtl` backend runs.

```
 Python (files, a poll every few thousand cycles)
   | path, cmd_load, cmd_limit            | mem_load / mem_dump        | resp_addr -> resp_data
   v                                      v                            ^
 CommandFeeder --cmd--> Accelerator --axi--> AxiStallGate --> AXI4Memory  (or the `axi` port)
                             |--resp--> ResponseRing
                             `--busy/status/error--> done detection, watchdog, cycle counters
```

* **Commands** come from the `CommandFeeder` ring (binary program records, loaded through the
  storage backdoor of the memory model).
* **Memory** is `hw.axi_memory.AXI4Memory` of `memory_bytes` (a power of two; addresses wrap modulo
  it) with fixed read/write latency and its image backdoor; or, with `external=True`, the
  accelerator's AXI master is the top-level port ``axi__*`` where a Python memory answers
  (cocotbext-axi `AxiRam` with random latency and back-pressure).  A separate build: top-level
  inputs that reach deep into the design (AXI responses do) slow every simulated cycle (see
  `elaborate`).
* **Done**: every command up to ``cmd_total`` accepted and ``busy`` low for `QUIET_CYCLES` cycles.
* **Counters** (64-bit, cleared by reset), counting from the first accepted command until done:
  see `COUNTERS`.  ``count_last_write`` is the cycle (same origin) after the last write
  acknowledgement, i.e. the cycles from the first command to the last write acknowledged.
* **Watchdog**: when no ``status.progress`` pulse arrives for ``watchdog`` cycles (0 = off) while
  work is outstanding, ``stuck`` rises and ``stuck_status`` keeps the status of that moment, whose
  busy bits name the stuck units (`hw.ctrl.interface.STATUS_UNITS`).
* **Memory stall**: from cycle ``mem_stall_after`` (0 = never) every AXI channel freezes.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import ClockDomain, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from ..config import GemminiConfig
from ..hw.accelerator import Accelerator
from ..hw.axi import AXI4Signature
from ..hw.axi_memory import AXI4Memory
from ..hw.ctrl.interface import ERROR_LAYOUT, RESPONSE_BITS, STATUS_LAYOUT, STATUS_UNITS
from .axi_gate import AxiStallGate
from .command_feeder import CommandFeeder
from .response_ring import ResponseRing

__all__ = ["AcceleratorHarness", "COUNTERS", "HOST_INPUTS", "HarnessParams", "QUIET_CYCLES"]

#: Inputs Python writes; the harness registers them before use (see `elaborate`).
HOST_INPUTS = ("path", "cmd_load", "cmd_limit", "cmd_total", "watchdog", "mem_stall_after",
               "resp_consumed", "resp_addr")

QUIET_CYCLES = 2
#: Counter ports (``count_<name>``), in order, with their meaning.
COUNTERS = (
    ("cycles", "cycles from the first accepted command until done"),
    ("last_write", "cycles from the first accepted command to the last write acknowledgement"),
    ("busy", "cycles with busy high"),
    *((f"status_{unit}", f"cycles with status.{unit} high ({meaning})")
      for unit, meaning in STATUS_UNITS),
    ("cmd_stalled", "cycles a command was offered but not accepted"),
    ("read_beats", "AXI R beats"),
    ("write_beats", "AXI W beats"),
    ("write_bytes", "bytes written (WSTRB bits of the W beats)"),
    ("read_bursts", "AXI AR handshakes"),
    ("write_bursts", "AXI AW handshakes"),
    ("read_stalled", "cycles R data was offered but not taken"),
)


@dataclass(frozen=True)
class HarnessParams:
    """What a harness build depends on besides the config (one Verilator build each)."""

    memory_bytes: int = 1 << 20
    external: bool = False                # AXI port for a Python memory instead of the model
    read_latency: int = 40
    write_latency: int = 40
    cmd_depth: int = 16384
    resp_depth: int = 64
    path_bytes: int = 256

    def __post_init__(self) -> None:
        mb = self.memory_bytes
        if not isinstance(mb, int) or mb < 4096 or mb & (mb - 1):
            raise ValueError(f"memory_bytes must be a power of two >= 4096, got {mb!r}")
        for name in ("read_latency", "write_latency"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 4:
                raise ValueError(f"{name} must be an integer >= 4, got {getattr(self, name)!r}")


class AcceleratorHarness(wiring.Component):
    """The harness top of `cfg` (see the module docstring for ports and behaviour)."""

    def __init__(self, cfg: GemminiConfig, params: HarnessParams = HarnessParams()):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        if not isinstance(params, HarnessParams):
            raise TypeError(f"expected HarnessParams, got {params!r}")
        self.cfg, self.params = cfg, params
        self.accel = Accelerator(cfg)
        self.axi_signature = AXI4Signature(addr_width=64, data_width=cfg.dma_bus_bits, id_width=4)
        ports = {
            "clk": In(1),
            "reset": In(1),
            "path": In(8 * params.path_bytes),
            "cmd_load": In(1),
            "cmd_limit": In(32),
            "cmd_total": In(32),
            "watchdog": In(32),
            "mem_stall_after": In(32),
            "resp_consumed": In(32),
            "resp_addr": In(max(1, (params.resp_depth - 1).bit_length())),
            "resp_data": Out(RESPONSE_BITS),
            "resp_count": Out(32),
            "fed": Out(32),
            "done": Out(1),
            "busy": Out(1),
            "error": Out(1),
            "error_info": Out(ERROR_LAYOUT),
            "stuck": Out(1),
            "stuck_status": Out(STATUS_LAYOUT),
            **{f"count_{name}": Out(64) for name, _ in COUNTERS},
        }
        if params.external:
            ports["axi"] = Out(self.axi_signature)
        else:
            ports.update({"mem_load": In(1), "mem_dump": In(1)})
        self.host_inputs = HOST_INPUTS + (() if params.external else ("mem_load", "mem_dump"))
        super().__init__(ports)

    def verilog_modules(self) -> dict:
        """Separately converted modules the accelerator instantiates (`gemmini_gen.emit.convert`
        emits them with the harness)."""
        return getattr(self.accel, "verilog_modules", dict)()

    def elaborate(self, platform):
        m = Module()
        p = self.params
        # Python writes its inputs rarely, but Verilator re-evaluates all logic combinationally
        # behind any top-level input at every evaluation (each clock edge); the reset reaches every
        # register's next-state logic.  So every input but the clock goes through a register of
        # the reset-less "host" domain first, and the design's reset comes from such a register
        # too: the combinational logic behind the inputs stays empty.  Inputs act one cycle after
        # Python writes them.
        m.domains.sync = sync = ClockDomain("sync")
        m.domains.host = host_domain = ClockDomain("host", reset_less=True)
        reset = Signal(init=1)
        m.d.comb += [sync.clk.eq(self.clk), host_domain.clk.eq(self.clk), sync.rst.eq(reset)]
        m.d.host += reset.eq(self.reset)
        host = {name: Signal.like(getattr(self, name), name=f"host_{name}")
                for name in self.host_inputs}
        m.d.host += [host[name].eq(getattr(self, name)) for name in self.host_inputs]
        m.submodules.accel = accel = self.accel
        m.submodules.feeder = feeder = CommandFeeder(p.cmd_depth, p.path_bytes)
        m.submodules.responses = ring = ResponseRing(p.resp_depth)
        m.submodules.gate = gate = AxiStallGate(self.axi_signature)

        connect(m, feeder.cmd, accel.cmd)
        connect(m, accel.resp, ring.resp)
        connect(m, accel.axi, gate.up)
        m.d.comb += [
            feeder.path.eq(host["path"]), feeder.load.eq(host["cmd_load"]),
            feeder.limit.eq(host["cmd_limit"]), self.fed.eq(feeder.fed),
            ring.consumed.eq(host["resp_consumed"]),
            ring.addr.eq(host["resp_addr"]), self.resp_data.eq(ring.data),
            self.resp_count.eq(ring.count),
            self.busy.eq(accel.busy), self.error.eq(accel.error),
            self.error_info.eq(accel.error_info),
        ]
        if p.external:
            connect(m, gate.down, flipped(self.axi))
        else:
            m.submodules.memory = memory = AXI4Memory(
                data_width=self.cfg.dma_bus_bits, addr_width=64, id_width=4,
                size_bytes=p.memory_bytes, read_latency=p.read_latency,
                write_latency=p.write_latency, path_bytes=p.path_bytes)
            connect(m, gate.down, memory.axi)
            m.d.comb += [memory.image.path.eq(host["path"]),
                         memory.image.load.eq(host["mem_load"]),
                         memory.image.dump.eq(host["mem_dump"])]

        # ---- done detection and the counting window
        started = Signal()
        quiet = Signal(range(QUIET_CYCLES + 1))
        accepted = accel.cmd.valid & accel.cmd.ready
        all_fed = feeder.fed == host["cmd_total"]
        idle = all_fed & ~accel.busy & ~accel.cmd.valid
        with m.If(idle & ~self.done):
            m.d.sync += quiet.eq(quiet + 1)
            with m.If(quiet == QUIET_CYCLES - 1):
                m.d.sync += self.done.eq(1)
        with m.Elif(~idle):
            m.d.sync += quiet.eq(0)
        with m.If(accepted):
            m.d.sync += started.eq(1)
        counting = (started | accepted) & ~self.done

        # ---- counters
        axi = accel.axi
        events = {
            "cycles": 1,
            "busy": accel.busy,
            **{f"status_{unit}": getattr(accel.status, unit) for unit, _ in STATUS_UNITS},
            "cmd_stalled": accel.cmd.valid & ~accel.cmd.ready,
            "read_beats": gate.up.rvalid & axi.rready,
            "write_beats": axi.wvalid & gate.up.wready,
            "write_bytes": (axi.wvalid & gate.up.wready).replicate(len(axi.wstrb)) & axi.wstrb,
            "read_bursts": axi.arvalid & gate.up.arready,
            "write_bursts": axi.awvalid & gate.up.awready,
            "read_stalled": gate.up.rvalid & ~axi.rready,
        }
        with m.If(counting):
            for name, event in events.items():
                counter = getattr(self, f"count_{name}")
                increment = sum(event[i] for i in range(len(event))) if name == "write_bytes" \
                    else event
                m.d.sync += counter.eq(counter + increment)
            with m.If(gate.up.bvalid & axi.bready):
                m.d.sync += self.count_last_write.eq(self.count_cycles + 1)

        # ---- watchdog
        silent = Signal(32)
        outstanding = (accel.busy | accel.cmd.valid) & ~self.done
        with m.If(accel.status.progress | ~outstanding):
            m.d.sync += silent.eq(0)
        with m.Elif(~self.stuck):
            m.d.sync += silent.eq(silent + 1)
            with m.If((host["watchdog"] != 0) & (silent + 1 >= host["watchdog"])):
                m.d.sync += [self.stuck.eq(1), self.stuck_status.eq(accel.status)]

        # ---- memory stall injection
        m.d.comb += gate.stall.eq((host["mem_stall_after"] != 0)
                                  & (self.count_cycles >= host["mem_stall_after"]))

        return m
