"""THE bit-layout table of the ISA (ISA.md sections 3 and 4): every command and the local address.

Encoders, the decoder, the text/binary forms, the generated docs (docs/isa.md) and the RTL command
decoder all derive from `FORMATS` and `LOCAL_ADDRESS`; nothing else states a bit position.
Field names are the keyword names of the encoders in `encoders.py`.
"""

from __future__ import annotations

from .layout import Field, Format, Kind, Layout

__all__ = [
    "ACT_NAMES", "DATAFLOW_NAMES", "FORMATS", "GARBAGE", "LOCAL_ADDRESS", "OPERAND_LAYOUT",
    "format_named", "format_of", "local_address_layout",
]

GARBAGE = 0xFFFF_FFFF          # the all-ones local address (meaning per operand: ISA.md section 3)

DATAFLOW_NAMES = ("OS", "WS")
ACT_NAMES = ("NONE", "RELU", "LAYERNORM", "IGELU", "SOFTMAX")

F, K = Field, Kind

# ------------------------------------------------------------------------------------------------
# Local address (32 bits).  `row` spans all of [25:0] here; a config's ADDR_BITS splits it into the
# row index, the garbage bit and the garbage bits (`local_address_layout`).
# ------------------------------------------------------------------------------------------------
LOCAL_ADDRESS = Layout("local address", [
    F("row", 0, 26, K.UINT, "row index; bits >= ADDR_BITS are the garbage bit(s) and must be 0"),
    F("norm_cmd", 26, 3, K.UINT, "normalization command on accumulator MVOUT (section 7.9); "
                                 "0 everywhere else"),
    F("read_full", 29, 1, K.BOOL, "accumulator reads: 1 = raw acc_t, 0 = scaled+activated elem_t"),
    F("accumulate", 30, 1, K.BOOL, "accumulator writes: 1 = add to the old value, 0 = overwrite"),
    F("acc", 31, 1, K.BOOL, "0 = scratchpad, 1 = accumulator"),
], width=32)


def local_address_layout(addr_bits: int) -> Layout:
    """The local address as a config's hardware decodes it: `row` = [ADDR_BITS-1:0], the garbage bit
    [ADDR_BITS] and the garbage bits [25:ADDR_BITS+1] (must be 0 unless the address is GARBAGE)."""
    row = LOCAL_ADDRESS["row"]
    if not 1 <= addr_bits < row.width - 1:
        raise ValueError(f"addr_bits must be in 1..{row.width - 2}, got {addr_bits}")
    upper = [f for f in LOCAL_ADDRESS if f.name != "row"]
    return Layout(f"local address (ADDR_BITS={addr_bits})", [
        F("row", 0, addr_bits, K.UINT, "row index"),
        F("garbage_bit", addr_bits, 1, K.BOOL, "must be 0 unless the address is GARBAGE"),
        F("garbage", addr_bits + 1, row.width - addr_bits - 1, K.HEX, "must be 0"),
    ] + upper, width=32)


# ------------------------------------------------------------------------------------------------
# Operand words (section 4.2): [31:0] local address, [47:32] cols, [63:48] rows.
# ------------------------------------------------------------------------------------------------
def _operand(prefix: str, what: str) -> list[Field]:
    name = prefix or "local"
    sub = f"{prefix}_" if prefix else ""
    return [F(name, 0, 32, K.LOCAL, f"local address of {what}"),
            F(f"{sub}rows", 48, 16, K.UINT, f"rows of {what}"),
            F(f"{sub}cols", 32, 16, K.UINT, f"columns of {what}")]


OPERAND_LAYOUT = Layout("operand word", _operand("", "the operand"))


def _sel(value: int) -> Field:
    return F("config_kind", 0, 2, K.CONST, "CONFIG selector: 0 EX, 1 LOAD, 2 STORE, 3 NORM",
             const=value)


def _u64(name: str, kind: Kind, doc: str) -> list[Field]:
    return [F(name, 0, 64, kind, doc)]


def _fmt(name, funct, rs1, rs2, doc, c_macro="", queue="", selector=None) -> Format:
    return Format(name, funct, Layout(f"{name}.rs1", rs1), Layout(f"{name}.rs2", rs2), doc,
                  c_macro, queue, selector)


def _mv(name: str, funct: int, doc: str, c_macro: str, queue: str, what: str) -> Format:
    return _fmt(name, funct, _u64("dram", K.ADDR, "DRAM byte address (MVIN: 0 = zero fill)"),
                _operand("", what), doc, c_macro, queue)


