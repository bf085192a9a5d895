"""Command decoder: which instruction a command is, and whether it is statically legal on this design
point (everything `gemmini_gen.isa.checks` rejects without machine state).

Every bit position comes from the ISA table (`gemmini_gen.isa.table`): `word_layout` turns a
register's `Layout` into an Amaranth `StructLayout` with the same fields at the same bits, and the
reserved-bit masks are collected from the table's RESERVED fields.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux
from amaranth.lib import data, enum, wiring
from amaranth.lib.wiring import In, Out

from ...config import GemminiConfig
from ...isa.layout import Kind, Layout
from ...isa.table import FORMATS, GARBAGE, format_named, local_address_layout
from .counters import NUM_EXTERNAL, NUM_INTERNAL
from .interface import COMMAND_LAYOUT, ErrorCause

__all__ = ["CommandDecoder", "CommandKind", "FUNCT", "local_layout", "rs_layouts", "word_layout"]

FP32_EXP_ALL_ONES = 0xFF     # exponent of Inf/NaN
#: funct7 of each instruction, from the table.
FUNCT = {f.name: f.funct for f in FORMATS}


class CommandKind(enum.Enum, shape=4):
    """What a command does in this accelerator."""

    UNKNOWN = 0          # not in the ISA table
    UNSUPPORTED = 1      # LOOP_WS / LOOP_CONV_WS and their configuration functs
    CONFIG_EX = 2
    CONFIG_LD = 3
    CONFIG_ST = 4
    CONFIG_NORM = 5      # no-op without normalization units
    MVIN = 6             # MVIN, MVIN2, MVIN3 (`load_state` says which)
    MVOUT = 7
    PRELOAD = 8
    COMPUTE = 9          # COMPUTE_PRELOADED (`flip`) or COMPUTE_ACCUMULATED
    FLUSH = 10
    COUNTER = 11
    FENCE = 12


#: The table's instruction name for each decodable kind (the reserved-bit masks come from it).
_KIND_FORMATS = {
    CommandKind.CONFIG_EX: ("config_ex",), CommandKind.CONFIG_LD: ("config_ld",),
    CommandKind.CONFIG_ST: ("config_st",), CommandKind.CONFIG_NORM: ("config_norm",),
    CommandKind.MVIN: ("mvin", "mvin2", "mvin3"), CommandKind.MVOUT: ("mvout",),
    CommandKind.PRELOAD: ("preload",),
    CommandKind.COMPUTE: ("compute_preloaded", "compute_accumulated"),
    CommandKind.FLUSH: ("flush",), CommandKind.COUNTER: ("counter",),
    CommandKind.FENCE: ("fence",),
}
_CONFIG_KINDS = (CommandKind.CONFIG_EX, CommandKind.CONFIG_LD, CommandKind.CONFIG_ST,
                 CommandKind.CONFIG_NORM)          # by CONFIG selector rs1[1:0]
_LOOP_FUNCTS = sorted({f.funct for f in FORMATS if f.queue == "loop"})
_TRANSPOSES = {0: ((0, 0), (1, 0), (1, 1)), 1: ((0, 0), (1, 0), (0, 1))}    # OS / WS (ISA 4.3)


def word_layout(layout: Layout) -> data.StructLayout:
    """A register layout of the ISA table as an Amaranth struct (fields in bit order)."""
    return data.StructLayout({name: width for name, _lsb, width in layout.spans()})


def local_layout(cfg: GemminiConfig) -> data.StructLayout:
    """The 32-bit local address as this design point decodes it."""
    return word_layout(local_address_layout(cfg.addr_bits))


def rs_layouts(name: str) -> tuple[data.StructLayout, data.StructLayout]:
    """(rs1, rs2) structs of instruction `name`."""
    fmt = format_named(name)
    return word_layout(fmt.rs1), word_layout(fmt.rs2)


def _reserved_mask(layout: Layout) -> int:
    mask = 0
    for f in layout:
        if f.kind is Kind.RESERVED:
            mask |= f.mask << f.lsb
    return mask


class CommandDecoder(wiring.Component):
    """Combinational: ``cmd`` -> ``kind``, ``load_state`` (MVIN 0 / MVIN2 1 / MVIN3 2), ``flip``
    (COMPUTE_PRELOADED), and ``illegal`` with its ``cause`` for the static checks of ISA.md
    (reserved bits, operand sizes, local addresses, CONFIG fields, features of the design point)."""

    def __init__(self, cfg: GemminiConfig):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        self.cfg = cfg
        super().__init__({
            "cmd": In(COMMAND_LAYOUT),
            "kind": Out(CommandKind),
            "load_state": Out(2),
            "flip": Out(1),
            "illegal": Out(1),
            "cause": Out(ErrorCause),
        })

    def elaborate(self, platform):
        m = Module()
        funct, rs1 = self.cmd.funct, self.cmd.rs1
        kind = self.kind
        with m.Switch(funct):
            with m.Case(FUNCT["config_ex"]):
                with m.Switch(rs1[:2]):
                    for sel, k in enumerate(_CONFIG_KINDS):
                        with m.Case(sel):
                            m.d.comb += kind.eq(k)
            for k, names in _KIND_FORMATS.items():
                if k not in _CONFIG_KINDS:
                    with m.Case(*sorted({FUNCT[n] for n in names})):
                        m.d.comb += kind.eq(k)
            with m.Case(*_LOOP_FUNCTS):
                m.d.comb += kind.eq(CommandKind.UNSUPPORTED)
            with m.Default():
                m.d.comb += kind.eq(CommandKind.UNKNOWN)
        m.d.comb += [
            self.load_state.eq((funct == FUNCT["mvin2"]) | ((funct == FUNCT["mvin3"]) << 1)),
            self.flip.eq(funct == FUNCT["compute_preloaded"]),
        ]

        # Per kind: the checks in order; the first violated one names the cause.
        with m.Switch(kind):
            with m.Case(CommandKind.UNSUPPORTED):
                m.d.comb += [self.illegal.eq(1), self.cause.eq(ErrorCause.UNSUPPORTED)]
            for k, names in _KIND_FORMATS.items():
                with m.Case(k):
                    checks = [(self._reserved(names), ErrorCause.RESERVED_BITS)]
                    checks += self._checks(k)
                    for violated, cause in reversed(checks):
                        with m.If(violated):
                            m.d.comb += [self.illegal.eq(1), self.cause.eq(cause)]
            with m.Default():            # CommandKind.UNKNOWN
                m.d.comb += [self.illegal.eq(1), self.cause.eq(ErrorCause.UNKNOWN_FUNCT)]
        return m

    # ------------------------------------------------------------------------------------------
    def _reserved(self, names):
        """Reserved bits of the instruction (MVIN/MVIN2/MVIN3 share their masks)."""
        fmt = format_named(names[0])
        cmd = self.cmd
        return (((cmd.rs1 & _reserved_mask(fmt.rs1)) != 0)
                | ((cmd.rs2 & _reserved_mask(fmt.rs2)) != 0))

    def _view(self, name: str, reg: int):
        r1, r2 = rs_layouts(name)
        return data.View(r1, self.cmd.rs1) if reg == 1 else data.View(r2, self.cmd.rs2)

    def _local(self, addr, *, garbage_ok: bool, acc_ok: bool):
        """Checks of a 32-bit local address (ISA.md section 3)."""
        cfg = self.cfg
        local = data.View(local_layout(cfg), addr)
        is_garbage = addr == GARBAGE
        row = addr[:26]                               # the row with the garbage bits above it
        too_far = Mux(local.acc, row >= cfg.acc_rows, row >= cfg.sp_rows)
        bad = ~is_garbage & ((local.norm_cmd != 0) | too_far)
        if not acc_ok:
            bad = bad | (~is_garbage & local.acc)
        if not garbage_ok:
            bad = bad | is_garbage
        return bad

    def _at_most(self, value, limit: int, low: int = 0):
        return (value > limit) | (value < low) if low else value > limit

    def _checks(self, kind: CommandKind) -> list:
        cfg = self.cfg
        if kind == CommandKind.CONFIG_EX:
            rs1, rs2 = self._view("config_ex", 1), self._view("config_ex", 2)
            pair_ok = Const(0)
            for df, pairs in _TRANSPOSES.items():
                for a_t, b_t in pairs:
                    pair_ok = pair_ok | ((rs1.dataflow == df) & (rs1.a_transpose == a_t)
                                         & (rs1.b_transpose == b_t))
            unavailable = Const(0)
            if not cfg.has_os:
                unavailable = rs1.dataflow == 0
            if not cfg.has_ws:
                unavailable = rs1.dataflow == 1
            return [(~rs1.set_only_strides & unavailable, ErrorCause.MISSING_FEATURE),
                    (~pair_ok, ErrorCause.BAD_CONFIG),
                    (rs2.in_shift >= cfg.acc_bits, ErrorCause.BAD_CONFIG)]
        if kind == CommandKind.CONFIG_LD:
            rs1 = self._view("config_ld", 1)
            checks = [(rs1.id == 3, ErrorCause.BAD_CONFIG)]
            if not cfg.has_first_layer_optimizations:
                checks.append((rs1.pixel_repeats > 1, ErrorCause.MISSING_FEATURE))
            checks.append((rs1.pixel_repeats > cfg.dim, ErrorCause.BAD_CONFIG))
            # (Skipped when every value of the field fits: a constant comparison, CMPCONST.)
            stride_bits = min(16, cfg.addr_bits)
            if stride_bits < len(rs1.block_stride):
                checks.append((rs1.block_stride > (1 << stride_bits) - 1, ErrorCause.BAD_CONFIG))
            if cfg.mvin_scale == "fp32":
                checks.append((rs1.scale[23:31] == FP32_EXP_ALL_ONES, ErrorCause.BAD_CONFIG))
            return checks
        if kind == CommandKind.CONFIG_ST:
            rs1, rs2 = self._view("config_st", 1), self._view("config_st", 2)
            checks = [(rs1.act >= 2, ErrorCause.BAD_CONFIG)]
            if not cfg.has_nonlinear_activations:
                checks.append((rs1.act == 1, ErrorCause.MISSING_FEATURE))
            checks.append(((rs1.pool_stride == 0) & (rs1.pool_size != 0), ErrorCause.BAD_CONFIG))
            if not cfg.has_max_pool:
                checks.append((rs1.pool_stride != 0, ErrorCause.MISSING_FEATURE))
            checks.append((rs2.scale == 0xFFFF_FFFF, ErrorCause.BAD_CONFIG))
            if cfg.acc_scale == "fp32":
                checks.append((rs2.scale[23:31] == FP32_EXP_ALL_ONES, ErrorCause.BAD_CONFIG))
            return checks
        if kind in (CommandKind.MVIN, CommandKind.MVOUT):
            rs2 = self._view("mvin", 2)
            local = data.View(local_layout(cfg), rs2.local)
            checks = [(self._local(rs2.local, garbage_ok=False, acc_ok=True),
                       ErrorCause.BAD_ADDRESS)]
            if kind == CommandKind.MVIN:
                checks.append((self._at_most(rs2.rows, cfg.dim, 1), ErrorCause.BAD_SIZE))
            checks.append((self._at_most(rs2.cols, cfg.dim * cfg.max_block_len, 1),
                           ErrorCause.BAD_SIZE))
            if kind == CommandKind.MVOUT:
                full = local.acc & local.read_full
                small = local.acc & ~local.read_full
                if not cfg.acc_read_full_width:
                    checks.append((full, ErrorCause.MISSING_FEATURE))
                checks.append((full & (rs2.cols > cfg.dim), ErrorCause.BAD_SIZE))
                if not cfg.acc_read_small_width:
                    checks.append((small, ErrorCause.MISSING_FEATURE))
            return checks
        if kind == CommandKind.PRELOAD:
            return (self._operand("preload", 1, "bd", acc_ok=False)
                    + self._operand("preload", 2, "c", acc_ok=True))
        if kind == CommandKind.COMPUTE:
            return (self._operand("compute_preloaded", 1, "a", acc_ok=False)
                    + self._operand("compute_preloaded", 2, "bd", acc_ok=False))
        if kind == CommandKind.COUNTER:
            rs1 = self._view("counter", 1)
            events = Mux(rs1.external, rs1.event > NUM_EXTERNAL, rs1.event > NUM_INTERNAL)
            checks = [(rs1.configure & events, ErrorCause.BAD_COUNTER)]
            if cfg.num_counters < 8:         # the 3-bit index reaches 8 counters
                checks.insert(0, (rs1.index >= cfg.num_counters, ErrorCause.BAD_COUNTER))
            return checks
        return []

    def _operand(self, name: str, reg: int, prefix: str, *, acc_ok: bool) -> list:
        """An operand word of PRELOAD/COMPUTE: address (GARBAGE allowed), rows and cols <= DIM."""
        word = self._view(name, reg)
        addr, rows, cols = word[prefix], word[f"{prefix}_rows"], word[f"{prefix}_cols"]
        return [(self._local(addr, garbage_ok=True, acc_ok=acc_ok), ErrorCause.BAD_ADDRESS),
                ((rows > self.cfg.dim) | (cols > self.cfg.dim), ErrorCause.BAD_SIZE)]

