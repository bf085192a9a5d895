"""Programs with one illegal command in the middle, for checking how hardware rejects commands.

The accelerator must flag an illegal command (sticky ``error`` with the command's ordinal, funct and
a cause), drop it, and carry on (docs: accel_arch, `hw.ctrl.interface.ErrorCause`).  Each
`IllegalCase` holds:

* `case`: a legal program around the illegal command (read-back appended);
* `index`, `funct`, `cause`: what the hardware must report (cause = an `ErrorCause` name);
* `remainder`: the same program without the illegal command: legal, so the golden model runs it,
  and the hardware's final memory must equal the golden result of the remainder.

The golden model rejects these commands too (statically or when it executes them), except the
LOOP_WS configuration functs: there they are plain register writes, here unsupported
(`golden_rejects` is False for them).
Covered: unknown functs (incl. Gemmini's RTL-only ones), LOOP_WS / LOOP_CONV_WS and their config
functs, reserved bits, sizes, local addresses, CONFIG field values, features the config lacks,
sequence rules (COMPUTE without its PRELOAD, COMPUTE_ACCUMULATED first after CONFIG_EX, MVIN rows
above the block stride), counter indices and events.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import GemminiConfig
from ...isa import (GARBAGE, LOCAL_ADDRESS, Command, LocalAddr, acc, compute_accumulated, compute_preloaded,
                    config_ex, config_ld, config_st, encode, format_named, loop_ws, mvin, mvout,
                    preload, sp, Program)
from .case import CaseBuilder, ProgramCase

__all__ = ["IllegalCase", "illegal_cases"]


@dataclass
class IllegalCase:
    name: str
    case: ProgramCase
    index: int
    funct: int
    cause: str
    remainder: ProgramCase
    golden_rejects: bool = True


def _raw(funct: int, rs1: int = 0, rs2: int = 0) -> Command:
    return Command(funct, rs1, rs2)


def _reserved(name: str, field: str) -> int:
    """rs1 with the lowest bit of reserved field `field` of command `name` set (from the table)."""
    return format_named(name).rs1[field].put(1)


def _offenders(cfg: GemminiConfig) -> list[tuple[str, Command | str, str]]:
    """(name, illegal command, expected cause).  A string command names a sequence case that the
    builder assembles specially."""
    d, rows = cfg.dim, cfg.sp_rows
    ex = config_ex("OS" if cfg.has_os else "WS")
    out: list[tuple[str, Command | str, str]] = [
        ("unknown_funct", _raw(50, 1, 2), "UNKNOWN_FUNCT"),
        ("rtl_only_funct", _raw(23), "UNKNOWN_FUNCT"),
        ("loop_ws", loop_ws(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, d, d, d, d)[-1], "UNSUPPORTED"),
        ("loop_ws_config", loop_ws(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, d, d, d, d)[0], "UNSUPPORTED"),
        ("loop_conv_ws", _raw(15), "UNSUPPORTED"),
        ("loop_conv_ws_config", _raw(18, 1, 1), "UNSUPPORTED"),
        ("reserved_bits", Command(ex.funct, ex.rs1 | _reserved("config_ex", "reserved_6_5"),
                                  ex.rs2), "RESERVED_BITS"),
        ("mvin_too_many_rows", mvin(0, sp(0), d, d + 1), "BAD_SIZE"),
        ("mvin_zero_rows", mvin(0, sp(0), d, 0), "BAD_SIZE"),
        ("mvout_too_many_cols", mvout(0x1000, sp(0), d * cfg.max_block_len + 1, 1), "BAD_SIZE"),
        ("compute_too_many_rows", "compute_rows", "BAD_SIZE"),
        ("mvin_garbage", mvin(0, LocalAddr(GARBAGE), d, 1), "BAD_ADDRESS"),
        ("mvin_past_end", mvin(0, sp(rows), d, 1), "BAD_ADDRESS"),
        ("mvout_norm_cmd", mvout(0x1000, LocalAddr(acc(0) | LOCAL_ADDRESS["norm_cmd"].put(1)), d,
                                 1), "BAD_ADDRESS"),
        ("operand_from_acc", "operand_acc", "BAD_ADDRESS"),
        ("config_ld_state_3", config_ld(d, block_stride=d, id=3), "BAD_CONFIG"),
        ("config_st_pool_size_only", config_st(d, pool_size=2), "BAD_CONFIG"),
        ("config_st_layernorm", config_st(d, act=2), "BAD_CONFIG"),
        ("in_shift_too_big", config_ex("OS" if cfg.has_os else "WS", in_shift=cfg.acc_bits),
         "BAD_CONFIG"),
        ("counter_event", encode("counter", index=0, configure=1, event=45), "BAD_COUNTER"),
        ("compute_without_preload", "no_preload", "SEQUENCE"),
        ("accumulated_after_config_ex", "accumulated_first", "SEQUENCE"),
        ("mvin_rows_over_block_stride", "block_stride", "SEQUENCE"),
    ]
    if cfg.num_counters < 8:           # the index field has 3 bits: with 8 counters all are fine
        out.append(("counter_index", encode("counter", index=cfg.num_counters), "BAD_COUNTER"))
    if cfg.mvin_scale == "fp32":
        out.append(("config_ld_nan_scale", config_ld(d, float("nan"), block_stride=d),
                    "BAD_CONFIG"))
    out.append(("os_transposes_b_only", config_ex("OS", b_transpose=True), "BAD_CONFIG")
               if cfg.has_os else ("ws_transposes_both", config_ex("WS", a_transpose=True,
                                                                     b_transpose=True),
                                   "BAD_CONFIG"))
    if not (cfg.has_os and cfg.has_ws):
        missing = "WS" if cfg.has_os else "OS"
        out.append((f"missing_dataflow_{missing.lower()}", config_ex(missing), "MISSING_FEATURE"))
    if not cfg.acc_read_full_width:
        out.append(("missing_full_width", mvout(0x1000, acc(0, read_full=True), d, 1),
                    "MISSING_FEATURE"))
    if not cfg.has_max_pool:
        out.append(("missing_pooling", config_st(d, pool_stride=1, pool_size=1, porows=1,
                                                 pocols=1, orows=1, ocols=1), "MISSING_FEATURE"))
    return out


def _sequence(cfg: GemminiConfig, kind: str) -> tuple[list[Command], list[Command], Command]:
    """(commands before, commands after, the offender) of a sequence or operand case."""
    d = cfg.dim
    df = "WS" if cfg.has_ws else "OS"
    x = GARBAGE if df == "WS" else sp(d)
    good = [preload(sp(d), acc(0), d, d, d, d), compute_preloaded(sp(0), x, d, d, d, d)]
    if kind == "no_preload":
        return [config_ex(df)] + good, [], compute_preloaded(sp(0), x, d, d, d, d)
    if kind == "accumulated_first":
        return [config_ex(df), preload(sp(d), acc(d), d, d, d, d)], good, \
            compute_accumulated(sp(0), x, d, d, d, d)
    if kind == "compute_rows":
        return [config_ex(df), preload(sp(d), acc(d), d, d, d, d)], good, \
            compute_preloaded(sp(0), x, d, d + 1, d, d)
    if kind == "operand_acc":
        return [config_ex(df), preload(sp(d), acc(d), d, d, d, d)], good, \
            compute_preloaded(acc(0), x, d, d, d, d)
    return [config_ld(d, block_stride=d // 2)], [config_ld(d, block_stride=d)], \
        mvin(0, sp(0), d, d // 2 + 1)


def illegal_cases(cfg: GemminiConfig, seed: int = 0) -> list[IllegalCase]:
    """One `IllegalCase` per kind of illegal command that applies to `cfg`."""
    d, es = cfg.dim, cfg.input_bytes
    out = []
    for name, offender, cause in _offenders(cfg):
        b = CaseBuilder(cfg, f"illegal_{name}", seed)
        src = b.data("A", b.rng.integers(-100, 100, (2 * d, d)).astype(f"int{cfg.input_bits}"))
        dst = b.space("C", 2 * d * d * es)
        head = [config_ld(d * es, block_stride=d), config_st(d * es),
                mvin(src, sp(0), d, d), mvin(src + d * d * es, sp(d), d, d)]
        tail = [mvout(dst, sp(0), d, d)]
        before, after = [], []
        if isinstance(offender, str):
            before, after, offender = _sequence(cfg, offender)
        tail = after + tail + [mvout(dst + d * d * es, sp(d), d, d)]
        b.add(head + before + tail)
        remainder = b.case()
        # The offender goes into the finished remainder, so both share one read-back layout.
        index = len(head) + len(before)
        commands = list(remainder.program.commands)
        commands.insert(index, offender)
        program = Program(commands, remainder.memory.regions, name=b.name)
        case = ProgramCase(b.name, program, remainder.memory, [], remainder.readback,
                           remainder.readback_region)
        out.append(IllegalCase(name, case, index, offender.funct, cause, remainder,
                               golden_rejects=name != "loop_ws_config"))
    return out

