"""Static legality checks of one decoded command against a config (no machine state needed).

Everything ISA.md calls illegal, reserved or undefined that can be seen from the command alone:
reserved bits, operand rows/cols limits, local address ranges and kinds, features the config lacks.
Checks that depend on earlier commands (strides, block strides, the preload latch, ...) belong to
the golden model.  Each failure raises `IllegalInstruction(index, field, message)`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..arith import f32_from_bits
from .command import LocalAddr
from .errors import IllegalInstruction
from .layout import Kind
from .table import GARBAGE

if TYPE_CHECKING:
    from ..config import GemminiConfig
    from .decoder import Instruction

__all__ = ["check_static", "NUM_EVENTS", "NUM_EXTERNAL_EVENTS"]

NUM_EVENTS = 44              # internal counter event ids 1..44 (ISA.md section 10.2)
NUM_EXTERNAL_EVENTS = 7      # external event ids 1..7
_TRANSPOSES = {0: {(0, 0), (1, 0), (1, 1)}, 1: {(0, 0), (1, 0), (0, 1)}}   # OS / WS


class _Checker:
    """Raises errors attributed to one command."""

    def __init__(self, inst: "Instruction", cfg: "GemminiConfig", index: int | None):
        self.inst, self.cfg, self.index = inst, cfg, index

    def fail(self, field: str, message: str) -> None:
        raise IllegalInstruction(self.index, field, message, self.inst.name)

    def reserved_bits(self) -> None:
        for reg, f in self.inst.format.fields():
            word = self.inst.command.rs1 if reg == "rs1" else self.inst.command.rs2
            if f.kind is Kind.RESERVED and f.get(word):
                self.fail(f"{reg}{f.bits}", f"reserved bits must be 0, got {f.get(word):#x}")

    def at_most(self, field: str, value: int, limit: int, what: str, low: int = 0) -> None:
        if value > limit:
            self.fail(field, f"{value} exceeds {what} ({limit})")
        if value < low:
            self.fail(field, f"must be at least {low}, got {value}")

    def fp32_finite(self, field: str, value: float) -> None:
        if not math.isfinite(value):
            self.fail(field, f"scale must be a finite fp32 value, got {value}")

    def local(self, field: str, addr: LocalAddr, *, garbage: bool, acc: bool = True,
              sp: bool = True) -> None:
        """A local address: GARBAGE only when allowed, the right memory, row in range, no
        normalization command (v1)."""
        if addr == GARBAGE:
            if not garbage:
                self.fail(field, "GARBAGE is not allowed here")
            return
        if addr.norm_cmd:
            self.fail(field, f"norm_cmd must be 0 (no normalization units), got {addr.norm_cmd}")
        if addr.is_acc and not acc:
            self.fail(field, "must be a scratchpad address (operands are not read from the "
                             "accumulator)")
        if not addr.is_acc and not sp:
            self.fail(field, "must be an accumulator address")
        rows = self.cfg.acc_rows if addr.is_acc else self.cfg.sp_rows
        if addr.row >= rows:
            self.fail(field, f"row {addr.row} is outside the "
                             f"{'accumulator' if addr.is_acc else 'scratchpad'} (0..{rows - 1})")


def check_static(inst: "Instruction", cfg: "GemminiConfig", index: int | None = None) -> None:
    """Raise `IllegalInstruction` if `inst` is illegal on `cfg` whatever the machine state."""
    c = _Checker(inst, cfg, index)
    c.reserved_bits()
    _CHECKS.get(inst.name, _no_check)(c, inst, cfg)


def _no_check(c: _Checker, inst, cfg) -> None:
    return None


def _config_ex(c: _Checker, inst, cfg) -> None:
    if not inst.set_only_strides:
        if inst.dataflow == 1 and not cfg.has_ws:
            c.fail("dataflow", f"WS is not available (config dataflow {cfg.dataflow})")
        if inst.dataflow == 0 and not cfg.has_os:
            c.fail("dataflow", f"OS is not available (config dataflow {cfg.dataflow})")
    pair = (int(inst.a_transpose), int(inst.b_transpose))
    if pair not in _TRANSPOSES[inst.dataflow]:
        c.fail("a_transpose/b_transpose", f"transposes (A={pair[0]}, B={pair[1]}) are not "
                                          f"allowed in {('OS', 'WS')[inst.dataflow]}")
    if inst.in_shift >= cfg.acc_bits:
        c.fail("in_shift", f"{inst.in_shift} must be below the accumulator width ({cfg.acc_bits})")


def _config_ld(c: _Checker, inst, cfg) -> None:
    if inst.id == 3:
        c.fail("id", "load state 3 is reserved")
    if inst.pixel_repeats > 1 and not cfg.has_first_layer_optimizations:
        c.fail("pixel_repeats", "pixel repeats need has_first_layer_optimizations")
    c.at_most("pixel_repeats", inst.pixel_repeats, cfg.dim, "DIM")
    limit = (1 << min(16, cfg.addr_bits)) - 1
    c.at_most("block_stride", inst.block_stride, limit, "the block stride the hardware keeps")
    if cfg.mvin_scale == "fp32":
        c.fp32_finite("scale", inst.scale)


def _config_st(c: _Checker, inst, cfg) -> None:
    if inst.act >= 2:
        c.fail("act", f"activation {inst.act} needs the normalization profile (not supported)")
    if inst.act == 1 and not cfg.has_nonlinear_activations:
        c.fail("act", "RELU on the store path needs has_nonlinear_activations")
    if inst.pool_stride == 0 and inst.pool_size != 0:
        c.fail("pool_size", "must be 0 when pooling is off (pool_stride 0)")
    if inst.pool_stride != 0 and not cfg.has_max_pool:
        c.fail("pool_stride", "pooling needs has_max_pool")
    scale_bits = inst.format.rs2["scale"].get(inst.command.rs2)
    if scale_bits == 0xFFFF_FFFF:
        c.fail("scale", "acc_scale 0xFFFFFFFF is reserved")
    if cfg.acc_scale == "fp32":
        c.fp32_finite("scale", float(f32_from_bits(scale_bits)))


def _move(c: _Checker, inst, cfg) -> None:
    is_mvout = inst.name == "mvout"
    c.local("local", inst.local, garbage=False)
    if not is_mvout:
        c.at_most("rows", inst.rows, cfg.dim, "DIM", low=1)
    max_cols = cfg.dim * cfg.max_block_len
    c.at_most("cols", inst.cols, max_cols, "DIM*MAX_BLOCK_LEN", low=1)
    if is_mvout and inst.local.is_acc:
        if inst.local.read_full:
            if not cfg.acc_read_full_width:
                c.fail("local", "full-width accumulator reads need acc_read_full_width")
            c.at_most("cols", inst.cols, cfg.dim, "DIM (no multi-block full-width mvout)")
        elif not cfg.acc_read_small_width:
            c.fail("local", "elem-width accumulator reads need acc_read_small_width")


def _operand(c: _Checker, inst, prefix: str, *, garbage: bool, acc: bool) -> None:
    c.local(prefix, getattr(inst, prefix), garbage=garbage, acc=acc)
    c.at_most(f"{prefix}_rows", getattr(inst, f"{prefix}_rows"), c.cfg.dim, "DIM")
    c.at_most(f"{prefix}_cols", getattr(inst, f"{prefix}_cols"), c.cfg.dim, "DIM")


def _preload(c: _Checker, inst, cfg) -> None:
    _operand(c, inst, "bd", garbage=True, acc=False)
    _operand(c, inst, "c", garbage=True, acc=True)


def _compute(c: _Checker, inst, cfg) -> None:
    _operand(c, inst, "a", garbage=True, acc=False)
    _operand(c, inst, "bd", garbage=True, acc=False)


def _loop_ws(c: _Checker, inst, cfg) -> None:
    for field in ("a_spad_id", "b_spad_id"):
        if getattr(inst, field) == 3:
            c.fail(field, "spad id 3 is reserved")
    if inst.act >= 2:
        c.fail("act", f"activation {inst.act} needs the normalization profile (not supported)")
    if not cfg.has_ws:
        c.fail("funct", f"LOOP_WS needs the WS dataflow (config dataflow {cfg.dataflow})")


def _loop_ws_bounds(c: _Checker, inst, cfg) -> None:
    for field in ("pad_i", "pad_j", "pad_k"):
        c.at_most(field, getattr(inst, field), cfg.dim - 1, "DIM-1")


def _loop_conv(c: _Checker, inst, cfg) -> None:
    c.fail("funct", "LOOP_CONV_WS is not supported in this version (ISA.md section 9)")


def _counter(c: _Checker, inst, cfg) -> None:
    c.at_most("index", inst.index, cfg.num_counters - 1, "the last counter index")
    if inst.configure:
        limit = NUM_EXTERNAL_EVENTS if inst.external else NUM_EVENTS
        c.at_most("event", inst.event, limit, "the last external event id" if inst.external
                  else "the last event id")


_CHECKS = {
    "config_ex": _config_ex, "config_ld": _config_ld, "config_st": _config_st,
    "mvin": _move, "mvin2": _move, "mvin3": _move, "mvout": _move,
    "preload": _preload, "compute_preloaded": _compute, "compute_accumulated": _compute,
    "loop_ws": _loop_ws, "loop_ws_config_bounds": _loop_ws_bounds,
    **{name: _loop_conv for name in ("loop_conv_ws", "loop_conv_ws_config_1",
                                     "loop_conv_ws_config_2", "loop_conv_ws_config_3",
                                     "loop_conv_ws_config_4", "loop_conv_ws_config_5",
                                     "loop_conv_ws_config_6")},
    "counter": _counter,
}
