"""LOOP_WS: its registers and its canonical expansion into explicit commands (ISA.md section 8).

The expansion *is* the definition of LOOP_WS: the golden model executes exactly these commands,
and a compiler may emit them instead of the LOOP_WS.  `expand_loop_ws` also checks the
well-formedness rules that depend only on the loop's own registers (rule 4, the capacity check,
the operand rules of 5 and 6 that need no history); the rules about the machine state and about
earlier loops live in the golden model.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from .command import GARBAGE, Command
from .encoders import (
    compute_accumulated, compute_preloaded, mvin, mvin2, mvin3, mvout, preload,
)
from .errors import IllegalInstruction

if TYPE_CHECKING:
    from ..config import GemminiConfig
    from .decoder import Instruction

__all__ = ["CONFIG_COMMANDS", "LoopWsRegisters", "check_loop_ws", "expand_loop_ws"]

CONFIG_COMMANDS = ("loop_ws_config_bounds", "loop_ws_config_addrs_ab", "loop_ws_config_addrs_dc",
                   "loop_ws_config_strides_ab", "loop_ws_config_strides_dc")

_ACC = 0x8000_0000          # accumulator row 0, overwrite
_ACC_ADD = 0xC000_0000      # accumulator row 0, accumulate
_READ_FULL = 1 << 29
_ACCUMULATE = 1 << 30


@dataclass
class LoopWsRegisters:
    """The loop unit's registers, written by the five LOOP_WS_CONFIG commands (reset: all 0)."""

    i: int = 0
    j: int = 0
    k: int = 0
    pad_i: int = 0
    pad_j: int = 0
    pad_k: int = 0
    a: int = 0
    b: int = 0
    d: int = 0
    c: int = 0
    a_stride: int = 0
    b_stride: int = 0
    d_stride: int = 0
    c_stride: int = 0

    def update(self, inst: "Instruction") -> None:
        """Install the fields of a decoded LOOP_WS_CONFIG_* command."""
        for f in fields(self):
            if hasattr(inst, f.name):
                setattr(self, f.name, getattr(inst, f.name))


def _fail(field: str, message: str) -> None:
    raise IllegalInstruction(None, field, message, "loop_ws")


def check_loop_ws(regs: LoopWsRegisters, loop: "Instruction", cfg: "GemminiConfig") -> None:
    """Rule 4, the capacity check and the register-only parts of rules 5 and 6."""
    dim = cfg.dim
    if not 1 <= regs.i or not 1 <= regs.j:
        _fail("i/j", f"I and J must be at least 1 (got I={regs.i}, J={regs.j})")
    if loop.is_resadd:
        if regs.a == 0 or regs.b == 0:
            _fail("a/b", "a residual add needs both A and B addresses")
        if regs.i * regs.j * dim > cfg.acc_rows // 2:
            _fail("i/j", f"I*J*DIM = {regs.i * regs.j * dim} rows exceed half the accumulator "
                         f"({cfg.acc_rows // 2})")
        return
    if regs.k < 1:
        _fail("k", "K must be at least 1 (K = 0 only with is_resadd)")
    sp_rows = (regs.i * regs.k + regs.k * regs.j) * dim
    if sp_rows > cfg.sp_rows // 2:
        _fail("i/j/k", f"(I*K + K*J)*DIM = {sp_rows} rows exceed half the scratchpad "
                       f"({cfg.sp_rows // 2})")
    if regs.i * regs.j * dim > cfg.acc_rows // 2:
        _fail("i/j", f"I*J*DIM = {regs.i * regs.j * dim} rows exceed half the accumulator "
                     f"({cfg.acc_rows // 2})")
    if regs.a == 0 and loop.a_spad_id == 0:
        _fail("a", "A = 0 (reuse) needs a_spad_id 1 or 2")
    if regs.b == 0 and loop.b_spad_id == 0:
        _fail("b", "B = 0 (reuse) needs b_spad_id 1 or 2")
    if regs.d != 0 and not loop.ex_accumulate:
        _fail("ex_accumulate", "a bias (D != 0) needs ex_accumulate = 1")


