"""numpy int64 references of what the tiled programs compute, with the accelerator's exact
arithmetic (`gemmini_gen.arith`, ISA.md section 6) but none of its tiling: whole-matrix products,
a direct convolution, plain sums.  The tests compare every tiled program against these.

* MVIN scale (R2, saturating to the input width) on every elem-width operand loaded with a scaler,
  including identity scales (they round int32 inputs through fp32 as the hardware does);
* exact products, sums wrapping at the accumulator width;
* ACC_SCALE (R2) then saturation then RELU on elem-width outputs; raw sums on full-width outputs.
"""

from __future__ import annotations

import numpy as np

from .. import arith
from ..config import GemminiConfig
from .conv_geometry import conv_shape, to_nhwc
from .gemm_spec import ACTIVATIONS

__all__ = [
    "acc_read", "conv_reference", "global_average_reference", "matmul_reference", "mvin_scaled",
    "resadd_reference",
]


def mvin_scaled(cfg: GemminiConfig, x, scale: float = 1.0) -> np.ndarray:
    """MVIN_SCALE of elem-width data: R2 to the input width when the config has the scaler."""
    x = np.asarray(x, dtype=np.int64)
    return arith.scale_to_int(x, scale, cfg.input_bits) if cfg.mvin_scale == "fp32" else x


def acc_read(cfg: GemminiConfig, sums, scale: float = 1.0, activation: str = "none",
             full_output: bool = False) -> np.ndarray:
    """An accumulator read: raw (acc dtype) or ACC_SCALE, saturate, activation (input dtype)."""
    sums = arith.wrap(sums, cfg.acc_bits)
    if full_output:
        return sums.astype(cfg.acc_dtype)
    if cfg.acc_scale == "none":
        out = arith.sat(sums, cfg.input_bits)
    else:
        out = arith.scale_to_int(sums, scale, cfg.input_bits)
    return arith.activation(out, ACTIVATIONS[activation]).astype(cfg.input_dtype)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact int64 a @ b modulo 2**64 (int64 matmul wraps; the accumulator keeps fewer bits)."""
    return np.matmul(a.astype(np.int64), b.astype(np.int64))


def matmul_reference(cfg: GemminiConfig, a, b, bias=None, *, a_transpose: bool = False,
                     b_transpose: bool = False, bias_dtype: str = "acc",
                     activation: str = "none", scale: float = 1.0, full_output: bool = False,
                     a_scale: float = 1.0, b_scale: float = 1.0) -> np.ndarray:
    """C = act(scale(A @ B + D)) exactly as `tiled_matmul_auto` with the same options computes it
    (`bias` of shape (M, N) or (N,))."""
    a = mvin_scaled(cfg, np.asarray(a).T if a_transpose else a, a_scale)
    b = mvin_scaled(cfg, np.asarray(b).T if b_transpose else b, b_scale)
    sums = _product(a, b)
    if bias is not None:
        d = mvin_scaled(cfg, bias) if bias_dtype == "elem" else np.asarray(bias, dtype=np.int64)
        sums = sums + d
    return acc_read(cfg, sums, scale, activation, full_output)


def conv_reference(cfg: GemminiConfig, x, w, bias=None, *, layout: str = "NCHW",
                   output_layout: str | None = None, stride=1, padding=0, dilation=1,
                   groups: int = 1, pad_value: int = 0, bias_dtype: str = "acc",
                   activation: str = "none", scale: float = 1.0,
                   full_output: bool = False) -> np.ndarray:
    """A direct (sliding-window) grouped convolution of `x` (NCHW or NHWC) with OIHW weights."""
    x, w = np.asarray(x), np.asarray(w)
    shape = conv_shape(x.shape, w.shape, layout=layout, stride=stride, padding=padding,
                       dilation=dilation, groups=groups)
    top, left, bottom, right = shape.padding
    (sh, sw), (dh, dw) = shape.stride, shape.dilation
    oh, ow, cg, ng = shape.out_height, shape.out_width, shape.group_in, shape.group_out
    image = np.pad(mvin_scaled(cfg, to_nhwc(x, layout)),
                   ((0, 0), (top, bottom), (left, right), (0, 0)),
                   constant_values=int(mvin_scaled(cfg, pad_value)))
    weights = mvin_scaled(cfg, w)
    sums = np.zeros((shape.batch, oh, ow, shape.out_channels), dtype=np.int64)
    for g in range(groups):
        for r in range(shape.kernel[0]):
            for s in range(shape.kernel[1]):
                window = image[:, r * dh:r * dh + (oh - 1) * sh + 1:sh,
                               s * dw:s * dw + (ow - 1) * sw + 1:sw, g * cg:(g + 1) * cg]
                sums[..., g * ng:(g + 1) * ng] += _product(window, weights[g * ng:(g + 1) * ng, :,
                                                                           r, s].T)
    if bias is not None:
        sums += mvin_scaled(cfg, bias) if bias_dtype == "elem" else np.asarray(bias, np.int64)
    out = acc_read(cfg, sums, scale, activation, full_output)
    return out.transpose(0, 3, 1, 2) if (output_layout or layout) == "NCHW" else out


def resadd_reference(cfg: GemminiConfig, a, b, *, a_scale: float = 1.0, b_scale: float = 1.0,
                     scale: float = 1.0, activation: str = "none") -> np.ndarray:
    """C = act(scale(MVIN_SCALE(A, a_scale) + MVIN_SCALE(B, b_scale)))."""
    return acc_read(cfg, mvin_scaled(cfg, a, a_scale) + mvin_scaled(cfg, b, b_scale), scale,
                    activation)


def global_average_reference(cfg: GemminiConfig, x, *, layout: str = "NHWC",
                             activation: str = "none") -> np.ndarray:
    """(N, C): the per-channel sum over all pixels scaled by fp32(1 / (H*W))."""
    nhwc = to_nhwc(mvin_scaled(cfg, x), layout)
    pixels = nhwc.shape[1] * nhwc.shape[2]
    return acc_read(cfg, nhwc.sum(axis=(1, 2)), float(np.float32(1.0 / pixels)), activation)
