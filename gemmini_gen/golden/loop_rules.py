"""LOOP_WS well-formedness rules that depend on machine state and on earlier loops (ISA.md 8).

`isa.loops.check_loop_ws` checks what a loop's own registers decide (rule 4, capacity, operand
presence).  This module checks the rest before each LOOP_WS:

1. CONFIG_EX: WS, a_stride = c_stride = 1, transposes equal to the loop's.
2. Load/store states match the loop's strides (row pitch comes from them), pixel_repeats 1,
   block_stride DIM, no pooling.
3. All five LOOP_WS_CONFIG commands were issued since the previous LOOP_WS.
5. A == 0 / B == 0 reuses an operand a previous loop loaded with the same spad id and shape, and no
   loop or explicit command since wrote over those rows (under any placement the hardware may pick:
   spad-id-0 operands may sit in either scratchpad half).
6. ex_accumulate with D == 0 continues the previous loop, which had C == 0 and the same I, J.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa.loops import CONFIG_COMMANDS, LoopWsRegisters

if TYPE_CHECKING:
    from ..config import GemminiConfig
    from .state import GoldenState

__all__ = ["LoopWsRules"]

_WS = 1


class LoopWsRules:
    """History needed by rules 3, 5 and 6; `check` lists the rules a loop breaks and `finished`
    records a loop once it has run."""

    def __init__(self, config: "GemminiConfig") -> None:
        self.config = config
        self.configs_seen: set[str] = set()
        # operand ("a"/"b") -> spad id -> (shape key, (first row, end row))
        self.reusable: dict[str, dict[int, tuple[tuple, tuple[int, int]]]] = {"a": {}, "b": {}}
        self.previous: tuple[int, int, bool, bool] | None = None     # I, J, stored C, resadd

    def config_written(self, name: str) -> None:
        self.configs_seen.add(name)

    def sp_written(self, lo: int, hi: int) -> None:
        """An explicit command wrote scratchpad rows [lo, hi): forget operands stored there."""
        for records in self.reusable.values():
            for sid, (_, (first, end)) in list(records.items()):
                if lo < end and first < hi:
                    del records[sid]

    @property
    def has_reusable(self) -> bool:
        return bool(self.reusable["a"] or self.reusable["b"])

    # ------------------------------------------------------------------------------------------
    def check(self, state: "GoldenState", regs: LoopWsRegisters, loop) -> list[tuple[str, str]]:
        """The violated rules as (field, message) pairs (empty when the loop is well formed)."""
        cfg = self.config
        problems: list[tuple[str, str]] = []
        missing = [n for n in CONFIG_COMMANDS if n not in self.configs_seen]
        if missing:
            problems.append(("funct", f"{', '.join(missing)} not issued since the previous "
                                      f"LOOP_WS (rule 3)"))
        es, acc_bytes = cfg.input_bytes, cfg.acc_bytes
        ld, st, ex = state.ld, state.st, state.ex
        csz = acc_bytes if loop.full_c else es
        for sid, cfg_ld in enumerate(ld):
            if cfg_ld.pixel_repeats != 1 or cfg_ld.block_stride != cfg.dim:
                problems.append(("config_ld", f"load state {sid} needs pixel_repeats 1 and "
                                              f"block_stride DIM (rule 2)"))
        if regs.c and st.stride != regs.c_stride * csz:
            problems.append(("config_st", f"store stride {st.stride} != C_stride*{csz} "
                                          f"({regs.c_stride * csz}) (rule 2)"))
        if st.pool_stride:
            problems.append(("config_st", "pooling must be off (rule 2)"))
        if loop.is_resadd:
            for sid, stride in ((0, regs.a_stride), (1, regs.b_stride)):
                if ld[sid].stride != stride * es or not ld[sid].shrunk:
                    problems.append(("config_ld", f"load state {sid} needs stride "
                                                  f"{stride * es} and shrunk = 1 for resadd "
                                                  f"(rule 2)"))
            return problems
        if (ex.dataflow != _WS or ex.a_stride != 1 or ex.c_stride != 1
                or ex.a_transpose != loop.a_transpose or ex.b_transpose != loop.b_transpose):
            problems.append(("config_ex", "needs WS, a_stride = c_stride = 1 and the loop's "
                                          "transposes (rule 1)"))
        dsz = es if loop.low_d else acc_bytes
        operands = ((0, regs.a, regs.a_stride * es), (1, regs.b, regs.b_stride * es),
                    (2, regs.d, regs.d_stride * dsz))
        for sid, addr, expected in operands:
            if addr and ld[sid].stride != expected:
                problems.append(("config_ld", f"load state {sid} stride {ld[sid].stride} != "
                                              f"{expected} (rule 2)"))
        if regs.d and ld[2].shrunk != loop.low_d:
            problems.append(("config_ld", "load state 2 shrunk must equal low_D (rule 2)"))
        for name, addr, sid, key in (("a", regs.a, loop.a_spad_id, self._key("a", regs, loop)),
                                     ("b", regs.b, loop.b_spad_id, self._key("b", regs, loop))):
            if addr == 0 and self.reusable[name].get(sid, (None,))[0] != key:
                problems.append((name, f"{name.upper()} = 0 but no earlier loop left a "
                                       f"{name.upper()} of this shape in spad id {sid} (rule 5)"))
        if loop.ex_accumulate and regs.d == 0:
            prev = self.previous
            if prev is None or prev[3] or prev[2] or prev[:2] != (regs.i, regs.j):
                problems.append(("ex_accumulate", "continues partial sums, but the previous "
                                                  "LOOP_WS did not leave them (same I, J, C = 0) "
                                                  "(rule 6)"))
        return problems

    def _key(self, name: str, regs: LoopWsRegisters, loop) -> tuple:
        if name == "a":
            return regs.i, regs.k, bool(loop.a_transpose)
        return regs.k, regs.j, bool(loop.b_transpose)

    def finished(self, regs: LoopWsRegisters, loop) -> None:
        """Record what a completed loop loaded (for reuse) and what it left in the accumulator."""
        self.configs_seen.clear()
        self.previous = (regs.i, regs.j, regs.c != 0, bool(loop.is_resadd))
        if loop.is_resadd:
            return
        cfg = self.config
        half = cfg.sp_rows // 2
        a_rows = regs.i * regs.k * cfg.dim
        b_rows = regs.k * regs.j * cfg.dim
        a0 = half if loop.a_spad_id == 2 else 0
        b0 = (cfg.sp_rows if loop.b_spad_id == 2 else half) - b_rows
        loads = [("a", regs.a, loop.a_spad_id, a0, a_rows),
                 ("b", regs.b, loop.b_spad_id, b0, b_rows)]
        for name, addr, sid, first, count in loads:
            if not addr:
                continue
            self.sp_written(first, first + count)
            if sid == 0:            # the hardware may have put it in the other half
                other = first + half if first < half else first - half
                self.sp_written(other, other + count)
        for name, addr, sid, first, count in loads:
            if addr and sid:
                self.reusable[name][sid] = (self._key(name, regs, loop), (first, first + count))
