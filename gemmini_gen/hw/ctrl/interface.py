"""The port layouts of `Accelerator` (docs/accelerator.md): what the harness and the backend code
against.

* `COMMAND_LAYOUT`: one command on the ``cmd`` stream, the RoCC payload of ISA.md section 2.
* `ERROR_LAYOUT`: what ``error_info`` holds once the sticky ``error`` flag is set: the ordinal of the
  first offending command among all accepted commands (0-based, COUNTER/FENCE/FLUSH included), its
  funct and an `ErrorCause`.
* `STATUS_LAYOUT`: one busy bit per unit (`STATUS_UNITS` names them, in order, with what each
  means) plus ``progress``, a one-cycle pulse whenever the machine moves: a command was accepted,
  a row was read/written/fed, a DMA beat moved.  A watchdog that sees no ``progress`` for long while
  work is outstanding reports the units whose busy bits are set.
"""

from __future__ import annotations

from amaranth.lib import data, enum

__all__ = ["COMMAND_LAYOUT", "ERROR_LAYOUT", "ErrorCause", "STATUS_LAYOUT", "STATUS_UNITS",
           "RESPONSE_BITS"]

#: One command: funct7 and the two 64-bit source operands.
COMMAND_LAYOUT = data.StructLayout({"funct": 7, "rs1": 64, "rs2": 64})

#: Width of one response (the value of a counter).
RESPONSE_BITS = 64


class ErrorCause(enum.Enum, shape=4):
    """Why a command was rejected (dropped without effect)."""

    NONE = 0              # no error seen
    UNKNOWN_FUNCT = 1     # funct7 is not in the ISA table (including Gemmini's RTL-only 22..25)
    UNSUPPORTED = 2       # in the table but not implemented here: LOOP_WS, LOOP_CONV_WS and
                          # their config functs (the software expands LOOP_WS)
    RESERVED_BITS = 3     # a reserved field is not zero
    BAD_SIZE = 4          # a rows/cols field is outside its legal range (ISA section 7)
    BAD_ADDRESS = 5       # a local address: GARBAGE where not allowed, wrong memory, garbage
                          # bits set, norm_cmd set, or rows past the end of the memory
    BAD_CONFIG = 6        # a CONFIG field value is illegal (transposes, in_shift, load state 3,
                          # pixel repeats, block stride, non-finite scale, activation, pooling)
    MISSING_FEATURE = 7   # the design point lacks what the command asks for (a dataflow,
                          # pooling, pixel repeats, full/small-width accumulator reads, RELU)
    SEQUENCE = 8          # breaks a rule that depends on earlier commands: COMPUTE without its
                          # PRELOAD, COMPUTE_ACCUMULATED right after CONFIG_EX, MVIN block stride
                          # below its rows, pixel repeats into the accumulator or past DIM columns
    BAD_COUNTER = 9       # counter index or event id out of range


#: What `error_info` reports.
ERROR_LAYOUT = data.StructLayout({"index": 32, "funct": 7, "cause": ErrorCause})

#: (busy bit, meaning) in layout order; the watchdog names these when the machine is stuck.
STATUS_UNITS = (
    ("frontend", "a command is held in the front end (decoding, waiting for a queue, or a FENCE "
                 "waiting for idle)"),
    ("rs", "the reservation station holds commands not yet completed"),
    ("load", "the load controller is executing a MVIN"),
    ("execute", "the execute controller is reading operands, feeding the array or writing C"),
    ("store", "the store controller is executing a MVOUT"),
    ("dma_read", "the read DMA has requests in flight"),
    ("dma_write", "the write DMA has requests not yet acknowledged by the bus"),
)

#: Per-unit busy bits plus the `progress` pulse.
STATUS_LAYOUT = data.StructLayout({**{name: 1 for name, _ in STATUS_UNITS}, "progress": 1})
