"""`gemmini.h`: Gemmini's C instruction macros, generated from the ISA bit-layout table.

The header has two layers, both derived from `isa.table.FORMATS` / `LOCAL_ADDRESS`, so no bit
position is written by hand and the header cannot drift from the Python encoders:

1. one *command constructor* per table format, ``gemmini_cmd_<name>(field, ...)``: parameters are
   the format's named fields in table order (fp32 fields as raw bits, ``<field>_bits``); each value
   is masked to its field width and shifted into place; selector bits are filled in;
2. Gemmini's API (``gemmini_extended_mvin``, ``gemmini_config_ld``, ``gemmini_loop_ws``,
   ``counter_read``, ...) with Gemmini's names and argument orders, each written as a call of a
   constructor *by field name* (`_call`), so reordering or renaming fields in the table cannot
   silently misplace an argument.

Every command ends in ``GEMMINI_CMD(funct, rs1, rs2)``, which a transport defines before including
the header (``software/shim/gemmini_shim.h`` does); its value is the response of a COUNTER command.
The header is the same for every config: config-dependent names (`DIM`, `scale_t`, ...) come from
``gemmini_params.h``, which it includes.
"""

from __future__ import annotations

from ..isa.encoders import NUM_INTERNAL_EVENTS
from ..isa.layout import Field, Format, Kind, Layout
from ..isa.table import ACT_NAMES, DATAFLOW_NAMES, FORMATS, GARBAGE, LOCAL_ADDRESS
from .counter_events import event_codes

__all__ = ["render_isa_header"]

# Gemmini's spellings of names the table spells differently.
_GEMMINI_FUNCT_NAMES = {"compute_accumulated": "COMPUTE_ACCUMULATE", "config_ex": "CONFIG",
                        "config_ld": "CONFIG", "config_st": "CONFIG", "config_norm": "CONFIG"}
_GEMMINI_SELECTOR_NAMES = {"config_ex": "CONFIG_EX", "config_ld": "CONFIG_LD",
                           "config_st": "CONFIG_ST", "config_norm": "CONFIG_NORM"}
_GEMMINI_DATAFLOW_NAMES = {"OS": "OUTPUT_STATIONARY", "WS": "WEIGHT_STATIONARY"}
_GEMMINI_ACT_NAMES = {"NONE": "NO_ACTIVATION"}


# ------------------------------------------------------------------------------------------------
# Layer 1: command constructors
# ------------------------------------------------------------------------------------------------
def _parameter(field: Field) -> str:
    return f"{field.name}_bits" if field.kind is Kind.FP32 else field.name


def _parameters(fmt: Format) -> list[Field]:
    """The fields the constructor of `fmt` takes: its named fields, rs1 then rs2, in table order."""
    return [f for f in fmt.rs1.declared + fmt.rs2.declared if f.is_named]


def _term(field: Field, value: str) -> str:
    """C expression: `value` masked to the field and shifted into place (uint64_t)."""
    if field.kind is Kind.ADDR and field.width == 64:
        return f"((uint64_t)(uintptr_t)({value}))"
    if field.width == 64:
        return f"((uint64_t)({value}))"
    shifted = f" << {field.lsb}" if field.lsb else ""
    return f"((((uint64_t)({value})) & {field.mask:#x}ULL){shifted})"


def _word(layout: Layout, values: dict[str, str]) -> str:
    """C expression of one register from field name -> C expression (CONST fields filled in)."""
    terms = [_term(f, values[f.name]) for f in layout.fields if f.name in values]
    terms += [f"{f.const:#x}ULL" for f in layout.fields if f.kind is Kind.CONST and f.const]
    return " | ".join(terms) if terms else "0"


def _funct_macro(fmt: Format) -> str:
    return f"GEMMINI_FUNCT_{fmt.name.upper()}"


def _describe(layout: Layout) -> str:
    named = [f for f in layout.fields if f.is_named or f.kind is Kind.CONST]
    return " ".join(f"{f.name}{f.bits}" + (f"={f.const}" if f.kind is Kind.CONST else "")
                    for f in reversed(named)) or "0"


def _constructor(fmt: Format) -> list[str]:
    params = _parameters(fmt)
    values = {f.name: _parameter(f) for f in params}
    rs1 = _word(fmt.rs1, {k: v for k, v in values.items() if k in fmt.rs1})
    rs2 = _word(fmt.rs2, {k: v for k, v in values.items() if k in fmt.rs2})
    signature = ", ".join(_parameter(f) for f in params)
    return [f"/* {fmt.name} (funct {fmt.funct}): {fmt.doc}.",
            f"   rs1: {_describe(fmt.rs1)}",
            f"   rs2: {_describe(fmt.rs2)} */",
            f"#define gemmini_cmd_{fmt.name}({signature}) \\",
            f"    GEMMINI_CMD({_funct_macro(fmt)}, \\",
            f"                {rs1}, \\",
            f"                {rs2})", ""]


