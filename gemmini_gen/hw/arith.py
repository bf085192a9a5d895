"""Amaranth twins of `gemmini_gen.arith` (ISA.md section 6), bit-exact.

* :func:`saturate`        `sat(x, w)` as an expression
* :func:`rshift_rne`      R1 rounding right shift (round half to even) as an expression
* :func:`os_shift`        `sat(rshift_rne(x, s), w)`: the compute -> scratchpad write path
* :class:`ScaleToInt`     R2 `scale_to_int` for one element, a 4-stage pipeline with clock enable
* :class:`RowScaler`      DIM ScaleToInt units + optional ReLU behind a valid/ready stream, one row
                          per cycle: ACC_SCALE on the mvout path and MVIN_SCALE on the load path
* :func:`place_scalers`   a row of ScaleToInt units, inline or as instances of one Verilog module

A row's ScaleToInt units are identical, so designs for Verilog (``units="instance"``) convert one
unit per (input width, output width) as its own module (`ScaleToInt.module_name`) and instantiate
it once per column: Amaranth's conversion cost grows with every bit of inline logic, and the
scalers were over a quarter of the full accelerator's conversion time.  amaranth.sim needs
``"inline"``.

R2 in hardware, with ``M`` a 24-bit significand (``2**23 <= M < 2**24``) and ``E`` its exponent:

1. integer -> fp32: ``|x|`` is normalised by a leading-one search and rounded to 24 bits (RNE);
2. fp32 multiply: the exact 48-bit product of the significands is rounded to 24 bits (RNE), which
   reproduces fp32's rounding including the double-rounding cases of ISA section 6;
3. fp32 -> integer: ``M * 2**E`` rounded to an integer (RNE), then saturated to the output width.

Products below 2**-126 (fp32 subnormals) and scales that are subnormal give 0 -- exactly what
rounding the subnormal fp32 product to an integer gives.  Scales that are NaN or infinite, and
products of 2**63 or more, are undefined in the ISA; here they saturate by sign.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from .clock_gate import gated_domain
from .clock_gate import verilog_modules as clock_gate_modules
from .hierarchy import place

__all__ = ["saturate", "rshift_rne", "os_shift", "ScaleToInt", "RowScaler", "FP32Layout",
           "SCALER_UNITS", "place_scalers", "scaler_modules"]

SCALER_UNITS = ("inline", "instance")
ONE_FP32 = 0x3F80_0000          # the fp32 bits of 1.0


def saturate(x, width: int):
    """`x` (signed expression) clamped to the signed `width`-bit range, as a signed(width) value."""
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return Mux(x > hi, hi, Mux(x < lo, lo, x))[:width].as_signed()


def rshift_rne(x, s):
    """R1: `x` (signed) arithmetically shifted right by `s` (unsigned), rounding half to even.

    Shifts beyond the width of `x` give the same result as a shift by `len(x) + 1` (0), so the
    shifters are sized by `x`, not by `s`.  The mask of the bits below the half bit is all ones
    shifted right: a left shift by a variable amount would be `2**len(amount) - 1` bits wider than
    `x` (97 bits for a 32-bit `x`), which a simulator evaluates word by word in every lane."""
    width = len(x)
    cap = width + 1
    s_eff = Mux(s > cap, cap, s)[:bits_for(cap)]
    s_minus_1 = (s_eff - 1)[:len(s_eff)]
    q = x >> s_eff
    half = (x >> s_minus_1)[0]
    below_half = Mux(s_minus_1 > width, width, s_minus_1)       # bits under the half bit
    low_mask = Const((1 << width) - 1, width) >> (Const(width, len(s_eff)) - below_half)[:len(s_eff)]
    sticky = (x.as_unsigned() & low_mask) != 0
    round_up = (s_eff != 0) & half & (sticky | q[0])
    return Mux(s_eff == 0, x, q + round_up)


def os_shift(x, s, width: int):
    """`OS_SHIFT(x, s) = sat(rshift_rne(x, s), width)`."""
    return saturate(rshift_rne(x, s), width)


FP32Layout = data.StructLayout({"frac": unsigned(23), "exp": unsigned(8), "sign": unsigned(1)})


def _leading_one(m: Module, value) -> Signal:
    """Index of the most significant set bit of `value` (0 when value == 0)."""
    pos = Signal(range(max(2, len(value))))
    for i in range(len(value)):
        with m.If(value[i]):
            m.d.comb += pos.eq(i)
    return pos


def _check_widths(in_width: int, out_width: int) -> None:
    if not isinstance(in_width, int) or not 2 <= in_width <= 64:
        raise ValueError(f"in_width must be in 2..64, got {in_width!r}")
    if not isinstance(out_width, int) or not 2 <= out_width <= 32:
        raise ValueError(f"out_width must be in 2..32, got {out_width!r}")


def _unit_signature(in_width: int, out_width: int) -> wiring.Signature:
    return wiring.Signature({
        "en": In(1), "x": In(signed(in_width)), "scale": In(FP32Layout), "relu": In(1),
        "y": Out(signed(out_width)),
    })


def _unit_module_name(in_width: int, out_width: int) -> str:
    return f"gemmini_scale_to_int_i{in_width}_o{out_width}"


class ScaleToInt(wiring.Component):
    """R2 for one element: ``y = sat(rne(fp32(fp32(x) * scale)), out_width)``, then ReLU if `relu`.

    Four pipeline registers, all advancing when ``en`` is high: `y` shows the result for the `x`,
    `scale`, `relu` presented `LATENCY` enabled cycles earlier.  The first register holds the
    inputs as given, so that no logic of the unit depends on anything but its own registers: in a
    clock-gated domain (`.clock_gate`) an idle unit then costs a simulator nothing."""

    LATENCY = 4

    def __init__(self, in_width: int, out_width: int):
        _check_widths(in_width, out_width)
        self.in_width = in_width
        self.out_width = out_width
        super().__init__(_unit_signature(in_width, out_width))

    @property
    def module_name(self) -> str:
        """Name of the Verilog module of this unit: one per (input width, output width)."""
        return _unit_module_name(self.in_width, self.out_width)

    def elaborate(self, platform):
        m = Module()
        w = self.in_width
        ow = self.out_width
        en = self.en

        # ---- stage 1: the inputs.
        x = Signal(signed(w))
        scale = Signal(FP32Layout)
        relu1 = Signal()
        with m.If(en):
            m.d.sync += [x.eq(self.x), scale.eq(self.scale), relu1.eq(self.relu)]

        # ---- stage 2: integer -> fp32 significand/exponent (RNE), decode the scale.
        negative = x < 0
        magnitude = Signal(w)
        m.d.comb += magnitude.eq(Mux(negative, -x, x))
        lead = _leading_one(m, magnitude)
        norm = Signal(max(w, 25))                       # leading one at the top bit
        norm_shift = Signal(range(len(norm)))
        m.d.comb += [norm_shift.eq(len(norm) - 1 - lead), norm.eq(magnitude << norm_shift)]
        top = len(norm)
        keep = norm[top - 24:]
        round_bit = norm[top - 25]
        sticky = norm[:top - 25] != 0 if top > 25 else Const(0)
        rounded = keep + (round_bit & (sticky | keep[0]))       # up to 2**24
        a_sig = Signal(24)
        a_exp = Signal(range(-1, 66))                   # unbiased exponent of a_sig's top bit
        a_zero, f_zero, sign, relu2, f_exp = Signal(), Signal(), Signal(), Signal(), Signal(8)
        f_sig = Signal(24)
        f_special = Signal()
        with m.If(en):
            m.d.sync += [
                a_sig.eq(Mux(rounded[24], 1 << 23, rounded)),
                a_exp.eq(lead + rounded[24]),
                a_zero.eq(magnitude == 0),
                f_zero.eq(scale.exp == 0),              # zero or subnormal: product rounds to 0
                f_special.eq(scale.exp == 0xFF),        # Inf/NaN: undefined, saturate by sign
                f_sig.eq(scale.frac | (1 << 23)),
                f_exp.eq(scale.exp),
                sign.eq(negative ^ scale.sign),
                relu2.eq(relu1),
            ]

        # ---- stage 3: the exact 48-bit product of the significands, rounded to an fp32
        # significand (RNE): y = y_sig * 2**y_lsb.
        product = Signal(48)
        p_exp = Signal(signed(11))                      # exponent of product bit 46
        m.d.comb += [product.eq(a_sig * f_sig), p_exp.eq(a_exp + f_exp - 127)]
        zero2, special2 = a_zero | f_zero, f_special & ~a_zero
        high = product[47]
        sig24 = Mux(high, product[24:48], product[23:47])
        r3 = Mux(high, product[23], product[22])
        s3 = Mux(high, product[:23] != 0, product[:22] != 0)
        rounded3 = sig24 + (r3 & (s3 | sig24[0]))
        y_sig = Signal(24)
        y_lsb = Signal(signed(12))                      # exponent of y_sig's bit 0
        zero3, special3, sign3, relu3 = Signal(), Signal(), Signal(), Signal()
        with m.If(en):
            m.d.sync += [
                y_sig.eq(Mux(rounded3[24], 1 << 23, rounded3)),
                y_lsb.eq(p_exp + high + rounded3[24] - 23),
                zero3.eq(zero2 | (p_exp + high + rounded3[24] < -126)),   # fp32 subnormal -> 0
                special3.eq(special2), sign3.eq(sign), relu3.eq(relu2),
            ]

        # ---- stage 4: round to an integer (RNE), saturate, ReLU.
        # y_lsb < 0: a rounding right shift of the 24-bit significand (shifts past 25 give 0);
        # 0 <= y_lsb <= ow: an exact left shift (larger y_lsb saturate).  Both stay within 64
        # bits: one 87-bit fixed-point shift here made Verilator use its slow multi-word
        # helpers, and this form made the DIM-16 GEMM simulation ~12 % faster (BENCHMARKS.md).
        # (The left shift is a right shift of y_sig * 2**40 so that its width stays 64.)
        mag = Signal(24 + ow + 1)
        right = rshift_rne(Cat(y_sig, Const(0, 1)).as_signed(), (-y_lsb)[:len(y_lsb)])
        left = Cat(Const(0, 40), y_sig) >> (40 - y_lsb)[:6]
        m.d.comb += mag.eq(Mux(y_lsb < 0, right.as_unsigned(), left))
        too_big = special3 | (y_lsb > ow)               # |y| >= 2**(ow + 23): saturates
        limit_pos, limit_neg = (1 << (ow - 1)) - 1, 1 << (ow - 1)
        pos = Mux(too_big | (mag > limit_pos), limit_pos, mag)
        neg = Mux(too_big | (mag > limit_neg), limit_neg, mag)
        value = Mux(zero3, 0, Mux(sign3, -neg.as_signed(), pos.as_signed()))
        with m.If(en):
            m.d.sync += self.y.eq(Mux(relu3 & (value < 0), 0, value))
        return m


class RowScaler(wiring.Component):
    """One row of `dim` elements per cycle through `ScaleToInt` units, with a pass-through tag.

    Ports
    -----
    i : In(stream {data: dim x signed(in_width), scale: FP32Layout, relu, tag})
    o : Out(stream {data: dim x signed(out_width), tag})
    Latency `ScaleToInt.LATENCY` cycles; the whole pipeline stalls while `o` is not taken.
    `units` places the ScaleToInt units inline or as Verilog instances (see `place_scalers`);
    `gate` clocks the pipeline only while it holds or takes a row (`.clock_gate`; not for
    amaranth.sim).

    When every input converts to fp32 exactly and fits the output (`in_width` <= 24 and <=
    `out_width`: MVIN_SCALE on int8 rows), a row whose scale is exactly 1.0 -- the identity scale
    every plain load uses -- comes out as its input (ReLU applied) through the tag ring, which
    already delays each row's tag by the latency; with `gate`, the units' own clock then runs only
    while a row with another scale is in them (`identity_bypass`)."""

    def __init__(self, dim: int, in_width: int, out_width: int, tag_shape=unsigned(1), *,
                 units: str = "inline", gate: bool = False):
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        if units not in SCALER_UNITS:
            raise ValueError(f"units must be one of {', '.join(SCALER_UNITS)}, got {units!r}")
        self.units = units
        self.gate = bool(gate)
        self.dim = dim
        self.tag_shape = tag_shape
        self.in_width = in_width
        self.out_width = out_width
        _check_widths(in_width, out_width)
        super().__init__({
            "i": In(stream.Signature(data.StructLayout({
                "data": data.ArrayLayout(signed(in_width), dim), "scale": FP32Layout,
                "relu": unsigned(1), "tag": tag_shape}))),
            "o": Out(stream.Signature(data.StructLayout({
                "data": data.ArrayLayout(signed(out_width), dim), "tag": tag_shape}))),
        })

    @property
    def latency(self) -> int:
        return ScaleToInt.LATENCY

    @property
    def identity_bypass(self) -> bool:
        """Rows scaled by exactly 1.0 bypass the units (their result is the input itself)."""
        return self.in_width <= min(24, self.out_width)

    def verilog_modules(self) -> dict:
        """The ScaleToInt module the units instantiate (none when inline) and the clock gate."""
        modules = scaler_modules(self.in_width, self.out_width, self.units)
        return {**modules, **clock_gate_modules()} if self.gate else modules

    def elaborate(self, platform):
        m = Module()
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        payload = self.i.payload
        bypass = self.identity_bypass
        identity = Signal()                 # the entering row's scale is exactly 1.0
        m.d.comb += identity.eq(payload.scale.as_value() == ONE_FP32 if bypass else 0)
        stage_valid = [Signal(name=f"valid{stage + 1}") for stage in range(ScaleToInt.LATENCY)]
        # with the bypass: which stages hold a row that needs the units
        stage_scaled = [Signal(name=f"scaled{stage + 1}") for stage in range(ScaleToInt.LATENCY)]
        domain = units_domain = "sync"
        if self.gate:
            busy = Cat(self.i.valid, *stage_valid).any()      # a row in or entering
            domain = gated_domain(m, "scaler", advance & busy)
            units_domain = domain
            if bypass:                      # a row that needs the units in or entering
                scaling = Cat(self.i.valid & ~identity, *stage_scaled).any()
                units_domain = gated_domain(m, "scaler_units", advance & scaling)
        ys = place_scalers(m, "unit", self.in_width, self.out_width, en=advance,
                           xs=[payload.data[k] for k in range(self.dim)], scale=payload.scale,
                           relu=payload.relu, units=self.units, domain=units_domain)
        valid, scaled = self.i.valid, self.i.valid & ~identity
        for next_valid, next_scaled in zip(stage_valid, stage_scaled):
            with m.If(advance):
                m.d[domain] += next_valid.eq(valid)
                if bypass:
                    m.d[domain] += next_scaled.eq(scaled)
            valid, scaled = next_valid, next_scaled
        # The tags wait in a ring of LATENCY slots, where the slot at `slot` was written LATENCY
        # advances ago: one tag written per advance instead of LATENCY wide register stages (the
        # load controller's tag is ~560 bits).  Tags of empty stages are not defined.  With the
        # bypass, each slot also holds the row's input and ReLU flag.
        fields = {"tag": self.tag_shape}
        if bypass:
            fields.update({"data": payload.data.shape(), "relu": unsigned(1)})
        slot_layout = data.StructLayout(fields)
        m.submodules.tags = tags = memory.Memory(shape=slot_layout, depth=ScaleToInt.LATENCY,
                                                 init=[])
        write, read = tags.write_port(domain=domain), tags.read_port(domain="comb")
        slot = Signal(range(ScaleToInt.LATENCY))
        m.d.comb += [write.addr.eq(slot), write.data.tag.eq(payload.tag), write.en.eq(advance),
                     read.addr.eq(slot)]
        with m.If(advance):
            m.d[domain] += slot.eq(Mux(slot == ScaleToInt.LATENCY - 1, 0, slot + 1))
        m.d.comb += [self.o.valid.eq(valid), self.o.payload.tag.eq(read.data.tag)]
        if bypass:
            m.d.comb += [write.data.data.eq(payload.data), write.data.relu.eq(payload.relu)]
            for k, y in enumerate(ys):
                x = read.data.data[k]
                m.d.comb += self.o.payload.data[k].eq(
                    Mux(scaled, y, Mux(read.data.relu & (x < 0), 0, x)))
        else:
            for k, y in enumerate(ys):
                m.d.comb += self.o.payload.data[k].eq(y)
        return m


def scaler_modules(in_width: int, out_width: int, units: str) -> dict:
    """``{module name: ScaleToInt}`` that `place_scalers` with these arguments instantiates."""
    if units == "inline":
        return {}
    unit = ScaleToInt(in_width, out_width)
    return {unit.module_name: unit}


def place_scalers(m: Module, prefix: str, in_width: int, out_width: int, *, en, xs, scale, relu,
                  units: str, domain: str = "sync") -> list:
    """One `ScaleToInt` per element of `xs`, sharing `en`, `scale` and `relu`; their outputs.

    ``units="inline"`` elaborates each unit as submodule ``<prefix><k>``; ``"instance"`` makes it an
    instance of the Verilog module ``ScaleToInt(in_width, out_width).module_name`` (listed by
    `scaler_modules`).  The units' registers are in clock domain `domain`."""
    if units not in SCALER_UNITS:
        raise ValueError(f"units must be one of {', '.join(SCALER_UNITS)}, got {units!r}")
    _check_widths(in_width, out_width)
    signature = _unit_signature(in_width, out_width)
    module_name = _unit_module_name(in_width, out_width) if units == "instance" else None
    outputs = []
    for k, x in enumerate(xs):
        placed = place(m, f"{prefix}{k}", signature, {"en": en, "x": x, "scale": scale,
                                                      "relu": relu},
                       module_name=module_name, build=lambda: ScaleToInt(in_width, out_width),
                       domain=domain)
        outputs.append(placed["y"])
    return outputs
