"""A self-checking throughput harness: `MeshWithDelays` fed by an on-chip pseudo-random block
source, its results folded into an on-chip checksum, so a simulation runs with Python idle.

`MeshBench` (top module ``mesh_bench``) presents a new beat every cycle while ``run`` is high.  The
beat's rows and block control are drawn from a 64-bit xorshift state that advances on every
accepted beat: each 64-bit word of a row is the state rotated, plus a constant (an addition, since
Yosys turns an XOR with a constant into a scatter of single-bit inversions that cost more to
simulate than the array's inputs are worth).  Every result row is folded into ``checksum``.
`expected_checksum` recomputes the same stimulus in numpy, runs the block model (`mesh_model`) and
folds its results the same way.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.mesh_with_delays import MeshWithDelays
from mesh_model import Block, MeshModel

__all__ = ["MeshBench", "clocked_wrapper", "expected_checksum"]

SEED = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1
OPERANDS = ("a", "x", "p")


def _constant(k: int, j: int) -> int:
    """A fixed 64-bit constant per operand `k` and word `j` (splitmix64 of its index)."""
    z = (SEED + (3 * j + k + 1) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 30)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def _rotation(k: int, j: int) -> int:
    return (13 * j + 5 * k + 1) % 64


def _words(cfg: GemminiConfig) -> int:
    """64-bit words per operand row."""
    return -(-cfg.dim * cfg.input_bits // 64)


class MeshBench(wiring.Component):
    """`MeshWithDelays` for `config` between a pseudo-random source and a checksum.

    Ports: ``run`` (In): present beats; ``beats`` / ``rows`` (Out, 32 bits): beats accepted and
    result rows received so far; ``checksum`` (Out, 64 bits)."""

    def __init__(self, config: GemminiConfig):
        self.config = config
        self.mesh = MeshWithDelays(config, tag_shape=unsigned(8))
        super().__init__({"run": In(1), "beats": Out(32), "rows": Out(32), "checksum": Out(64)})

    def verilog_modules(self):
        return self.mesh.verilog_modules()

    def elaborate(self, platform):
        cfg = self.config
        m = Module()
        m.submodules.mesh = mesh = self.mesh
        state = Signal(64, init=SEED)
        feed = mesh.feed
        for k, name in enumerate(OPERANDS):
            words = [(state.rotate_left(_rotation(k, j)) + Const(_constant(k, j), 64))[:64]
                     for j in range(_words(cfg))]
            m.d.comb += getattr(feed.payload, name).eq(Cat(*words))
        ctrl = feed.payload.ctrl
        m.d.comb += [ctrl.dataflow.eq(state[0]), ctrl.flip.eq(state[1] | state[2]),
                     ctrl.a_transpose.eq(state[3]), ctrl.b_transpose.eq(state[4]),
                     ctrl.tag.eq(state[8:16]), feed.valid.eq(self.run)]
        shifted = Signal(64)
        m.d.comb += shifted.eq(state ^ (state << 13))
        shifted2 = Signal(64)
        m.d.comb += shifted2.eq(shifted ^ (shifted >> 7))
        with m.If(feed.valid & feed.ready):
            m.d.sync += [state.eq(shifted2 ^ (shifted2 << 17)), self.beats.eq(self.beats + 1)]

        result = mesh.result
        row_bits = result.payload.row.as_value()
        fold = Const(0, 64)
        for j in range(0, len(row_bits), 64):
            fold = fold ^ row_bits[j:j + 64]
        with m.If(result.valid):
            m.d.sync += [self.rows.eq(self.rows + 1),
                         self.checksum.eq(self.checksum + (fold ^ Cat(result.payload.index,
                                                                      result.payload.tag)))]
        return m


def clocked_wrapper(top: str = "mesh_bench", period_ns: int = 10) -> str:
    """Verilog of ``<top>_clocked``: `top` with its clock generated in HDL (build with Verilator's
    ``--timing``), so a simulation needs no per-cycle clock callbacks from cocotb.

    ``rst`` and ``run`` pass a register on their way in: Verilator re-evaluates all logic that
    depends combinationally on a writable top-level input at every evaluation (two per cycle),
    and through ``rst`` that would be every reset multiplexer of the design."""
    half = period_ns // 2
    return f"""`timescale 1ns/1ps
module {top}_clocked(input rst, input run, output [31:0] beats, output [31:0] rows,
                     output [63:0] checksum);
  reg clk = 1'b0;
  always #{half} clk = ~clk;
  reg rst_q = 1'b1, run_q = 1'b0;
  always @(posedge clk) begin
    rst_q <= rst;
    run_q <= run;
  end
  {top} dut(.clk(clk), .rst(rst_q), .run(run_q), .beats(beats), .rows(rows),
            .checksum(checksum));
endmodule
"""


def _xorshift_states(count: int) -> np.ndarray:
    states = np.empty(count, np.uint64)
    s = SEED
    for n in range(count):
        states[n] = s
        s ^= (s << 13) & MASK64
        s ^= s >> 7
        s ^= (s << 17) & MASK64
    return states


def _rows(cfg: GemminiConfig, states: np.ndarray, k: int) -> np.ndarray:
    """Operand `k`'s row of every beat: (beats, DIM) int64."""
    words = np.empty((len(states), _words(cfg)), np.uint64)
    for j in range(words.shape[1]):
        r = np.uint64(_rotation(k, j))
        turned = (states << r) | (states >> (np.uint64(64) - r)) if r else states
        words[:, j] = turned + np.uint64(_constant(k, j))     # wraps modulo 2**64
    elems = words.view(np.uint8).reshape(len(states), -1)[:, :cfg.dim * cfg.input_bytes]
    return elems.copy().view(f"<i{cfg.input_bytes}").astype(np.int64)


def stimulus(cfg: GemminiConfig, n_blocks: int) -> list[Block]:
    """The first `n_blocks` blocks the source produces."""
    d = cfg.dim
    states = _xorshift_states(n_blocks * d)
    a, x, p = (_rows(cfg, states, k).reshape(n_blocks, d, d) for k in range(3))
    blocks = []
    for n in range(n_blocks):
        s = int(states[n * d])
        ws = bool(s & 1) if (cfg.has_os and cfg.has_ws) else cfg.has_ws
        blocks.append(Block(a[n], x[n], p[n], ws=ws, flip=bool(s & 6), a_transpose=bool(s & 8),
                            b_transpose=bool(s & 16), tag=(s >> 8) & 0xFF))
    return blocks


def expected_checksum(cfg: GemminiConfig, n_blocks: int) -> int:
    """The ``checksum`` after the results of the first `n_blocks` blocks."""
    blocks = stimulus(cfg, n_blocks)
    results = MeshModel(cfg.dim, cfg.input_bits, cfg.acc_bits).run_all(blocks)
    d = cfg.dim
    rows = np.stack(results).reshape(n_blocks * d, d)
    acc_bytes = rows.astype(f"<i{cfg.acc_bytes}").view(np.uint8).reshape(len(rows), -1)
    pad = (-acc_bytes.shape[1]) % 8
    words = np.pad(acc_bytes, ((0, 0), (0, pad))).view(np.uint64)
    folds = np.bitwise_xor.reduce(words, axis=1)
    index = np.tile(np.arange(d, dtype=np.uint64), n_blocks)
    tags = np.repeat(np.array([b.tag for b in blocks], np.uint64), d)
    index_bits = max(1, (d - 1).bit_length())
    total = np.sum(folds ^ (index | (tags << np.uint64(index_bits))), dtype=np.uint64)
    return int(total)
