"""Encoders: build `Command`s from named fields, one function per Gemmini C macro.

`encode(name, **fields)` packs any format of the table from Python values (bools, enum names,
floats for fp32 fields, negative numbers for signed fields, `LocalAddr`s).  The named encoders below
follow the argument order of Gemmini's C macros (`gemmini_extended_mvin(dram_addr, spad_addr, cols,
rows)` -> `mvin(dram_addr, sp_addr, cols, rows)`), with Python keyword names and defaults.
"""

from __future__ import annotations

import numpy as np

from ..arith import f32_bits
from .command import GARBAGE, Command
from .layout import Field, Kind
from .table import FORMATS

__all__ = [
    "compute_accumulated", "compute_preloaded", "config_ex", "config_ld", "config_norm",
    "config_st", "counter_configure", "counter_read", "counter_reset", "counter_snapshot_reset",
    "counter_snapshot_take", "encode", "fence", "flush", "loop_ws", "mvin", "mvin2", "mvin3",
    "mvout", "preload", "preload_zeros",
]

# Highest event id of the internal counter events; C's counter_configure maps codes above it to
# external events (code - 44) (ISA.md section 4.9).
NUM_INTERNAL_EVENTS = 44


def field_bits(field: Field, value) -> int:
    """The raw bits of `value` for `field` (ValueError naming the field if it does not fit)."""
    kind = field.kind
    if kind is Kind.FP32:
        if not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{field.name}: expected a number, got {value!r}")
        return f32_bits(value)
    if kind is Kind.ENUM and isinstance(value, str):
        upper = [n.upper() for n in field.names]
        if value.upper() not in upper:
            raise ValueError(f"{field.name}: unknown value {str(value)!r} (choose from "
                             f"{', '.join(field.names)})")
        return upper.index(value.upper())
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{field.name}: expected an integer, got {value!r}")
    value = int(value)
    if 0 <= value <= field.mask:
        return value
    if kind is Kind.SINT and -(1 << (field.width - 1)) <= value < 0:
        return value & field.mask
    raise ValueError(f"{field.name}: {value} does not fit in {field.width} bits")


# mnemonic -> (format, field name -> (register index, field)), built once.
_NAMED = {fmt.name: (fmt, {f.name: (0 if reg == "rs1" else 1, f)
                           for reg, f in fmt.fields() if f.is_named}) for fmt in FORMATS}


def encode(name: str, **fields) -> Command:
    """The command `name` with the given fields (missing fields are 0)."""
    if name not in _NAMED:
        raise KeyError(f"unknown instruction {name!r}")
    fmt, known = _NAMED[name]
    words = [fmt.selector.put(fmt.selector.const) if fmt.selector else 0, 0]
    for key, value in fields.items():
        if key not in known:
            raise ValueError(f"{name}: unknown field {key!r} (fields: {', '.join(known)})")
        reg, field = known[key]
        words[reg] |= field_bits(field, value) << field.lsb
    return Command(fmt.funct, words[0], words[1])


# ------------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------------
def config_ex(dataflow, act=0, in_shift=0, acc_scale=1.0, c_stride=1, a_stride=1,
              a_transpose=False, b_transpose=False, set_only_strides=False) -> Command:
    """`gemmini_extended3_config_ex`: dataflow ("OS"/"WS", a `Dataflow`, or 0/1), sys_act,
    in_shift, ex_acc_scale, strides and transposes."""
    return encode("config_ex", dataflow=dataflow, act=act, in_shift=in_shift,
                  acc_scale=acc_scale, c_stride=c_stride, a_stride=a_stride,
                  a_transpose=a_transpose, b_transpose=b_transpose,
                  set_only_strides=set_only_strides)


def config_ld(stride, scale=1.0, shrunk=False, *, block_stride, pixel_repeats=1, id=0) -> Command:
    """`gemmini_extended5_config_ld(stride, scale, shrunk, block_stride, pixel_repeats, id)`.
    `block_stride` has no default: C's shorter macros use DIM."""
    return encode("config_ld", stride=stride, scale=scale, shrunk=shrunk,
                  block_stride=block_stride, pixel_repeats=pixel_repeats, id=id)


def config_st(stride, act=0, scale=1.0, pool_stride=0, pool_size=0, pool_out_dim=0, porows=0,
              pocols=0, orows=0, ocols=0, upad=0, lpad=0) -> Command:
    """`gemmini_extended2_config_st` (pooling arguments default to "no pooling")."""
    return encode("config_st", stride=stride, act=act, scale=scale, pool_stride=pool_stride,
                  pool_size=pool_size, pool_out_dim=pool_out_dim, porows=porows, pocols=pocols,
                  orows=orows, ocols=ocols, upad=upad, lpad=lpad)


def config_norm(q_const=0, q_const_type=0, set_stats_id_only=0, act_msb=0, stat_id=0, qb=0,
                qc=0) -> Command:
    """`gemmini_config_norm` (a no-op on v1 hardware)."""
    return encode("config_norm", q_const=q_const, q_const_type=q_const_type,
                  set_stats_id_only=set_stats_id_only, act_msb=act_msb, stat_id=stat_id, qb=qb,
                  qc=qc)