_BY_NAME = {fmt.name: fmt for fmt in FORMATS}


def _call(name: str, **values: str) -> str:
    """A call of constructor `name` with C expressions given by field name (absent fields 0)."""
    params = _parameters(_BY_NAME[name])
    known = {_parameter(f) for f in params}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"gemmini.h: {name} has no field(s) {', '.join(sorted(unknown))}")
    return f"gemmini_cmd_{name}({', '.join(values.get(_parameter(f), '0') for f in params)})"


def _issue(name: str, **values: str) -> str:
    """`_call` as a statement-like expression (Gemmini's macros are statements)."""
    return f"((void){_call(name, **values)})"


# ------------------------------------------------------------------------------------------------
# Layer 2: Gemmini's API
# ------------------------------------------------------------------------------------------------
def _define(signature: str, body: str) -> list[str]:
    return [f"#define {signature} \\", f"    {body}"]


def _acc_scale_bits(value: str) -> str:
    return f"acc_scale_t_to_acc_scale_t_bits((acc_scale_t)({value}))"


def _data_movement() -> list[str]:
    out = ["/* ---- Data movement ---- */"]
    for name in ("mvin", "mvin2", "mvin3", "mvout"):
        out += _define(f"gemmini_extended_{name}(dram_addr, spad_addr, cols, rows)",
                       _issue(name, dram="dram_addr", local="spad_addr", cols="cols", rows="rows"))
    out += _define("gemmini_block_mvin(dram_addr, spad_addr, len)",
                   "gemmini_extended_mvin(dram_addr, spad_addr, (len) * DIM, DIM)")
    out += _define("gemmini_mvin(dram_addr, spad_addr)",
                   "gemmini_extended_mvin(dram_addr, spad_addr, DIM, DIM)")
    out += _define("gemmini_mvout(dram_addr, spad_addr)",
                   "gemmini_extended_mvout(dram_addr, spad_addr, DIM, DIM)")
    return out + [""]


def _compute() -> list[str]:
    out = ["/* ---- Preload and compute ---- */"]
    out += _define("gemmini_extended_preload(BD, C, BD_cols, BD_rows, C_cols, C_rows)",
                   _issue("preload", bd="BD", bd_cols="BD_cols", bd_rows="BD_rows", c="C",
                         c_cols="C_cols", c_rows="C_rows"))
    out += _define("gemmini_preload(BD, C)", "gemmini_extended_preload(BD, C, DIM, DIM, DIM, DIM)")
    out += _define("gemmini_preload_zeros(C)", "gemmini_preload(GARBAGE_ADDR, C)")
    for name in ("compute_preloaded", "compute_accumulated"):
        out += _define(f"gemmini_extended_{name}(A, BD, A_cols, A_rows, BD_cols, BD_rows)",
                       _issue(name, a="A", a_cols="A_cols", a_rows="A_rows", bd="BD",
                             bd_cols="BD_cols", bd_rows="BD_rows"))
        out += _define(f"gemmini_{name}(A, BD)",
                       f"gemmini_extended_{name}(A, BD, DIM, DIM, DIM, DIM)")
    return out + [""]


