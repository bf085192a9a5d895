"""Storage of one scratchpad or accumulator bank: an Amaranth `Memory`, or the same memory as a small
hand-written Verilog module.

Amaranth states a memory's initial contents word by word, and Yosys writes one ``initial``
assignment per word: a default scratchpad is 16,384 of them, seconds to generate and tens of seconds
for Verilator to compile.  ``storage="verilog"`` instantiates `BANK_VERILOG` instead, which zeroes
its array with one loop.  Both behave identically (checked in tests/hw_mem): a write port with one
enable per element, and read ports that are either synchronous and write-first for that write port
(a read of the row being written returns the new elements) or combinational (the contents before
this cycle's write).  The Verilog form needs a Verilog simulator (Verilator); amaranth.sim needs the
Amaranth form.

`make_bank(m, name, shape, depth, reads, storage)` returns ``(write_port, read_ports)`` with the
attributes Amaranth's memory ports have (``addr``, ``data``, ``en`` for the write port).
`verilog_modules()` lists the Verilog text for `gemmini_gen.emit.convert`.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import ClockSignal, Instance, Module, Signal
from amaranth.lib import data, memory
from amaranth.utils import ceil_log2

__all__ = ["BANK_MODULE", "BANK_VERILOG", "STORAGES", "make_bank", "verilog_modules"]

STORAGES = ("amaranth", "verilog")
BANK_MODULE = "gemmini_bank_storage"

#: One write port (per-element enables), read port A (synchronous write-first, or combinational
#: with ``A_COMB``) and optional read port B (synchronous write-first).
BANK_VERILOG = f"""\
module {BANK_MODULE} #(
    parameter DEPTH = 1024, parameter ABITS = 10, parameter ELEMS = 16, parameter EBITS = 8,
    parameter A_COMB = 0
) (
    input clk,
    input [ABITS-1:0] waddr, input [ELEMS*EBITS-1:0] wdata, input [ELEMS-1:0] wen,
    input [ABITS-1:0] a_addr, output [ELEMS*EBITS-1:0] a_data,
    input [ABITS-1:0] b_addr, output reg [ELEMS*EBITS-1:0] b_data
);
    reg [ELEMS*EBITS-1:0] mem [0:DEPTH-1];
    reg [ELEMS*EBITS-1:0] a_reg;
    wire [ELEMS*EBITS-1:0] wmask;         // the bits of the elements being written
    integer i;
    genvar e;
    generate for (e = 0; e < ELEMS; e = e + 1) begin : mask
        assign wmask[e*EBITS +: EBITS] = {{EBITS{{wen[e]}}}};
    end endgenerate
    initial begin
        for (i = 0; i < DEPTH; i = i + 1) mem[i] = 0;
        a_reg = 0;
        b_data = 0;
    end
    // Whole rows, not element by element: a simulator handles a row in a few machine words.
    always @(posedge clk) begin
        a_reg <= waddr == a_addr ? (mem[a_addr] & ~wmask) | (wdata & wmask) : mem[a_addr];
        b_data <= waddr == b_addr ? (mem[b_addr] & ~wmask) | (wdata & wmask) : mem[b_addr];
        if (|wen) mem[waddr] <= (mem[waddr] & ~wmask) | (wdata & wmask);
    end
    assign a_data = A_COMB ? mem[a_addr] : a_reg;
endmodule
"""


def verilog_modules() -> dict[str, str]:
    """The Verilog module text a ``storage="verilog"`` bank instantiates."""
    return {BANK_MODULE: BANK_VERILOG}


def make_bank(m: Module, name: str, shape: data.ArrayLayout, depth: int,
              reads: tuple[str, ...], storage: str):
    """A bank of `depth` rows of `shape` with one element-enabled write port and one read port per
    entry of `reads` ("sync": write-first synchronous, "comb": combinational; at most two, the
    second "sync")."""
    if storage not in STORAGES:
        raise ValueError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    if not 1 <= len(reads) <= 2 or any(r not in ("sync", "comb") for r in reads) \
            or (len(reads) == 2 and reads[1] != "sync"):
        raise ValueError(f"reads must be ('sync'|'comb',) or ('sync'|'comb', 'sync'), "
                         f"got {reads!r}")
    if storage == "amaranth":
        mem = memory.Memory(shape=shape, depth=depth, init=[])
        m.submodules[name] = mem
        wp = mem.write_port(granularity=1)
        ports = [mem.read_port(domain="comb") if kind == "comb"
                 else mem.read_port(transparent_for=(wp,)) for kind in reads]
        return wp, ports

    abits = max(1, ceil_log2(depth))
    wp = SimpleNamespace(addr=Signal(abits, name=f"{name}_waddr"),
                         data=Signal(shape, name=f"{name}_wdata"),
                         en=Signal(shape.length, name=f"{name}_wen"))
    ports = [SimpleNamespace(addr=Signal(abits, name=f"{name}_{p}_addr"),
                             data=Signal(shape, name=f"{name}_{p}_data"))
             for p in "ab"[:len(reads)]]
    unused_b = Signal(shape.size, name=f"{name}_b_unused")
    m.submodules[name] = Instance(
        BANK_MODULE,
        p_DEPTH=depth, p_ABITS=abits, p_ELEMS=shape.length, p_EBITS=shape.size // shape.length,
        p_A_COMB=int(reads[0] == "comb"),
        i_clk=ClockSignal(), i_waddr=wp.addr, i_wdata=wp.data, i_wen=wp.en,
        i_a_addr=ports[0].addr, o_a_data=ports[0].data,
        i_b_addr=ports[1].addr if len(ports) > 1 else 0,
        o_b_data=ports[1].data if len(ports) > 1 else unused_b)
    return wp, ports
