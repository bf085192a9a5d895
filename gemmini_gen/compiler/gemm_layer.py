"""An accelerator layer: a quantized Conv / MatMul / Gemm lowered onto `GemmCall`s.

The layer computes, per output element, ``sum_k (a - za)(w - zw) + bias`` in int32 and then one of:
requantization to an 8-bit type (onnxruntime's rounding, see `ort_arith.requantize`), raw int32
(MatMulInteger/ConvInteger), or fp32 scaling (QGemm without an output scale).

Lowering onto the accelerator's arithmetic, exactly:

* uint8 operands become int8 by subtracting 128 from the values and from their zero points.
* Zero points fold into the int32 bias D:  ``(A - za)(B - zb) = AB - za*colsum(B) - rowsum(A) (x) zb
  + K*za*zb``.  With zb = 0 (symmetric weights) D is a per-column vector; otherwise the rowsum term
  makes D a full M x N matrix, formed on the host.  Convolution padding holds za, so it contributes 0.
* Requantization runs on the accelerator when the output zero point is 0 in the int8 domain (int8 with
  zp 0, or uint8 with zp 128): MLAS's ``clamp(rne(fp32(fp32(acc) * m)), lo - zp, hi - zp) + zp`` is then
  exactly ACC_SCALE (fp32 conversion, one fp32 multiply, RNE, int8 saturation).  A fused ReLU is applied
  after saturation, as ``max(q, zp)`` would be.  Otherwise the accelerator returns the int32 accumulators
  (full width) and the host requantizes; per-column multipliers go either way
  (`compile_model(per_channel_requant=...)`).
* Global average pooling (kind "average", onnxruntime's QLinearGlobalAveragePool) is the GEMM of the
  (images x channels) by pixels matrix with a column of ones: MLAS sums the codes in int32 with the bias
  ``-za * pixels`` and requantizes with ``fp32(x_scale / fp32(y_scale * pixels))``, the same
  requantization as the GEMMs, so it runs on the accelerator under the same rules.  The multiplier
  depends on the pixel count, so it is formed when the layer runs; `output.multiplier` holds
  ``x_scale / y_scale`` for the compile-time placement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ort_arith
from .errors import CompilerError
from .gemm_executor import ConvGeometry, GemmCall, GemmExecutor, Requant
from .geometry import Window, extract_windows

__all__ = ["QuantOutput", "FloatOutput", "GemmLayer", "LayerRun", "to_int8", "fold_zero_points"]


@dataclass
class QuantOutput:
    """Requantize to `dtype` (int8/uint8) with fp32 `multiplier` (per tensor () or per column (N,))."""

    dtype: np.dtype
    zero_point: int
    multiplier: np.ndarray

    @property
    def int8_zero_point(self) -> int:
        return self.zero_point - (128 if self.dtype == np.uint8 else 0)


@dataclass
class FloatOutput:
    """fp32 output ``fp32(acc) * scale`` (per tensor or per column), QGemm without y_scale."""

    scale: np.ndarray


@dataclass
class LayerRun:
    """What one execution of a layer did (summed over its calls)."""

    macs: int = 0
    calls: int = 0
    cycles: int | None = 0
    counters: dict[str, int] = field(default_factory=dict)

    def add(self, call: GemmCall, cycles: int | None, counters: dict[str, int]) -> None:
        self.macs += call.macs
        self.calls += 1
        self.cycles = None if cycles is None or self.cycles is None else self.cycles + cycles
        for key, value in counters.items():
            self.counters[key] = self.counters.get(key, 0) + value


def to_int8(values: np.ndarray) -> np.ndarray:
    """Map uint8 codes to int8 by subtracting 128 (int8 passes through)."""
    if values.dtype == np.uint8:
        return (values.astype(np.int16) - 128).astype(np.int8)
    if values.dtype != np.int8:
        raise CompilerError(f"accelerator operands must be int8 or uint8, got {values.dtype}")
    return values


def fold_zero_points(a: np.ndarray, b: np.ndarray, za: int, zb: np.ndarray,
                     bias: np.ndarray | None) -> np.ndarray | None:
    """The int32 D with ``A @ B + D == (A - za) @ (B - zb) + bias`` (mod 2**32); None if D is zero."""
    k = a.shape[1]
    zb = np.broadcast_to(np.asarray(zb, dtype=np.int64), (b.shape[1],))
    d = np.zeros(b.shape[1], np.int64) if bias is None else bias.astype(np.int64)
    if za:
        d = d - za * b.sum(axis=0, dtype=np.int64) + k * za * zb
    if zb.any():
        d = d - np.outer(a.sum(axis=1, dtype=np.int64), zb)
    if bias is None and not za and not zb.any():
        return None
    return (((d + 2**31) % 2**32) - 2**31).astype(np.int32)


@dataclass
class GemmLayer:
    name: str
    op: str                               # the ONNX form it came from, e.g. "QLinearConv", "Conv (QDQ)"
    sources: tuple[str, ...]              # ONNX node names folded into this layer
    kind: str                             # "conv", "matmul" (MatMul and Gemm) or "average"
    a_dtype: np.dtype
    a_zero_point: int
    w_zero_point: np.ndarray              # () or (N,), in the weight's own dtype domain
    output: QuantOutput | FloatOutput | None   # None: raw int32
    window: Window | None = None          # conv only
    group: int = 1                        # conv only
    trans_a: bool = False                 # Gemm only
    trans_b: bool = False
    relu: bool = False                    # fused activation (only with a QuantOutput)
    host_requant: bool = False            # set by the lowering: requantize on the host from int32
    average_scales: tuple[float, float] | None = None   # "average" only: (x_scale, y_scale)
    channels_last: bool = False           # "average" only: the channels are the last axis

    # ------------------------------------------------------------------------------------------
    def out_dtype(self) -> np.dtype:
        if isinstance(self.output, QuantOutput):
            return self.output.dtype
        return np.dtype(np.float32 if isinstance(self.output, FloatOutput) else np.int32)

    def requant_for(self, columns: slice, spec: QuantOutput | FloatOutput | None = None) -> Requant:
        spec = self.output if spec is None else spec
        if isinstance(spec, QuantOutput) and not self.host_requant:
            m = spec.multiplier
            return Requant(m if m.ndim == 0 else m[columns], relu=self.relu)
        return Requant(None)

    def finish(self, out: np.ndarray, columns: slice,
               spec: QuantOutput | FloatOutput | None = None) -> np.ndarray:
        """Turn one call's accelerator output into the layer's output values."""
        spec = self.output if spec is None else spec
        if isinstance(spec, QuantOutput):
            if not self.host_requant:
                return (out.astype(np.int16) + (spec.zero_point - spec.int8_zero_point)).astype(spec.dtype)
            m = spec.multiplier if spec.multiplier.ndim == 0 else spec.multiplier[columns]
            q = ort_arith.requantize(out, m, spec.zero_point, spec.dtype)
            return np.maximum(q, np.asarray(spec.zero_point, q.dtype)) if self.relu else q
        if isinstance(spec, FloatOutput):
            s = spec.scale if spec.scale.ndim == 0 else spec.scale[columns]
            return (out.astype(np.int32).astype(np.float32) * s).astype(np.float32)
        return out.astype(np.int32)

    # ------------------------------------------------------------------------------------------
    def run_step(self, args: list, executor: GemmExecutor) -> tuple[np.ndarray, LayerRun]:
        """Run as a compiled step whose inputs are (x, w, bias)."""
        return self.execute(args[0], args[1], args[2], executor)

    def execute(self, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
                executor: GemmExecutor) -> tuple[np.ndarray, LayerRun]:
        run = LayerRun()
        if x.dtype != self.a_dtype:
            raise CompilerError(f"accelerator layer {self.name!r}: input has dtype {x.dtype}, "
                                f"expected {self.a_dtype}")
        za = self.a_zero_point - (128 if self.a_dtype == np.uint8 else 0)
        if self.kind == "average":
            return self._global_average(to_int8(x), za, executor, run), run
        zb = np.asarray(self.w_zero_point, np.int64) - (128 if w.dtype == np.uint8 else 0)
        x8, w8 = to_int8(x), to_int8(w)
        if self.kind == "conv":
            return self._conv(x8, w8, za, zb, bias, executor, run), run
        return self._matmul(x8, w8, za, zb, bias, executor, run), run

    def _call(self, executor: GemmExecutor, run: LayerRun, a, b, za, zb, bias, columns: slice,
              conv: ConvGeometry | None = None, conv_input: np.ndarray | None = None,
              spec: QuantOutput | None = None) -> np.ndarray:
        d = fold_zero_points(a, b, za, zb, bias)
        call = GemmCall(self.name, np.ascontiguousarray(a), np.ascontiguousarray(b), d,
                        self.requant_for(columns, spec), conv, conv_input)
        result = executor.run(call)
        run.add(call, result.cycles, result.counters)
        return self.finish(result.output, columns, spec)

    def _conv(self, x8, w8, za, zb, bias, executor, run) -> np.ndarray:
        where = f"accelerator layer {self.name!r}"
        if x8.ndim != w8.ndim or x8.shape[1] != w8.shape[1] * self.group:
            raise CompilerError(f"{where}: input shape {x8.shape} does not fit weights {w8.shape} "
                                f"with group={self.group}")
        resolved = self.window.resolve(x8.shape[2:], where)
        wins = extract_windows(x8, self.window, resolved, np.int8(za))      # N, C, *O, *k
        n, cg, oc = x8.shape[0], w8.shape[1], w8.shape[0]
        ocg = oc // self.group
        rank = self.window.rank
        kernel_size = int(np.prod(self.window.kernel))
        outs = []
        for g in range(self.group):
            # rows = output pixels (n, *out), columns = (channel, *kernel), matching the weight layout
            a = np.moveaxis(wins[:, g * cg:(g + 1) * cg], 1, 1 + rank).reshape(-1, cg * kernel_size)
            cols = slice(g * ocg, (g + 1) * ocg)
            b = w8[cols].reshape(ocg, -1).T
            geometry = ConvGeometry(x8.shape, self.window.kernel, self.window.strides, self.window.dilations,
                                    resolved.pads_begin, resolved.pads_end, resolved.out_shape, g,
                                    self.group, za)
            outs.append(self._call(executor, run, a, b, za, zb if zb.ndim == 0 else zb[cols],
                                   None if bias is None else bias[cols], cols, geometry,
                                   x8[:, g * cg:(g + 1) * cg]))
        y = np.concatenate(outs, axis=-1).reshape((n,) + resolved.out_shape + (oc,))
        return np.moveaxis(y, -1, 1)

    def _global_average(self, x8, za, executor, run) -> np.ndarray:
        """Per image and channel, the sum of the pixels (a GEMM with a column of ones, bias
        ``-za * pixels``) requantized with MLAS's multiplier ``x_scale / (y_scale * pixels)`` in fp32."""
        if x8.ndim < 3:
            raise CompilerError(f"accelerator layer {self.name!r}: global average pooling needs an "
                                f"input of rank >= 3, got shape {x8.shape}")
        channels_first = np.moveaxis(x8, -1, 1) if self.channels_last else x8
        n, c = channels_first.shape[:2]
        pixels = int(np.prod(channels_first.shape[2:]))
        a = channels_first.reshape(n * c, pixels)
        x_scale, y_scale = self.average_scales
        multiplier = (np.float32(x_scale) / (np.float32(y_scale) * np.float32(pixels))).astype(np.float32)
        spec = QuantOutput(self.output.dtype, self.output.zero_point, multiplier.reshape(()))
        y = self._call(executor, run, a, np.ones((pixels, 1), np.int8), za, np.zeros((), np.int64), None,
                       slice(None), spec=spec).reshape(n, c)
        ones = (1,) * (x8.ndim - 2)
        return y.reshape((n, *ones, c) if self.channels_last else (n, c, *ones))

    def _matmul(self, x8, w8, za, zb, bias, executor, run) -> np.ndarray:
        a = x8.T if self.trans_a else x8
        b = w8.T if self.trans_b else w8
        squeeze_a, squeeze_b = a.ndim == 1, b.ndim == 1
        a = a[None, :] if squeeze_a else a
        b = b[:, None] if squeeze_b else b
        if a.shape[-1] != b.shape[-2]:
            raise CompilerError(f"accelerator layer {self.name!r}: cannot multiply {a.shape} by {b.shape}")
        everything = slice(None)
        if b.ndim == 2:
            m_shape = a.shape[:-1]
            a2 = a.reshape(-1, a.shape[-1])
            vector_bias = None if bias is None else self._bias(bias, a2.shape[0], b.shape[1])
            y = self._call(executor, run, a2, b, za, zb, vector_bias, everything)
            y = y.reshape(m_shape + (b.shape[1],))
        else:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            a_b = np.broadcast_to(a, batch + a.shape[-2:])
            b_b = np.broadcast_to(b, batch + b.shape[-2:])
            y = np.stack([self._call(executor, run, a_b[i], b_b[i], za, zb, None, everything)
                          for i in np.ndindex(batch)]).reshape(batch + (a.shape[-2], b.shape[-1]))
        if squeeze_a:
            y = y[..., 0, :]
        if squeeze_b:
            y = y[..., 0]
        return y

    def _bias(self, bias: np.ndarray, m: int, n: int) -> np.ndarray:
        """Gemm's C: a per-column vector when it broadcasts along rows, else a full (M, N) matrix."""
        bias = bias.astype(np.int32)
        if bias.size == 1:
            return np.full(n, bias.reshape(()), np.int32)
        if bias.shape in ((n,), (1, n)):
            return bias.reshape(n)
        try:
            return np.ascontiguousarray(np.broadcast_to(bias, (m, n)))
        except ValueError:
            raise CompilerError(f"accelerator layer {self.name!r}: bias of shape {bias.shape} does not "
                                f"broadcast to ({m}, {n})") from None
