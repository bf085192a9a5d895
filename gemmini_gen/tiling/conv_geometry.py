"""The geometry of a 2-D convolution and its host-side lowering to GEMMs (im2col, weight reshape).

Conventions: the input is NCHW or NHWC; weights are OIHW, (out_channels, in_channels / groups,
kernel_h, kernel_w), as in ONNX and PyTorch; `padding` is an int, (pad_h, pad_w) or ONNX-style
(top, left, bottom, right); `stride` and `dilation` are an int or (h, w).  Padding pixels hold
`pad_value` (0, or a folded input zero point).

Lowering: group g is the GEMM im2col_g (M x Kg) @ W_g (Kg x Ng) with M = N * OH * OW output pixels,
Kg = KH * KW * Cg in (kh, kw, c) order and Ng = out_channels / groups; the im2col matrix of all
groups is one M x (groups * Kg) array with group g in columns [g*Kg, (g+1)*Kg), so every group
shares one row pitch.  Depthwise convolution is groups == in_channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TilingError

__all__ = ["ConvShape", "conv_shape", "im2col", "to_nhwc", "weight_matrices"]

LAYOUTS = ("NCHW", "NHWC")


def _pair(name: str, value, low: int) -> tuple[int, int]:
    values = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                               or v < low for v in values):
        raise TilingError(f"{name} must be an integer >= {low} or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


def _padding(value) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) from an int, (pad_h, pad_w) or (top, left, bottom, right)."""
    values = [value] if isinstance(value, (int, np.integer)) else list(value)
    if len(values) not in (1, 2, 4) or any(
            isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 for v in values):
        raise TilingError(f"padding must be a non-negative int, (pad_h, pad_w) or (top, left, "
                          f"bottom, right), got {value!r}")
    if len(values) == 1:
        values *= 4
    elif len(values) == 2:
        values *= 2
    return tuple(int(v) for v in values)


@dataclass(frozen=True)
class ConvShape:
    """A validated convolution: sizes, kernel geometry and output size."""

    batch: int
    in_channels: int
    height: int
    width: int
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]            # top, left, bottom, right
    dilation: tuple[int, int]
    groups: int
    layout: str                                   # of the input: "NCHW" or "NHWC"
    out_height: int
    out_width: int

    @property
    def group_in(self) -> int:
        return self.in_channels // self.groups

    @property
    def group_out(self) -> int:
        return self.out_channels // self.groups

    @property
    def group_k(self) -> int:
        """Inner dimension of one group's GEMM: KH * KW * Cg."""
        return self.kernel[0] * self.kernel[1] * self.group_in

    @property
    def pixels(self) -> int:
        """Output pixels over the whole batch: the M of the im2col GEMM."""
        return self.batch * self.out_height * self.out_width

    @property
    def is_pointwise(self) -> bool:
        """A 1x1, stride-1, unpadded convolution: the input itself is the GEMM's A."""
        return self.kernel == (1, 1) and self.stride == (1, 1) and not any(self.padding)

    def input_shape(self) -> tuple[int, int, int, int]:
        n, c, h, w = self.batch, self.in_channels, self.height, self.width
        return (n, c, h, w) if self.layout == "NCHW" else (n, h, w, c)

    def weight_shape(self) -> tuple[int, int, int, int]:
        return self.out_channels, self.group_in, *self.kernel

    def output_shape(self, layout: str) -> tuple[int, int, int, int]:
        n, c, h, w = self.batch, self.out_channels, self.out_height, self.out_width
        return (n, c, h, w) if layout == "NCHW" else (n, h, w, c)


def conv_shape(input_shape, weight_shape, *, layout: str = "NCHW", stride=1, padding=0,
               dilation=1, groups: int = 1) -> ConvShape:
    """Validate a convolution's arguments (TilingError names the first problem)."""
    if layout not in LAYOUTS:
        raise TilingError(f"layout must be 'NCHW' or 'NHWC', got {layout!r}")
    shape, wshape = tuple(input_shape), tuple(weight_shape)
    for name, s in (("input shape", shape), ("weight shape", wshape)):
        if len(s) != 4 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                              or v < 1 for v in s):
            raise TilingError(f"{name} must be 4 positive integers, got {s!r}")
    n, c, h, w = shape if layout == "NCHW" else (shape[0], shape[3], shape[1], shape[2])
    out_c, group_in, kh, kw = wshape
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise TilingError(f"groups must be a positive integer, got {groups!r}")
    if c % groups or out_c % groups:
        raise TilingError(f"groups ({groups}) must divide the input channels ({c}) and the "
                          f"output channels ({out_c})")
    if group_in != c // groups:
        raise TilingError(f"weight shape {wshape} needs {c // groups} input channels per group "
                          f"(input has {c} channels in {groups} groups), got {group_in}")
    sh, sw = _pair("stride", stride, 1)
    dh, dw = _pair("dilation", dilation, 1)
    pads = _padding(padding)
    oh = (h + pads[0] + pads[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (w + pads[1] + pads[3] - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise TilingError(f"the {kh}x{kw} kernel (dilation {dh}x{dw}) does not fit the padded "
                          f"{h + pads[0] + pads[2]}x{w + pads[1] + pads[3]} input")
    return ConvShape(int(n), int(c), int(h), int(w), int(out_c), (int(kh), int(kw)), (sh, sw),
                     pads, (dh, dw), int(groups), layout, oh, ow)


def to_nhwc(x: np.ndarray, layout: str) -> np.ndarray:
    return x.transpose(0, 2, 3, 1) if layout == "NCHW" else x


def im2col(x: np.ndarray, shape: ConvShape, pad_value: int = 0) -> np.ndarray:
    """The M x (groups * Kg) im2col matrix of input `x` (in `shape.layout`): row = output pixel
    (n, oh, ow), columns = (group, kh, kw, c)."""
    nhwc = to_nhwc(x, shape.layout)
    top, left, bottom, right = shape.padding
    padded = np.full((shape.batch, shape.height + top + bottom, shape.width + left + right,
                      shape.in_channels), pad_value, dtype=x.dtype)
    padded[:, top:top + shape.height, left:left + shape.width] = nhwc
    (kh, kw), (sh, sw), (dh, dw) = shape.kernel, shape.stride, shape.dilation
    oh, ow = shape.out_height, shape.out_width
    taps = [padded[:, r * dh:r * dh + (oh - 1) * sh + 1:sh, s * dw:s * dw + (ow - 1) * sw + 1:sw]
            for r in range(kh) for s in range(kw)]
    cols = np.stack(taps, axis=3)                                   # N, OH, OW, taps, C
    cols = cols.reshape(shape.pixels, kh * kw, shape.groups, shape.group_in)
    return np.ascontiguousarray(cols.transpose(0, 2, 1, 3)).reshape(shape.pixels, -1)


def weight_matrices(w: np.ndarray, shape: ConvShape) -> np.ndarray:
    """OIHW weights as (groups, Kg, Ng): group g's B with rows in (kh, kw, c) order."""
    g, ng, cg = shape.groups, shape.group_out, shape.group_in
    kh, kw = shape.kernel
    return np.ascontiguousarray(
        w.reshape(g, ng, cg, kh, kw).transpose(0, 3, 4, 2, 1)).reshape(g, kh * kw * cg, ng)