def expand_loop_ws(regs: LoopWsRegisters, loop: "Instruction",
                   cfg: "GemminiConfig") -> list[Command]:
    """The explicit commands LOOP_WS stands for, with the canonical scratchpad/accumulator
    addresses.  Raises `IllegalInstruction` (index None) for a loop breaking rules 4-6."""
    check_loop_ws(regs, loop, cfg)
    try:
        return _expand(regs, loop, cfg)
    except IllegalInstruction:
        raise
    except ValueError as e:          # a tile address beyond 64 bits
        raise IllegalInstruction(None, "a/b/c/d", f"tile address out of range: {e}",
                                 "loop_ws") from None


def _expand(regs: LoopWsRegisters, loop: "Instruction", cfg: "GemminiConfig") -> list[Command]:
    dim, es, acc_bytes = cfg.dim, cfg.input_bytes, cfg.acc_bytes
    I, J, K = regs.i, regs.j, regs.k

    def ri(i: int) -> int:
        return dim - (regs.pad_i if i == I - 1 else 0)

    def cj(j: int) -> int:
        return dim - (regs.pad_j if j == J - 1 else 0)

    def kk(k: int) -> int:
        return dim - (regs.pad_k if k == K - 1 else 0)

    dsz = es if loop.low_d else acc_bytes
    csz = acc_bytes if loop.full_c else es
    c0 = _ACC_ADD | (_READ_FULL if loop.full_c else 0)
    out: list[Command] = []
    emit = out.append

    if loop.is_resadd:
        for i in range(I):
            for j in range(J):
                o = (i * J + j) * dim
                emit(mvin(regs.a + (i * regs.a_stride + j) * dim * es, _ACC + o, cj(j), ri(i)))
                emit(mvin2(regs.b + (i * regs.b_stride + j) * dim * es, _ACC_ADD + o, cj(j), ri(i)))
                if regs.c:
                    emit(mvout(regs.c + (i * regs.c_stride + j) * dim * csz, c0 + o, cj(j), ri(i)))
        return out

    half_sp = cfg.sp_rows // 2
    a0 = half_sp if loop.a_spad_id == 2 else 0
    b0 = (cfg.sp_rows if loop.b_spad_id == 2 else half_sp) - K * J * dim
    if regs.d:
        for i in range(I):
            for j in range(J):
                emit(mvin3(regs.d + (i * regs.d_stride + j) * dim * dsz, _ACC + (i * J + j) * dim,
                           cj(j), ri(i)))
    for k in range(K):
        for j in range(J):
            for i in range(I):
                a_sp = a0 + ((k * I + i) if loop.a_transpose else (i * K + k)) * dim
                b_sp = b0 + ((j * K + k) if loop.b_transpose else (k * J + j)) * dim
                c_sp = c0 + (i * J + j) * dim
                if j == 0 and regs.a:
                    if loop.a_transpose:
                        emit(mvin(regs.a + (k * regs.a_stride + i) * dim * es, a_sp, ri(i), kk(k)))
                    else:
                        emit(mvin(regs.a + (i * regs.a_stride + k) * dim * es, a_sp, kk(k), ri(i)))
                if i == 0 and regs.b:
                    if loop.b_transpose:
                        emit(mvin2(regs.b + (j * regs.b_stride + k) * dim * es, b_sp, kk(k), cj(j)))
                    else:
                        emit(mvin2(regs.b + (k * regs.b_stride + j) * dim * es, b_sp, cj(j), kk(k)))
                target = c_sp if (loop.ex_accumulate or k > 0) else c_sp & ~_ACCUMULATE
                emit(preload(b_sp if i == 0 else GARBAGE, target, cj(j), kk(k), cj(j), ri(i)))
                compute = compute_preloaded if i == 0 else compute_accumulated
                emit(compute(a_sp, GARBAGE, kk(k), ri(i), dim, dim))
                if regs.c and k == K - 1:
                    emit(mvout(regs.c + (i * regs.c_stride + j) * dim * csz, c_sp, cj(j), ri(i)))
    return out
