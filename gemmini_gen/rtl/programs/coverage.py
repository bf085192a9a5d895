"""Which ISA features a program exercises: `features(program, cfg) -> Counter` of feature names.

Used to check that the random generator reaches every corner the ISA allows for a config (and to
report what a regression covered).  The walk replays the configuration state the features depend on
(load states, CONFIG_EX, CONFIG_ST, the preload latch); commands that do not decode legally count as
"illegal".
"""

from __future__ import annotations

from collections import Counter

from ...config import GemminiConfig
from ...isa import GARBAGE, IllegalInstruction, Program, decode

__all__ = ["applicable_features", "features"]

_MVIN_STATE = {"mvin": 0, "mvin2": 1, "mvin3": 2}


def _mvin(f: Counter, inst, ld: dict, cfg: GemminiConfig) -> None:
    d = cfg.dim
    dest = "acc_accumulate" if inst.local.is_acc and inst.local.accumulate else \
        "acc" if inst.local.is_acc else "sp"
    f[f"mvin.{dest}"] += 1
    f[f"mvin.state{_MVIN_STATE[inst.name]}"] += 1
    f["mvin.zero_fill" if inst.dram == 0 else "mvin.dram"] += 1
    if inst.dram and inst.dram % cfg.bus_bytes:
        f["mvin.unaligned"] += 1
    if inst.dram and ld["stride"] == 0 and inst.rows > 1:
        f["mvin.dram_stride_0"] += 1
    if inst.cols > d:
        f["mvin.multi_block"] += 1
        if ld["block_stride"] != d:
            f["mvin.block_stride_not_dim"] += 1
    if inst.rows < d or inst.cols % d:
        f["mvin.partial"] += 1
    if inst.local.is_acc and ld["shrunk"]:
        f["mvin.shrunk"] += 1
    if inst.dram and ld["scale"] != 1.0 and (not inst.local.is_acc or ld["shrunk"]):
        f["mvin.scaled"] += 1
    if ld["repeats"] > 1:
        f["mvin.pixel_repeats"] += 1


def _mvout(f: Counter, inst, st: dict, cfg: GemminiConfig) -> None:
    src = ("acc_full" if inst.local.read_full else "acc_scaled") if inst.local.is_acc else "sp"
    if st["pool_stride"]:
        f[f"mvout.pooled_{'acc' if inst.local.is_acc else 'sp'}"] += 1
        return
    f[f"mvout.{src}"] += 1
    if inst.cols > cfg.dim:
        f["mvout.multi_block"] += 1
    if src == "acc_scaled" and st["act"]:
        f["mvout.relu"] += 1
    if src == "acc_scaled" and st["scale"] != 1.0:
        f["mvout.scaled"] += 1
    if inst.dram % cfg.bus_bytes:
        f["mvout.unaligned"] += 1


def _compute(f: Counter, inst, ex: dict, latch) -> None:
    df = "ws" if ex["dataflow"] else "os"
    flip = inst.name == "compute_preloaded"
    f[f"{df}.{'preloaded' if flip else 'accumulated'}"] += 1
    if inst.a == GARBAGE:
        f[f"{df}.a_garbage"] += 1
    if inst.bd == GARBAGE:
        f[f"{df}.{'d' if df == 'ws' else 'b'}_garbage"] += 1
    if flip and latch.bd == GARBAGE:
        f[f"{df}.preload_garbage"] += 1
    sizes = (inst.a_rows, inst.a_cols, inst.bd_rows, inst.bd_cols, latch.c_rows, latch.c_cols)
    if 0 in sizes:
        f["compute.zero_sized"] += 1
    if latch.c == GARBAGE:
        f[f"{df}.c_garbage"] += 1
    elif latch.c_rows and latch.c_cols:
        kind = ("acc_accumulate" if latch.c.accumulate else "acc") if latch.c.is_acc else "sp"
        f[f"{df}.c_{kind}"] += 1
        if not latch.c.is_acc and ex["act"] == 1:
            f[f"{df}.c_sp_relu"] += 1
        if not latch.c.is_acc and df == "os" and ex["in_shift"]:
            f["os.c_sp_shifted"] += 1
        if ex["c_stride"] != 1:
            f["compute.c_stride_not_1"] += 1
    for name in ("a_transpose", "b_transpose"):
        if ex[name]:
            f[f"{df}.{name}"] += 1
    if ex["a_stride"] != 1 and inst.a != GARBAGE:
        f["compute.a_stride_not_1"] += 1


