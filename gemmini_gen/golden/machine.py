"""`GoldenMachine`: executes programs in program order with the exact semantics of ISA.md (the Spike
column of section 12), on numpy state.

```python
machine = GoldenMachine(cfg)
machine.execute(program, memory)      # memory (holding the program's regions) is updated in place
machine.state.acc[:16]                # scratchpad / accumulator / PEs stay inspectable
machine.stats.instructions            # ExecStats
machine.responses                     # COUNTER responses
```
State persists across `execute` calls (like the accelerator between host submissions).  Every
illegal or undefined operation the model can detect raises `IllegalInstruction` naming the command
index and the field; DRAM accesses outside the program's regions name the address.
"""

from __future__ import annotations

from ..backend import ExecStats
from ..config import GemminiConfig
from ..isa import Command, IllegalInstruction, Program, decode, expand_loop_ws
from ..memory import Memory
from .counters import CounterUnit
from .dram import Dram, DramAccessError
from .loop_rules import LoopWsRules
from .matmul import execute_compute, execute_preload
from .movement import execute_mvin, execute_mvout
from .state import GoldenState, LoadConfig, StoreConfig

__all__ = ["GoldenMachine"]


class GoldenMachine:
    """One accelerator's architectural state plus the bookkeeping the legality rules need."""

    def __init__(self, config: GemminiConfig) -> None:
        self.config = config
        # Derived sizes used on every command (config properties recompute them).
        self.dim, self.sp_rows, self.acc_bits = config.dim, config.sp_rows, config.acc_bits
        self.has_dataflow = (config.has_os, config.has_ws)      # indexed by 0 OS / 1 WS
        self.state = GoldenState(config)
        self.stats = ExecStats()
        self.counters = CounterUnit(config.num_counters)
        self.responses: list[int] = []
        self.loop_rules = LoopWsRules(config)
        self.preload_pending = False     # a PRELOAD waits for its COMPUTE
        self.after_config_ex = False     # no compute since the last CONFIG_EX
        self.pe_undefined = False        # OS sums include a GARBAGE A
        self.weight_shape = (0, 0)       # WS: rows x cols of the installed weights
        self.os_c_written_at: tuple[int, str] | None = None   # last compute if it wrote C in OS
        self._decoded: dict[Command, object] = {}
        self._dram: Dram | None = None
        self._in_loop = False
        self._handlers = {
            "config_ex": self._config_ex, "config_ld": self._config_ld,
            "config_st": self._config_st, "config_norm": _nothing,
            "mvin": lambda i, inst: execute_mvin(self, i, inst, 0),
            "mvin2": lambda i, inst: execute_mvin(self, i, inst, 1),
            "mvin3": lambda i, inst: execute_mvin(self, i, inst, 2),
            "mvout": lambda i, inst: execute_mvout(self, i, inst),
            "preload": lambda i, inst: execute_preload(self, i, inst),
            "compute_preloaded": lambda i, inst: execute_compute(self, i, inst, True),
            "compute_accumulated": lambda i, inst: execute_compute(self, i, inst, False),
            "flush": _nothing, "fence": _nothing,
            "loop_ws": self._loop_ws, "counter": self._counter,
            **{name: self._loop_config for name in (
                "loop_ws_config_bounds", "loop_ws_config_addrs_ab", "loop_ws_config_addrs_dc",
                "loop_ws_config_strides_ab", "loop_ws_config_strides_dc")},
        }

    # ------------------------------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------------------------------
    def execute(self, program: Program, memory: Memory) -> None:
        """Run every command of `program` against `memory` (updated in place)."""
        program.check_memory(memory)
        self._dram = Dram(memory, program.regions)
        try:
            for index, cmd in enumerate(program.commands):
                self._step(index, cmd)
        finally:
            self._dram = None

    def _step(self, index: int, cmd: Command) -> None:
        inst = self._decoded.get(cmd)
        if inst is None:
            inst = decode(cmd, self.config, index)       # static checks; raises if illegal
            self._decoded[cmd] = inst
        name = inst.name
        counting = self.counters.active and name != "counter"
        if counting:
            before = (self.stats.dram_bytes_read, self.stats.dram_bytes_written)
        self._handlers[name](index, inst)
        instructions = self.stats.instructions
        instructions[name] = instructions.get(name, 0) + 1
        if counting:
            kind = "mvout_pooled" if name == "mvout" and self.state.st.pool_stride else name
            self.counters.count(kind, self.stats.dram_bytes_read - before[0],
                                self.stats.dram_bytes_written - before[1])

    # ------------------------------------------------------------------------------------------
    # Services for the instruction modules
    # ------------------------------------------------------------------------------------------
    def fail(self, index: int, inst, field: str, message: str) -> None:
        raise IllegalInstruction(index, field, message, inst.name)

    def dram_read(self, index: int, inst, addr: int, rows: int, stride: int, row_bytes: int):
        try:
            data = self._dram.read(addr, rows, stride, row_bytes)
        except DramAccessError as e:
            self.fail(index, inst, "dram", str(e))
        self.stats.dram_bytes_read += rows * row_bytes
        return data

    def dram_write(self, index: int, inst, addr: int, data, stride: int) -> None:
        try:
            self._dram.write(addr, data, stride)
        except DramAccessError as e:
            self.fail(index, inst, "dram", str(e))
        self.stats.dram_bytes_written += data.size

    def dram_scatter(self, index: int, inst, addr: int, offsets, data) -> None:
        try:
            self._dram.scatter(addr, offsets, data)
        except DramAccessError as e:
            self.fail(index, inst, "dram", str(e))
        self.stats.dram_bytes_written += data.size

    def pending_preload_overlaps(self, to_acc: bool, lo: int, hi: int) -> bool:
        """Whether local rows [lo, hi) of one memory meet the rows the pending PRELOAD names."""
        if not self.preload_pending:
            return False
        latch, ex = self.state.latch, self.state.ex
        ranges = []
        if not latch.bd.is_garbage and not to_acc:
            transposed = ex.dataflow == 1 and ex.b_transpose
            ranges.append((latch.bd.row, latch.bd_cols if transposed else latch.bd_rows, 1))
        if not latch.c.is_garbage and latch.c.is_acc == to_acc:
            ranges.append((latch.c.row, latch.c_rows, ex.c_stride))
        for first, count, stride in ranges:
            if count and lo <= first + stride * (count - 1) and first < hi:
                return True
        return False

    def note_sp_write(self, lo: int, hi: int) -> None:
        """An explicit command wrote scratchpad rows [lo, hi) (LOOP_WS operand reuse tracking)."""
        if not self._in_loop and self.loop_rules.has_reusable:
            self.loop_rules.sp_written(lo, hi)

    # ------------------------------------------------------------------------------------------
    # Configuration, loops, counters
    # ------------------------------------------------------------------------------------------
    def _config_ex(self, index: int, inst) -> None:
        ex = self.state.ex
        if not inst.set_only_strides:
            ex.dataflow, ex.act, ex.in_shift = inst.dataflow, inst.act, inst.in_shift
            ex.acc_scale = inst.acc_scale
            ex.a_transpose, ex.b_transpose = inst.a_transpose, inst.b_transpose
        ex.a_stride, ex.c_stride = inst.a_stride, inst.c_stride
        self.after_config_ex = True
        self.preload_pending = False

    def _config_ld(self, index: int, inst) -> None:
        self.state.ld[inst.id] = LoadConfig(stride=inst.stride, block_stride=inst.block_stride,
                                            scale=inst.scale, shrunk=inst.shrunk,
                                            pixel_repeats=inst.pixel_repeats or 1)

    def _config_st(self, index: int, inst) -> None:
        self.state.st = StoreConfig(
            stride=inst.stride, act=inst.act, scale=inst.scale, pool_stride=inst.pool_stride,
            pool_size=inst.pool_size, upad=inst.upad, lpad=inst.lpad,
            pool_out_dim=inst.pool_out_dim, porows=inst.porows, pocols=inst.pocols,
            orows=inst.orows, ocols=inst.ocols)

    def _loop_config(self, index: int, inst) -> None:
        self.state.loop.update(inst)
        self.loop_rules.config_written(inst.name)

    def _loop_ws(self, index: int, inst) -> None:
        regs = self.state.loop
        problems = self.loop_rules.check(self.state, regs, inst)
        if problems:
            raise IllegalInstruction(index, *problems[0], "loop_ws")
        try:
            commands = expand_loop_ws(regs, inst, self.config)
        except IllegalInstruction as e:
            raise e.at(index) from None
        self._in_loop = True
        step = 0
        try:
            for step, cmd in enumerate(commands):
                self._step(index, cmd)
        except IllegalInstruction as e:
            raise IllegalInstruction(index, e.field, f"{e.message} (LOOP_WS expansion step "
                                                     f"{step}: {e.name})", "loop_ws") from None
        finally:
            self._in_loop = False
        self.loop_rules.finished(regs, inst)

    def _counter(self, index: int, inst) -> None:
        self.responses.append(self.counters.execute(inst))


def _nothing(index: int, inst) -> None:
    """FLUSH, FENCE and (without normalization units) CONFIG_NORM have no effect."""
