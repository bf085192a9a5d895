"""Constrained-random legal programs for any config (`random_case(cfg, seed, commands)`).

A program starts with a prologue that configures every register and fills the scratchpad and
accumulator windows it works in (so it relies on no reset value and can run after any other
program), then draws actions until it has about `commands` commands:

* MVIN/MVIN2/MVIN3 to scratchpad or accumulator (overwrite/accumulate), any DRAM stride (0
  included), unaligned addresses, zero fill, multi-block with the state's block stride, MVIN scale,
  shrunk accumulator loads, pixel repeats, sources behind a FENCE that earlier MVOUTs wrote;
* MVOUT from scratchpad, accumulator full width or scaled (+RELU), multi-block, max-pooled;
* PRELOAD/COMPUTE chains in OS and WS: bias/weights/GARBAGE operands, partial and empty operands,
  transposes, a_stride/c_stride (0 included), C to accumulator or scratchpad (in_shift, RELU),
  with loads and stores interleaved between a PRELOAD and its COMPUTE;
* CONFIG_EX (incl. set_only_strides) between chains, CONFIG_LD, CONFIG_ST, CONFIG_NORM (a no-op
  without normalization units), FENCE, FLUSH, COUNTER.

It obeys ISA.md's rules: the first compute after CONFIG_EX is COMPUTE_PRELOADED; in OS only the
last compute of a chain writes C; a GARBAGE A never reaches a written C; nothing between a PRELOAD
and its COMPUTE writes the rows the PRELOAD names; DRAM outputs never overlap anything read or
written before them unless a FENCE separates them; scale products stay far from 2^63.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ...config import GemminiConfig
from ...isa import (GARBAGE, LOCAL_ADDRESS, LocalAddr, acc, compute_accumulated, compute_preloaded,
                    config_ld, encode, fence, mvin, mvin2, mvin3, mvout, preload, sp)
from .case import CaseBuilder, ProgramCase
from .random_config import ConfigChooser
from .random_state import CounterModel, DramPlan, Window, choose_window

__all__ = ["GeneratorOptions", "random_case"]

MVINS = (mvin, mvin2, mvin3)


@dataclass(frozen=True)
class GeneratorOptions:
    """Knobs of the generator (defaults: everything the ISA allows for the config)."""

    commands: int = 300                 # commands to draw after the prologue (about)
    sp_window_tiles: int = 8            # scratchpad rows used = tiles * DIM
    acc_window_tiles: int = 4
    zero_sized_operands: bool = True    # rows/cols 0 in PRELOAD/COMPUTE operands
    odd_strides: bool = True            # a_stride/c_stride other than 1 (0 included)
    ignored_bits: bool = True           # random bits in ignored fields and address flags
    counters: bool = True
    fences: bool = True
    high_addresses: bool = True         # DRAM regions above 4 GiB in some programs
    interleave: float = 0.3             # chance of LD/ST commands between PRELOAD and COMPUTE


class RandomProgram:
    """Writes one random program (see the module docstring)."""

    def __init__(self, cfg: GemminiConfig, seed: int, options: GeneratorOptions) -> None:
        self.cfg, self.opt, self.seed = cfg, options, seed
        self.b = CaseBuilder(cfg, f"random_{cfg.name}_{seed}", seed)
        self.rng = rng = self.b.rng
        d = cfg.dim
        self.sp_win = choose_window(rng, cfg.sp_rows, cfg.sp_bank_rows, options.sp_window_tiles * d)
        self.acc_win = choose_window(rng, cfg.acc_rows, cfg.acc_bank_rows,
                                     options.acc_window_tiles * d)
        self.cc = ConfigChooser(cfg, rng, min(self.sp_win.size, self.acc_win.size), options)
        self.counters = CounterModel(cfg.num_counters)
        self.pending: list[tuple[bool, int, int, int]] = []   # (is_acc, first, count, stride)
        self.dram = self._dram_plan()

    # ------------------------------------------------------------------------------------------
    # Setup
    # ------------------------------------------------------------------------------------------
    def _dram_plan(self) -> DramPlan:
        rng = self.rng
        high = self.opt.high_addresses and rng.random() < 0.3
        base = (int(rng.integers(1, 1 << 16)) << 32 | 0x1000) if high else 0x1000
        size = 16384 + int(rng.integers(0, 64)) * 64
        self.b.memory.map("in", base, size)
        self.b.memory.write(base, rng.integers(0, 256, size, dtype=np.uint8))
        return DramPlan(base, size, out_base=base + size + 64)

    def _prologue(self) -> None:
        """Configure everything and give every window row defined contents."""
        b, cfg, d = self.b, self.cfg, self.cfg.dim
        b.add(self.cc.config_ex(first=True))
        b.add(self.cc.config_st(self.sp_win, self.acc_win))
        if self.opt.counters:
            b.counter(encode("counter", reset=1, snapshot_reset=1),
                      self.counters.apply(0, True, True, False, False, 0))
        # Fill the windows through load state 0 (plain: block stride DIM, no pixel repeats), then
        # give every load state its random configuration.
        b.add(self.cc.config_ld(0, plain=True))
        init = self.cc.ld[0]
        for win, to_acc in ((self.sp_win, False), (self.acc_win, True)):
            esz = cfg.input_bytes if (not to_acc or init.shrunk) else cfg.acc_bytes
            for first in range(win.start, win.end, d):
                rows = min(d, win.end - first)
                src = 0
                if self.rng.random() > 0.15:
                    src = self.dram.source(self.rng, (rows - 1) * init.stride + d * esz, False)
                b.add(mvin(src or 0, acc(first) if to_acc else sp(first), d, rows))
        for state in range(3):
            b.add(self.cc.config_ld(state))

    # ------------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------------
    def size(self, zero_ok: bool = False) -> int:
        """An operand dimension: mostly DIM, sometimes smaller, rarely 0 (when allowed)."""
        d, r = self.cfg.dim, self.rng.random()
        if zero_ok and self.opt.zero_sized_operands and r < 0.02:
            return 0
        return d if r < 0.55 else int(self.rng.integers(1, d + 1))

    def cols(self, blocks: int) -> int:
        """MVIN/MVOUT columns up to `blocks` DIM-wide blocks, often whole blocks."""
        d = self.cfg.dim
        n = int(self.rng.integers(1, blocks + 1))
        return n * d if self.rng.random() < 0.6 else int(self.rng.integers(1, n * d + 1))

    def noisy(self, addr: LocalAddr, bit: str) -> LocalAddr:
        """`addr` with an ignored flag (`accumulate` on reads, `read_full` on writes) set now and
        then."""
        if not self.opt.ignored_bits or self.rng.random() > 0.1 or addr == GARBAGE:
            return addr
        return LocalAddr(addr | LOCAL_ADDRESS[bit].put(1))

    def overlaps_pending(self, is_acc: bool, lo: int, hi: int) -> bool:
        """Whether rows [lo, hi) meet rows the pending PRELOAD names (the golden model's test)."""
        return any(a == is_acc and count and lo <= first + stride * (count - 1) and first < hi
                   for a, first, count, stride in self.pending)

    # ------------------------------------------------------------------------------------------
    # Data movement
    # ------------------------------------------------------------------------------------------
    def action_mvin(self) -> None:
        cfg, rng, d = self.cfg, self.rng, self.cfg.dim
        state = int(rng.integers(3))
        ld = self.cc.ld[state]
        to_acc = ld.repeats == 1 and rng.random() < 0.35
        elem_path = not to_acc or ld.shrunk
        blocks = cfg.max_block_len if elem_path else cfg.max_block_len_acc
        win = self.acc_win if to_acc else self.sp_win
        if ld.repeats > 1:
            cols = int(rng.integers(1, d // ld.repeats + 1))
        else:
            while blocks > 1 and (blocks - 1) * ld.block_stride + 1 > win.size:
                blocks -= 1
            cols = self.cols(blocks)
        nblocks = -(-cols // d)
        rows = int(rng.integers(1, min(d, ld.block_stride, win.size) + 1))
        first = win.place(rng, (nblocks - 1) * ld.block_stride + rows, below=ld.repeats - 1)
        if first is None:
            return
        if self.overlaps_pending(to_acc, max(0, first - ld.repeats + 1),
                                 first + (nblocks - 1) * ld.block_stride + rows):
            return
        esz = cfg.input_bytes if elem_path else cfg.acc_bytes
        src = 0
        if rng.random() > 0.1:
            src = self.dram.source(rng, (rows - 1) * ld.stride + cols * esz,
                                   self.opt.fences and rng.random() < 0.3)
            if src is None:
                return
        if to_acc:
            local = self.noisy(acc(first, accumulate=rng.random() < 0.5), "read_full")
        else:
            local = sp(first)
        self.b.add(MVINS[state](src, local, cols, rows))

    def action_mvout(self) -> None:
        cfg, rng, d = self.cfg, self.rng, self.cfg.dim
        st = self.cc.st
        kinds = ["sp"] + (["full"] if cfg.acc_read_full_width and st.pool is None else []) \
            + (["scaled"] if cfg.acc_read_small_width else [])
        kind = kinds[int(rng.integers(len(kinds)))]
        win = self.sp_win if kind == "sp" else self.acc_win
        osz = cfg.acc_bytes if kind == "full" else cfg.input_bytes
        if st.pool is not None:
            p = st.pool
            channels = int(rng.integers(1, d + 1))
            first = win.place(rng, p.orows * p.ocols)
            rows = int(rng.integers(0, d + 1))              # ignored when pooling
            nbytes = ((p.porows - 1) * p.out_dim + p.pocols - 1) * st.stride + channels * osz
            cols = channels
        else:
            blocks = 1 if kind == "full" else max(1, min(cfg.max_block_len, win.size // d))
            cols = self.cols(blocks)
            rows = int(rng.integers(1, d + 1))
            if rows > 1 and st.stride < cols * osz:          # rows of one MVOUT never overlap
                if st.stride >= osz:
                    cols = st.stride // osz
                else:
                    rows = 1
            nblocks = -(-cols // d)
            first = win.place(rng, (nblocks - 1) * d + rows)
            nbytes = (rows - 1) * st.stride + cols * osz
        if first is None:
            return
        if kind == "sp":
            local = self.noisy(sp(first), "read_full")
        else:
            local = self.noisy(acc(first, read_full=kind == "full"), "accumulate")
        self.b.add(mvout(self.dram.output(rng, nbytes), local, cols, rows))

    # ------------------------------------------------------------------------------------------
    # Compute chains
    # ------------------------------------------------------------------------------------------
    def operand(self, rows: int, cols: int, transposed: bool, stride: int = 1,
                garbage: float = 0.0) -> LocalAddr:
        """A scratchpad operand of rows x cols (stored transposed: cols rows), or GARBAGE."""
        count = cols if transposed else rows
        first = self.sp_win.place(self.rng, count, stride)
        if first is None or self.rng.random() < garbage:
            return LocalAddr(GARBAGE)
        return sp(first)

    @staticmethod
    def fitting(win: Window, count: int, stride: int) -> int:
        """`count`, reduced so that rows `stride` apart fit in `win`."""
        return count if stride == 0 else min(count, (win.size - 1) // stride + 1)

    def destination(self, c_rows: int, force_garbage: bool) -> tuple[LocalAddr, int]:
        """C (accumulator, overwrite or accumulate; scratchpad; or GARBAGE) and its rows, reduced
        to fit the window at the current c_stride."""
        rng, pick = self.rng, self.rng.random()
        if force_garbage or pick < 0.12:
            return LocalAddr(GARBAGE), c_rows
        to_acc = pick < 0.7
        win = self.acc_win if to_acc else self.sp_win
        c_rows = self.fitting(win, c_rows, self.cc.ex.c_stride)
        first = win.place(rng, c_rows, self.cc.ex.c_stride)
        if to_acc:
            return self.noisy(acc(first, accumulate=rng.random() < 0.5), "read_full"), c_rows
        return sp(first), c_rows

    def action_chain(self) -> None:
        rng, ex = self.rng, self.cc.ex
        ws = ex.dataflow == 1
        length = min(int(rng.geometric(0.45)), 6) if rng.random() < 0.8 else 1
        chain_writes_c = ws or rng.random() < 0.85
        for step in range(length):
            first, last = step == 0, step == length - 1
            bd_rows, bd_cols = self.size(True), self.size(True)
            c_rows, c_cols = self.size(True), self.size(True)
            if first:   # WS: the weights (B, transposable); OS: the bias D (never transposed)
                bd = self.operand(bd_rows, bd_cols, ws and ex.b_transpose,
                                  garbage=0.1 if ws else 0.3)
            else:       # ignored by COMPUTE_ACCUMULATED, but its rows still count as named
                bd = self.operand(bd_rows, bd_cols, ws and ex.b_transpose, garbage=0.7)
            c, c_rows = self.destination(c_rows,
                                         force_garbage=not ws and not (last and chain_writes_c))
            self.b.add(preload(bd, c, bd_cols, bd_rows, c_cols, c_rows))
            self.pending = []
            if bd != GARBAGE:
                count = bd_cols if (ws and ex.b_transpose) else bd_rows
                self.pending.append((False, bd.row, count, 1))
            if c != GARBAGE:
                self.pending.append((c.is_acc, c.row, c_rows, ex.c_stride))
            while rng.random() < self.opt.interleave:
                self.draw(("mvin", "mvout", "config_ld", "config_st", "counter", "flush",
                           "fence"), (8, 6, 2, 1, 1, 1, 1))
            self.pending = []
            a_rows, a_cols = self.size(True), self.size(True)
            if ex.a_transpose:       # A's stored rows are a_stride apart: keep them in the window
                a_cols = self.fitting(self.sp_win, a_cols, ex.a_stride)
            else:
                a_rows = self.fitting(self.sp_win, a_rows, ex.a_stride)
            c_written = c != GARBAGE and c_rows and c_cols
            garbage_a = (0.1 if not c_written else 0.0) if ws else (0.1 if not chain_writes_c
                                                                   else 0.0)
            a = self.operand(a_rows, a_cols, ex.a_transpose, ex.a_stride, garbage_a)
            x_rows, x_cols = self.size(True), self.size(True)
            x = self.operand(x_rows, x_cols, not ws and ex.b_transpose, garbage=0.4 if ws else 0.1)
            encode_compute = compute_preloaded if first else compute_accumulated
            self.b.add(encode_compute(a, x, a_cols, a_rows, x_cols, x_rows))

    # ------------------------------------------------------------------------------------------
    # Control
    # ------------------------------------------------------------------------------------------
    def action_counter(self) -> None:
        rng, n = self.rng, self.cfg.num_counters
        index = int(rng.integers(n))
        reset, snap_reset, take = (bool(rng.random() < p) for p in (0.15, 0.2, 0.15))
        configure = bool(rng.random() < 0.35)
        external = configure and rng.random() < 0.2
        event = 0
        if configure and rng.random() > 0.4:
            event = int(rng.integers(1, 8 if external else 45))
        external = external and event != 0
        fields = dict(index=index, reset=reset, snapshot_reset=snap_reset, take_snapshot=take,
                      configure=configure, event=event, external=external)
        if self.opt.ignored_bits and rng.random() < 0.2:
            fields["ignored"] = int(rng.integers(0, 1 << 63))
        self.b.counter(encode("counter", **fields),
                       self.counters.apply(index, reset, snap_reset, take, configure, event))

    def action_flush(self) -> None:
        noise = int(self.rng.integers(0, 1 << 63)) if self.opt.ignored_bits else 0
        self.b.add(encode("flush", skip=int(self.rng.integers(2)), ignored=noise))

    def action_config_norm(self) -> None:
        """CONFIG_NORM: a no-op without normalization units, whatever its fields."""
        rng = self.rng
        self.b.add(encode("config_norm", q_const=int(rng.integers(-(1 << 31), 1 << 31)),
                          q_const_type=int(rng.integers(2)), set_stats_id_only=int(rng.integers(2)),
                          act_msb=int(rng.integers(2)), stat_id=int(rng.integers(256)),
                          qb=int(rng.integers(-(1 << 31), 1 << 31)),
                          qc=int(rng.integers(-(1 << 31), 1 << 31))))

    def action_fence(self) -> None:
        self.b.add(fence())
        self.dram.fence()

    def draw(self, names: tuple[str, ...], weights: tuple[int, ...]) -> None:
        """Run one action chosen by weight (features the options turn off are skipped)."""
        allowed = [(n, w) for n, w in zip(names, weights)
                   if not ((n == "counter" and not self.opt.counters)
                           or (n == "fence" and not self.opt.fences))]
        total = sum(w for _, w in allowed)
        pick = self.rng.random() * total
        for name, weight in allowed:
            pick -= weight
            if pick < 0:
                break
        if name == "config_ex":
            self.b.add(self.cc.config_ex())
        elif name == "config_ld":
            self.b.add(self.cc.config_ld(int(self.rng.integers(3))))
        elif name == "config_st":
            self.b.add(self.cc.config_st(self.sp_win, self.acc_win))
        else:
            getattr(self, f"action_{name}")()

    def generate(self) -> ProgramCase:
        self._prologue()
        target = len(self.b.commands) + self.opt.commands
        while len(self.b.commands) < target:
            self.draw(("mvin", "mvout", "chain", "config_ex", "config_ld", "config_st", "fence",
                       "counter", "flush", "config_norm"), (20, 12, 30, 5, 6, 5, 2, 3, 1, 1))
        self.b.memory.map("out", self.dram.out_base, max(self.dram.out_used, 1))
        return self.b.case(comment=f"random program (seed {self.seed}, {self.opt}): sp rows "
                                   f"{self.sp_win.start}..{self.sp_win.end - 1}, acc rows "
                                   f"{self.acc_win.start}..{self.acc_win.end - 1}")


def random_case(cfg: GemminiConfig, seed: int, commands: int = 300,
                options: GeneratorOptions | None = None) -> ProgramCase:
    """A random legal program of about `commands` commands (plus prologue and read-back)."""
    opts = dataclasses.replace(options or GeneratorOptions(), commands=commands)
    return RandomProgram(cfg, seed, opts).generate()