# ------------------------------------------------------------------------------------------------
# Data movement and compute
# ------------------------------------------------------------------------------------------------
def mvin(dram_addr, sp_addr, cols, rows) -> Command:
    """`gemmini_extended_mvin`: load state 0."""
    return encode("mvin", dram=dram_addr, local=sp_addr, cols=cols, rows=rows)


def mvin2(dram_addr, sp_addr, cols, rows) -> Command:
    """`gemmini_extended_mvin2`: load state 1."""
    return encode("mvin2", dram=dram_addr, local=sp_addr, cols=cols, rows=rows)


def mvin3(dram_addr, sp_addr, cols, rows) -> Command:
    """`gemmini_extended_mvin3`: load state 2."""
    return encode("mvin3", dram=dram_addr, local=sp_addr, cols=cols, rows=rows)


def mvout(dram_addr, sp_addr, cols, rows) -> Command:
    """`gemmini_extended_mvout`."""
    return encode("mvout", dram=dram_addr, local=sp_addr, cols=cols, rows=rows)


def preload(bd, c, bd_cols, bd_rows, c_cols, c_rows) -> Command:
    """`gemmini_extended_preload(BD, C, BD_cols, BD_rows, C_cols, C_rows)`."""
    return encode("preload", bd=bd, bd_cols=bd_cols, bd_rows=bd_rows, c=c, c_cols=c_cols,
                  c_rows=c_rows)


def preload_zeros(c, c_cols, c_rows) -> Command:
    """`gemmini_preload_zeros(C)`: preload with B/D = GARBAGE (zeros)."""
    return preload(GARBAGE, c, c_cols, c_rows, c_cols, c_rows)


def compute_preloaded(a, bd, a_cols, a_rows, bd_cols, bd_rows) -> Command:
    """`gemmini_extended_compute_preloaded(A, BD, A_cols, A_rows, BD_cols, BD_rows)`."""
    return encode("compute_preloaded", a=a, a_cols=a_cols, a_rows=a_rows, bd=bd, bd_cols=bd_cols,
                  bd_rows=bd_rows)


def compute_accumulated(a, bd, a_cols, a_rows, bd_cols, bd_rows) -> Command:
    """`gemmini_extended_compute_accumulated(A, BD, A_cols, A_rows, BD_cols, BD_rows)`."""
    return encode("compute_accumulated", a=a, a_cols=a_cols, a_rows=a_rows, bd=bd,
                  bd_cols=bd_cols, bd_rows=bd_rows)


def flush(skip=0) -> Command:
    """`gemmini_flush(skip)` (no-op)."""
    return encode("flush", skip=skip)


def fence() -> Command:
    """FENCE (funct 127, standalone extension)."""
    return encode("fence")


def loop_ws(i, j, k, pad_i, pad_j, pad_k, a, b, d, c, a_stride, b_stride, d_stride, c_stride,
            a_transpose=False, b_transpose=False, full_c=False, low_d=False,
            ex_accumulate=False, act=0, a_spad_id=0, b_spad_id=0,
            is_resadd=False) -> list[Command]:
    """`gemmini_loop_ws(...)`: the five LOOP_WS_CONFIG commands then LOOP_WS."""
    return [
        encode("loop_ws_config_bounds", pad_i=pad_i, pad_j=pad_j, pad_k=pad_k, i=i, j=j, k=k),
        encode("loop_ws_config_addrs_ab", a=a, b=b),
        encode("loop_ws_config_addrs_dc", d=d, c=c),
        encode("loop_ws_config_strides_ab", a_stride=a_stride, b_stride=b_stride),
        encode("loop_ws_config_strides_dc", d_stride=d_stride, c_stride=c_stride),
        encode("loop_ws", ex_accumulate=ex_accumulate, full_c=full_c, low_d=low_d, act=act,
               a_spad_id=a_spad_id, b_spad_id=b_spad_id, a_transpose=a_transpose,
               b_transpose=b_transpose, is_resadd=is_resadd),
    ]


# ------------------------------------------------------------------------------------------------
# Performance counters (gemmini_counter.h)
# ------------------------------------------------------------------------------------------------
def counter_read(index) -> Command:
    """Read counter `index` (the response carries its value)."""
    return encode("counter", index=index)


def counter_configure(index, event) -> Command:
    """Make counter `index` count `event`; codes above 44 are external events (code - 44)."""
    external = event > NUM_INTERNAL_EVENTS
    return encode("counter", index=index, configure=1, external=external,
                  event=event - NUM_INTERNAL_EVENTS if external else event)


def counter_snapshot_take() -> Command:
    return encode("counter", take_snapshot=1)


def counter_snapshot_reset() -> Command:
    return encode("counter", snapshot_reset=1)


def counter_reset() -> Command:
    return encode("counter", reset=1)