def _configuration() -> list[str]:
    out = ["/* ---- Configuration ---- */"]
    out += _define(
        "gemmini_extended3_config_ex(dataflow, sys_act, sys_shift, sys_acc_scale, C_stride, "
        "A_stride, A_transpose, B_transpose, set_only_strides)",
        _issue("config_ex", dataflow="dataflow", act="sys_act", in_shift="sys_shift",
              acc_scale_bits=_acc_scale_bits("sys_acc_scale"), c_stride="C_stride",
              a_stride="A_stride", a_transpose="A_transpose", b_transpose="B_transpose",
              set_only_strides="set_only_strides"))
    out += _define("gemmini_extended2_config_ex(dataflow, sys_act, sys_shift, A_stride, "
                   "A_transpose, B_transpose)",
                   "gemmini_extended3_config_ex(dataflow, sys_act, sys_shift, ACC_SCALE_IDENTITY, "
                   "1, A_stride, A_transpose, B_transpose, 0)")
    out += _define("gemmini_extended_config_ex(dataflow, sys_act, sys_shift, A_stride, "
                   "A_transpose, B_transpose)",
                   "gemmini_extended2_config_ex(dataflow, sys_act, sys_shift, A_stride, "
                   "A_transpose, B_transpose)")
    out += _define("gemmini_config_ex(dataflow, sys_act, sys_shift)",
                   "gemmini_extended_config_ex(dataflow, sys_act, sys_shift, 1, 0, 0)")
    out += _define(
        "gemmini_extended5_config_ld(stride, scale, shrunk, block_mvin_stride, pixel_repeats, id)",
        _issue("config_ld", stride="stride", scale_bits="scale_t_to_scale_t_bits((scale_t)(scale))",
              shrunk="shrunk", block_stride="block_mvin_stride", pixel_repeats="pixel_repeats",
              id="id"))
    out += _define("gemmini_extended4_config_ld(stride, scale, shrunk, block_mvin_stride, id)",
                   "gemmini_extended5_config_ld(stride, scale, shrunk, block_mvin_stride, 1, id)")
    out += _define("gemmini_extended3_config_ld(stride, scale, shrunk, id)",
                   "gemmini_extended4_config_ld(stride, scale, shrunk, DIM, id)")
    out += _define("gemmini_extended2_config_ld(stride, scale, shrunk)",
                   "gemmini_extended3_config_ld(stride, scale, shrunk, 0)")
    out += _define("gemmini_extended_config_ld(stride, scale)",
                   "gemmini_extended2_config_ld(stride, scale, 0)")
    out += _define("gemmini_config_ld(stride)",
                   "gemmini_extended_config_ld(stride, MVIN_SCALE_IDENTITY)")
    out += _define(
        "gemmini_extended2_config_st(stride, acc_act, acc_scale, pool_stride, pool_size, "
        "pool_out_dim, porows, pocols, orows, ocols, upad, lpad)",
        _issue("config_st", stride="stride", act="acc_act", scale_bits=_acc_scale_bits("acc_scale"),
              pool_stride="pool_stride", pool_size="pool_size", pool_out_dim="pool_out_dim",
              porows="porows", pocols="pocols", orows="orows", ocols="ocols", upad="upad",
              lpad="lpad"))
    out += _define("gemmini_extended_config_st(stride, acc_act, acc_scale)",
                   "gemmini_extended2_config_st(stride, acc_act, acc_scale, 0, 0, 0, 0, 0, 0, 0, "
                   "0, 0)")
    out += _define("gemmini_config_st(stride)",
                   "gemmini_extended_config_st(stride, NO_ACTIVATION, ACC_SCALE_IDENTITY)")
    out += _define(
        "gemmini_config_norm(q_const, q_const_type, set_stats_id_only, act_msb, stat_id, "
        "igelu_qb, igelu_qc)",
        _issue("config_norm", q_const="q_const", q_const_type="q_const_type",
              set_stats_id_only="set_stats_id_only", act_msb="act_msb", stat_id="stat_id",
              qb="igelu_qb", qc="igelu_qc"))
    return out + [""]


def _loops_and_sync() -> list[str]:
    loop_ws = [
        _call("loop_ws_config_bounds", pad_i="pad_I", pad_j="pad_J", pad_k="pad_K", i="I", j="J",
              k="K"),
        _call("loop_ws_config_addrs_ab", a="A", b="B"),
        _call("loop_ws_config_addrs_dc", d="D", c="C"),
        _call("loop_ws_config_strides_ab", a_stride="A_stride", b_stride="B_stride"),
        _call("loop_ws_config_strides_dc", d_stride="D_stride", c_stride="C_stride"),
        _call("loop_ws", ex_accumulate="ex_accumulate", full_c="full_C", low_d="low_D", act="act",
              a_spad_id="a_spad_id", b_spad_id="b_spad_id", a_transpose="A_transpose",
              b_transpose="B_transpose", is_resadd="is_resadd"),
    ]
    out = ["/* ---- LOOP_WS, flush, fence ---- */",
           "#define gemmini_loop_ws(I, J, K, pad_I, pad_J, pad_K, A, B, D, C, A_stride, B_stride, "
           "D_stride, C_stride, A_transpose, B_transpose, full_C, low_D, ex_accumulate, act, "
           "a_spad_id, b_spad_id, is_resadd) \\",
           "    do { \\"]
    out += [f"        (void){call}; \\" for call in loop_ws]
    out += ["    } while (0)"]
    out += _define("gemmini_flush(skip)", _issue("flush", skip="skip"))
    out += ["/* Waits until every earlier command has completed and its results are in memory. */"]
    out += _define("gemmini_fence()", _issue("fence"))
    return out + [""]