def features(program: Program, cfg: GemminiConfig) -> Counter:
    """Feature name -> number of commands exercising it."""
    f: Counter = Counter()
    d = cfg.dim
    ld = [dict(stride=cfg.sp_row_bytes, block_stride=d, shrunk=False, scale=1.0, repeats=1)
          for _ in range(3)]
    ex = dict(dataflow=0, act=0, in_shift=0, a_transpose=False, b_transpose=False, a_stride=1,
              c_stride=1)
    st = dict(pool_stride=0, act=0, scale=1.0)
    latch = None
    for cmd in program.commands:
        try:
            inst = decode(cmd, cfg)
        except IllegalInstruction:
            f["illegal"] += 1
            continue
        name = inst.name
        f[f"cmd.{name}"] += 1
        if name == "config_ld":
            ld[inst.id] = dict(stride=inst.stride, block_stride=inst.block_stride,
                               shrunk=inst.shrunk, scale=inst.scale,
                               repeats=inst.pixel_repeats or 1)
            if inst.pixel_repeats == 0:
                f["config_ld.repeats_0"] += 1
        elif name == "config_ex":
            if inst.set_only_strides:
                f["config_ex.set_only_strides"] += 1
            else:
                ex.update(dataflow=inst.dataflow, act=inst.act, in_shift=inst.in_shift,
                          a_transpose=inst.a_transpose, b_transpose=inst.b_transpose)
            ex.update(a_stride=inst.a_stride, c_stride=inst.c_stride)
        elif name == "config_st":
            st = dict(pool_stride=inst.pool_stride, act=inst.act, scale=inst.scale)
        elif name in _MVIN_STATE:
            _mvin(f, inst, ld[_MVIN_STATE[name]], cfg)
        elif name == "mvout":
            _mvout(f, inst, st, cfg)
        elif name == "preload":
            latch = inst
        elif name in ("compute_preloaded", "compute_accumulated"):
            _compute(f, inst, ex, _Latch(latch))
        elif name == "counter":
            for flag in ("reset", "snapshot_reset", "take_snapshot", "configure"):
                if getattr(inst, flag):
                    f[f"counter.{flag}"] += 1
    return f


class _Latch:
    """The preload operands a compute uses (a PRELOAD record, or the reset latch)."""

    def __init__(self, inst) -> None:
        self.bd = inst.bd if inst else GARBAGE
        self.c = inst.c if inst else GARBAGE
        self.c_rows = inst.c_rows if inst else 0
        self.c_cols = inst.c_cols if inst else 0


def applicable_features(cfg: GemminiConfig) -> set[str]:
    """The features a thorough program set must reach on `cfg`."""
    out = {f"mvin.{k}" for k in ("sp", "acc", "acc_accumulate", "state0", "state1", "state2",
                                 "zero_fill", "dram", "unaligned", "dram_stride_0", "partial",
                                 "shrunk", "scaled")}
    if cfg.max_block_len > 1:
        out |= {"mvin.multi_block", "mvin.block_stride_not_dim", "mvout.multi_block"}
    if cfg.has_first_layer_optimizations:
        out |= {"mvin.pixel_repeats", "config_ld.repeats_0"}
    out |= {"mvout.sp", "mvout.unaligned"}
    if cfg.acc_read_full_width:
        out.add("mvout.acc_full")
    if cfg.acc_read_small_width:
        out |= {"mvout.acc_scaled", "mvout.relu", "mvout.scaled"}
    if cfg.has_max_pool:
        out |= {"mvout.pooled_sp", "mvout.pooled_acc"}
    for df, ok in (("os", cfg.has_os), ("ws", cfg.has_ws)):
        if ok:
            out |= {f"{df}.{k}" for k in ("preloaded", "accumulated", "a_garbage",
                                          "preload_garbage", "c_garbage", "c_acc",
                                          "c_acc_accumulate", "c_sp", "c_sp_relu", "a_transpose",
                                          "b_transpose")}
            out.add(f"{df}.{'d' if df == 'ws' else 'b'}_garbage")
    if cfg.has_os:
        out.add("os.c_sp_shifted")
    out |= {"compute.zero_sized", "compute.c_stride_not_1", "compute.a_stride_not_1",
            "config_ex.set_only_strides", "cmd.fence", "cmd.flush", "counter.reset",
            "counter.snapshot_reset", "counter.take_snapshot", "counter.configure"}
    return out
