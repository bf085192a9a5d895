"""The accelerator's instruction set (ISA.md): one bit-layout table and everything derived from it.

* `table`      the declarative layouts of every command and of the local address
* `encoders`   encoders named after Gemmini's C macros (`mvin`, `preload`, `config_ex`, ...)
* `decoder`    `decode(cmd, cfg)` -> typed record, with static legality checks
* `program`    `Program`: commands + regions, text (assembly) and binary forms
* `loops`      LOOP_WS registers and its canonical expansion
"""

from .command import GARBAGE, Command, LocalAddr, acc, sp
from .decoder import RECORD_TYPES, Instruction, decode
from .encoders import (
    compute_accumulated, compute_preloaded, config_ex, config_ld, config_norm, config_st,
    counter_configure, counter_read, counter_reset, counter_snapshot_reset, counter_snapshot_take,
    encode, fence, flush, loop_ws, mvin, mvin2, mvin3, mvout, preload, preload_zeros,
)
from .errors import IllegalInstruction
from .layout import Field, Format, Kind, Layout
from .loops import LoopWsRegisters, expand_loop_ws
from .program import Program
from .table import FORMATS, LOCAL_ADDRESS, format_named, format_of, local_address_layout
from .text import AssemblyError, format_command
from .binary import ProgramFormatError

__all__ = [
    "AssemblyError", "Command", "FORMATS", "Field", "Format", "GARBAGE", "IllegalInstruction",
    "Instruction", "Kind", "LOCAL_ADDRESS", "Layout", "LocalAddr", "LoopWsRegisters", "Program",
    "ProgramFormatError", "RECORD_TYPES", "acc", "compute_accumulated", "compute_preloaded",
    "config_ex", "config_ld", "config_norm", "config_st", "counter_configure", "counter_read",
    "counter_reset", "counter_snapshot_reset", "counter_snapshot_take", "decode", "encode",
    "expand_loop_ws", "fence", "flush", "format_command", "format_named", "format_of",
    "local_address_layout", "loop_ws", "mvin", "mvin2", "mvin3", "mvout", "preload",
    "preload_zeros", "sp",
]