def _counters() -> list[str]:
    configure = _call("counter", configure="1", index="index",
                      event="external ? code - GEMMINI_NUM_INTERNAL_EVENTS : code",
                      external="external")
    out = ["/* ---- Performance counters (gemmini_counter.h) ---- */"]
    out += [f"#define {name} {code}" for name, code in event_codes().items()]
    out += [f"#define GEMMINI_NUM_INTERNAL_EVENTS {NUM_INTERNAL_EVENTS}", "",
            "/* Counter `index` counts event `code` (codes above GEMMINI_NUM_INTERNAL_EVENTS are",
            "   external events). */",
            "static inline void counter_configure(size_t index, size_t code) {",
            "    const int external = code > GEMMINI_NUM_INTERNAL_EVENTS;",
            f"    (void){configure};",
            "}",
            "/* The value of counter `index` (its snapshot in snapshot mode), low 32 bits. */",
            "static inline uint32_t counter_read(size_t index) {",
            f"    return (uint32_t){_call('counter', index='index')};",
            "}",
            "static inline void counter_snapshot_take(void) {",
            f"    (void){_call('counter', take_snapshot='1')};",
            "}",
            "static inline void counter_snapshot_reset(void) {",
            f"    (void){_call('counter', snapshot_reset='1')};",
            "}",
            "static inline void counter_reset(void) {",
            f"    (void){_call('counter', reset='1')};",
            "}", ""]
    return out


# ------------------------------------------------------------------------------------------------
# Constants and local addresses
# ------------------------------------------------------------------------------------------------
def _constants() -> list[str]:
    out = ["/* ---- Function codes (funct7) ---- */"]
    out += [f"#define {_funct_macro(fmt)} {fmt.funct}" for fmt in FORMATS]
    gemmini = {}
    for fmt in FORMATS:
        gemmini.setdefault(f"k_{_GEMMINI_FUNCT_NAMES.get(fmt.name, fmt.name.upper())}",
                           _funct_macro(fmt))
    out += [f"#define {name} {value}" for name, value in gemmini.items()]
    out += [f"#define {_GEMMINI_SELECTOR_NAMES[fmt.name]} {fmt.selector.const}"
            for fmt in FORMATS if fmt.selector is not None]
    out += ["", "/* ---- Dataflows and activations ---- */"]
    out += [f"#define {_GEMMINI_DATAFLOW_NAMES[n]} {code}" for code, n in enumerate(DATAFLOW_NAMES)]
    out += [f"#define {_GEMMINI_ACT_NAMES.get(n, n)} {code}" for code, n in enumerate(ACT_NAMES)]
    return out + [""]


def _local_addresses() -> list[str]:
    params = [f.name for f in LOCAL_ADDRESS.declared]
    word = _word(LOCAL_ADDRESS, {name: name for name in params})

    def local(**values: str) -> str:
        return f"gemmini_local_addr({', '.join(values.get(p, '0') for p in params)})"

    out = ["/* ---- Local (scratchpad/accumulator) addresses ---- */",
           f"/* {_describe(LOCAL_ADDRESS)} */",
           f"#define GARBAGE_ADDR ((uint32_t){GARBAGE:#x}U)"]
    out += _define(f"gemmini_local_addr({', '.join(params)})", f"((uint32_t)({word}))")
    out += _define("gemmini_sp_addr(row)", local(row="row"))
    out += _define("gemmini_acc_addr(row, accumulate, read_full)",
                   local(row="row", acc="1", accumulate="accumulate", read_full="read_full"))
    return out + [""]


_PROLOGUE = """\
/* gemmini.h: Gemmini's C instruction macros for a gemmini-gen accelerator.
   Generated by gemmini-gen from its ISA bit-layout table (gemmini_gen/isa/table.py). Do not edit.

   Every command is issued through GEMMINI_CMD(funct, rs1, rs2), an expression a transport
   defines before including this header (software/shim/gemmini_shim.h runs commands on the
   golden model or the RTL); its value is the response of a COUNTER command. */
#ifndef GEMMINI_H
#define GEMMINI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gemmini_params.h"

#ifndef GEMMINI_CMD
#error "gemmini.h: define GEMMINI_CMD(funct, rs1, rs2) first (e.g. include gemmini_shim.h)"
#endif

/* Raw bits of the 32-bit scale types of gemmini_params.h (fp32 or int32). */
typedef char gemmini_scale_t_is_32_bits_[sizeof(scale_t) == 4 ? 1 : -1];
typedef char gemmini_acc_scale_t_is_32_bits_[sizeof(acc_scale_t) == 4 ? 1 : -1];
static inline uint32_t scale_t_to_scale_t_bits(scale_t x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}
static inline uint32_t acc_scale_t_to_acc_scale_t_bits(acc_scale_t x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}
"""


def render_isa_header() -> str:
    """The text of `gemmini.h` (the same for every config)."""
    lines = [_PROLOGUE]
    lines += _constants()
    lines += _local_addresses()
    lines += ["/* ---- Command constructors: one per command of the ISA table. Parameters are the",
              "   command's fields in table order (fp32 fields as raw bits); values are masked to",
              "   their fields. ---- */", ""]
    for fmt in FORMATS:
        lines += _constructor(fmt)
    lines += _data_movement() + _compute() + _configuration() + _loops_and_sync() + _counters()
    lines += ["#endif /* GEMMINI_H */"]
    return "\n".join(lines) + "\n"
