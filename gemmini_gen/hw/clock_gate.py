"""Clock gating of datapaths that are idle most of the time (the fp32 scalers).

`gated_domain(m, name, enable)` adds a clock domain `name` to `m` whose clock is ``sync``'s,
passed only in the cycles where `enable` is high, and whose reset is ``sync``'s.  Registers moved
into it behave exactly like ``sync`` registers with `enable` as their clock enable.  The gate is an
instance of `CLOCK_GATE_MODULE`, the behavioural model of an integrated clock-gating cell: `enable`
passes a latch while the clock is low and is ANDed with the clock, so the gated clock cannot
glitch when `enable` changes after a rising edge (an ASIC flow maps the module to its library's
ICG cell).  During reset the clock runs, so that reset reaches every register of the domain.
Components that gate list `verilog_modules()` among the modules they instantiate.

Why: a simulator such as Verilator evaluates the logic behind a clock domain only on that
domain's edges, so a datapath that works a few per cent of the time costs a few per cent of its
evaluation (in silicon the same gate keeps the idle registers from switching).  Verilator orders the gated clock
before the registers it drives, so they sample the same pre-edge values as the ``sync``
registers.  amaranth.sim does not: its gated clock would rise a delta cycle after ``sync``'s, when
the ``sync`` registers have already updated, and it cannot simulate the Verilog cell either, so
designs simulated with amaranth.sim are built ungated (the components take ``gate=False``).
"""

from __future__ import annotations

from amaranth.hdl import ClockDomain, ClockSignal, Instance, Module, ResetSignal, Signal

__all__ = ["CLOCK_GATE_MODULE", "CLOCK_GATE_VERILOG", "gated_domain", "verilog_modules"]

CLOCK_GATE_MODULE = "gemmini_clock_gate"

#: Latch-based clock gate: ``gclk = clk & en``, with ``en`` held while ``clk`` is high (the latch
#: is the point, hence the local lint waiver).
CLOCK_GATE_VERILOG = f"""\
module {CLOCK_GATE_MODULE} (input clk, input en, output gclk);
    reg en_latched;
    /* verilator lint_off LATCH */
    always @(*) if (!clk) en_latched = en;
    /* verilator lint_on LATCH */
    assign gclk = clk & en_latched;
endmodule
"""


def verilog_modules() -> dict[str, str]:
    """The Verilog module text `gated_domain` instantiates."""
    return {CLOCK_GATE_MODULE: CLOCK_GATE_VERILOG}


def gated_domain(m: Module, name: str, enable) -> str:
    """Add the local clock domain `name`, ``sync`` gated by `enable`, to `m`; returns `name`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"clock domain name must be an identifier, got {name!r}")
    m.domains += ClockDomain(name, local=True)
    gated = Signal(name=f"{name}_clk")
    m.submodules[f"{name}_gate"] = Instance(CLOCK_GATE_MODULE, i_clk=ClockSignal("sync"),
                                            i_en=enable | ResetSignal("sync"), o_gclk=gated)
    m.d.comb += [ClockSignal(name).eq(gated), ResetSignal(name).eq(ResetSignal("sync"))]
    return name