def _loop_pair(name, funct, a, b, kind, doc_a, doc_b, doc) -> Format:
    return _fmt(name, funct, _u64(a, kind, doc_a), _u64(b, kind, doc_b), doc,
                "gemmini_loop_ws", "loop")


_CONFIG_EX = _sel(0)
_CONFIG_LD = _sel(1)
_CONFIG_ST = _sel(2)
_CONFIG_NORM = _sel(3)

FORMATS: tuple[Format, ...] = (
    _fmt("config_ex", 0, [
        _CONFIG_EX,
        F("dataflow", 2, 1, K.ENUM, "dataflow", DATAFLOW_NAMES),
        F("act", 3, 2, K.ENUM, "sys_act for compute->scratchpad writes (only RELU acts)",
          ACT_NAMES[:4]),
        F("set_only_strides", 7, 1, K.BOOL, "1 = update only a_stride and c_stride"),
        F("a_transpose", 8, 1, K.BOOL, "A is stored transposed"),
        F("b_transpose", 9, 1, K.BOOL, "B is stored transposed"),
        F("a_stride", 16, 16, K.UINT, "scratchpad rows between consecutive fed rows of A"),
        F("acc_scale", 32, 32, K.FP32, "ex_acc_scale (stored, otherwise unused)"),
    ], [
        F("in_shift", 0, 32, K.UINT,
          "OS rounding right shift for compute->scratchpad writes (< W_ACC)"),
        F("relu6_shift", 32, 16, K.IGNORED, "legacy relu6 shift, ignored"),
        F("c_stride", 48, 16, K.UINT, "local rows between consecutive written rows of C"),
    ], "configure the execute unit", "gemmini_extended3_config_ex", "EX", _CONFIG_EX),
    _fmt("config_ld", 0, [
        _CONFIG_LD,
        F("shrunk", 2, 1, K.BOOL, "MVIN into the accumulator reads elem_t-sized elements"),
        F("id", 3, 2, K.UINT, "load state: 0 MVIN, 1 MVIN2, 2 MVIN3 (3 reserved)"),
        F("pixel_repeats", 8, 8, K.UINT, "pixel repeats (0 is stored as 1)"),
        F("block_stride", 16, 16, K.UINT, "local rows between successive DIM-column blocks"),
        F("scale", 32, 32, K.FP32, "MVIN scale factor (fp32)"),
    ], _u64("stride", K.UINT, "DRAM bytes between consecutive rows (0 = repeat the first row)"),
        "configure a load state", "gemmini_extended5_config_ld", "LD", _CONFIG_LD),
    _fmt("config_st", 0, [
        _CONFIG_ST,
        F("act", 2, 2, K.ENUM, "acc_act for accumulator->DRAM reads", ACT_NAMES[:4]),
        F("pool_stride", 4, 2, K.UINT, "max-pool stride; 0 = pooling off"),
        F("pool_size", 6, 2, K.UINT, "max-pool window edge (0 when pooling is off)"),
        F("upad", 8, 2, K.UINT, "pooling zero padding above"),
        F("lpad", 10, 2, K.UINT, "pooling zero padding on the left"),
        F("pool_out_dim", 24, 8, K.UINT, "pooled-output row length in pixels"),
        F("porows", 32, 8, K.UINT, "pooled rows to produce"),
        F("pocols", 40, 8, K.UINT, "pooled columns to produce"),
        F("orows", 48, 8, K.UINT, "un-pooled rows in local memory"),
        F("ocols", 56, 8, K.UINT, "un-pooled columns in local memory"),
    ], [
        F("stride", 0, 32, K.UINT, "DRAM bytes between output rows (pooling: between pixels)"),
        F("scale", 32, 32, K.FP32, "acc_scale (fp32); 0xFFFFFFFF is reserved"),
    ], "configure the store unit", "gemmini_extended2_config_st", "ST", _CONFIG_ST),
    _fmt("config_norm", 0, [
        _CONFIG_NORM,
        F("stat_id", 8, 8, K.UINT, "normalization statistics id"),
        F("act_msb", 16, 1, K.BOOL, "ORed into acc_act bit 2"),
        F("set_stats_id_only", 17, 1, K.BOOL, "1 = only set stat_id"),
        F("q_const_type", 18, 1, K.BOOL, "0 = qln2, 1 = qln2_inv"),
        F("q_const", 32, 32, K.SINT, "quantization constant (i32)"),
    ], [
        F("qb", 0, 32, K.SINT, "igelu_qb (i32)"),
        F("qc", 32, 32, K.SINT, "igelu_qc (i32)"),
    ], "configure the normalization units (no-op in v1)", "gemmini_config_norm", "ST",
        _CONFIG_NORM),
    _mv("mvin2", 1, "move in with load state 1", "gemmini_extended_mvin2", "LD", "the destination"),
    _mv("mvin", 2, "move in with load state 0", "gemmini_extended_mvin", "LD", "the destination"),
    _mv("mvout", 3, "move out to DRAM", "gemmini_extended_mvout", "ST", "the source"),
    _fmt("compute_preloaded", 4, _operand("a", "A"), _operand("bd", "B (OS) / D (WS)"),
         "compute, installing the preloaded B (WS) or D (OS) first",
         "gemmini_extended_compute_preloaded", "EX"),
    _fmt("compute_accumulated", 5, _operand("a", "A"), _operand("bd", "B (OS) / D (WS)"),
         "compute, keeping the weights (WS) or partial sums (OS)",
         "gemmini_extended_compute_accumulated", "EX"),
    _fmt("preload", 6, _operand("bd", "B (WS) / D (OS)"), _operand("c", "C"),
         "latch B/D and C for the next compute", "gemmini_extended_preload", "EX"),
    _fmt("flush", 7, [F("skip", 0, 1, K.IGNORED, "skip flag (ignored)")],
         [F("ignored", 0, 64, K.IGNORED, "ignored")], "no-op (flushed Gemmini's TLB)",
         "gemmini_flush", "immediate"),
    _fmt("loop_ws", 8, [
        F("ex_accumulate", 0, 1, K.BOOL, "accumulate onto the existing partial sums"),
        F("full_c", 1, 1, K.BOOL, "store C as raw acc_t"),
        F("low_d", 2, 1, K.BOOL, "D is elem_t (else acc_t)"),
        F("act", 8, 3, K.ENUM, "activation code (applies nothing; see section 8)", ACT_NAMES),
        F("b_spad_id", 16, 2, K.UINT, "B reuse id (0 none, 1/2 halves, 3 reserved)"),
        F("a_spad_id", 18, 2, K.UINT, "A reuse id (0 none, 1/2 halves, 3 reserved)"),
    ], [
        F("a_transpose", 0, 1, K.BOOL, "A is stored transposed"),
        F("b_transpose", 1, 1, K.BOOL, "B is stored transposed"),
        F("is_resadd", 2, 1, K.BOOL, "residual add C = A + B instead of a matmul"),
    ], "tiled weight-stationary matmul (section 8)", "gemmini_loop_ws", "loop"),
    _fmt("loop_ws_config_bounds", 9, [
        F("pad_i", 0, 16, K.UINT, "rows of padding in the last I tile"),
        F("pad_j", 16, 16, K.UINT, "columns of padding in the last J tile"),
        F("pad_k", 32, 16, K.UINT, "padding in the last K tile"),
    ], [
        F("i", 0, 16, K.UINT, "I in DIM tiles"),
        F("j", 16, 16, K.UINT, "J in DIM tiles"),
        F("k", 32, 16, K.UINT, "K in DIM tiles"),
    ], "LOOP_WS bounds", "gemmini_loop_ws", "loop"),
    _loop_pair("loop_ws_config_addrs_ab", 10, "a", "b", K.ADDR, "A DRAM address (0 = not loaded)",
               "B DRAM address (0 = not loaded)", "LOOP_WS A and B addresses"),
    _loop_pair("loop_ws_config_addrs_dc", 11, "d", "c", K.ADDR, "D DRAM address (0 = no bias)",
               "C DRAM address (0 = not stored)", "LOOP_WS D and C addresses"),
    _loop_pair("loop_ws_config_strides_ab", 12, "a_stride", "b_stride", K.UINT,
               "A row stride in elements", "B row stride in elements", "LOOP_WS A and B strides"),
    _loop_pair("loop_ws_config_strides_dc", 13, "d_stride", "c_stride", K.UINT,
               "D row stride in D elements", "C row stride in C elements",
               "LOOP_WS D and C strides"),
    _mv("mvin3", 14, "move in with load state 2", "gemmini_extended_mvin3", "LD",
        "the destination"),
    _fmt("loop_conv_ws", 15, [
        F("no_bias", 0, 1, K.BOOL), F("wrot180", 1, 1, K.BOOL),
        F("trans_output_1203", 2, 1, K.BOOL), F("trans_weight_1203", 3, 1, K.BOOL),
        F("trans_weight_0132", 4, 1, K.BOOL), F("trans_input_3120", 5, 1, K.BOOL),
        F("dw", 6, 1, K.BOOL), F("max_pixels_per_row", 8, 8, K.UINT, "0 -> 1"),
        F("b_spad_id", 16, 2, K.UINT), F("a_spad_id", 18, 2, K.UINT),
    ], [
        F("no_pool", 0, 1, K.BOOL), F("downsample", 1, 1, K.BOOL),
        F("input_dilated", 2, 1, K.BOOL), F("activation", 3, 2, K.ENUM, "", ACT_NAMES[:4]),
    ], "tiled convolution (later phase, section 9)", "gemmini_loop_conv_ws", "loop"),
    _fmt("loop_conv_ws_config_1", 16, [
        F("batch_size", 0, 16), F("in_row_dim", 16, 16), F("in_channels", 32, 16),
        F("out_channels", 48, 16),
    ], [
        F("out_row_dim", 0, 16), F("pool_out_row_dim", 16, 16), F("out_col_dim", 32, 16),
        F("stride", 48, 8), F("padding", 56, 8),
    ], "LOOP_CONV_WS configuration 1", "gemmini_loop_conv_ws", "loop"),
    _fmt("loop_conv_ws_config_2", 17, [
        F("pool_padding", 0, 8), F("pool_stride", 8, 8), F("pool_size", 16, 16),
        F("pool_out_col_dim", 32, 16), F("kernel_dim", 48, 16),
    ], [
        F("pochs", 0, 16), F("pocols", 16, 16), F("porows", 32, 16), F("batches", 48, 16),
    ], "LOOP_CONV_WS configuration 2", "gemmini_loop_conv_ws", "loop"),
    _fmt("loop_conv_ws_config_3", 18, [
        F("lpad", 0, 16), F("kchs", 16, 16), F("kcols", 32, 16), F("krows", 48, 16),
    ], [
        F("in_col_dim", 0, 16), F("plpad", 16, 8), F("dpad", 24, 8), F("upad", 32, 16),
        F("rpad", 48, 16),
    ], "LOOP_CONV_WS configuration 3", "gemmini_loop_conv_ws", "loop"),
    _fmt("loop_conv_ws_config_4", 19, [
        F("kernel_dilation", 0, 10, K.UINT, "Spike keeps 8 bits"),
        F("pdpad", 10, 11, K.UINT, "Spike keeps 8 bits"),
        F("pupad", 21, 11, K.UINT, "Spike keeps 8 bits"),
        F("prpad", 32, 16), F("orows", 48, 16),
    ], [
        F("ocols", 0, 16), F("out_stride", 16, 16), F("weight_stride", 32, 16),
        F("in_stride", 48, 16),
    ], "LOOP_CONV_WS configuration 4", "gemmini_loop_conv_ws", "loop"),
    _loop_pair("loop_conv_ws_config_5", 20, "weights", "output", K.ADDR, "weights address",
               "output address", "LOOP_CONV_WS configuration 5"),
    _loop_pair("loop_conv_ws_config_6", 21, "bias", "input", K.ADDR, "bias address",
               "input address", "LOOP_CONV_WS configuration 6"),
    _fmt("counter", 126, [
        F("reset", 0, 1, K.BOOL, "reset all counters"),
        F("snapshot_reset", 1, 1, K.BOOL, "leave snapshot mode"),
        F("take_snapshot", 2, 1, K.BOOL, "copy all counters and enter snapshot mode"),
        F("configure", 3, 1, K.BOOL, "set counter `index` to count `event`"),
        F("index", 4, 3, K.UINT, "counter index"),
        F("event", 12, 6, K.UINT, "event id (section 10.2)"),
        F("external", 31, 1, K.BOOL, "event id names an external event"),
    ], [F("ignored", 0, 64, K.IGNORED, "ignored")],
        "performance counter access; responds with the counter value",
        "counter_read / counter_configure / ...", "immediate"),
    _fmt("fence", 127, [], [], "wait until every earlier command has completed (standalone "
         "extension)", "", "immediate"),
)

_BY_NAME = {f.name: f for f in FORMATS}
_BY_FUNCT: dict[int, list[Format]] = {}
for _f in FORMATS:
    _BY_FUNCT.setdefault(_f.funct, []).append(_f)


def format_named(name: str) -> Format:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown instruction {name!r}") from None


def format_of(funct: int, rs1: int) -> Format | None:
    """The format of a command, or None for an unknown funct."""
    for fmt in _BY_FUNCT.get(funct, ()):
        if fmt.matches(rs1):
            return fmt
    return None
