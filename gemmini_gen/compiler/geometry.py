"""Sliding-window geometry shared by convolution (im2col) and pooling, for any number of spatial dims.

`Window` holds the ONNX attributes (kernel_shape, strides, dilations, pads or auto_pad, ceil_mode) and
resolves them against an input's spatial shape with ONNX's rules, including the ceil-mode rule that a
window may not start inside the end padding.  `extract_windows` returns every window as extra axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import ModelError

__all__ = ["Window", "ResolvedWindow", "extract_windows"]

_AUTO_PADS = ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")


@dataclass(frozen=True)
class ResolvedWindow:
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]
    out_shape: tuple[int, ...]
    extra_end: tuple[int, ...]      # positions past the end padding that ceil-mode windows overhang


@dataclass(frozen=True)
class Window:
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads: tuple[int, ...]           # ONNX order: all begins, then all ends
    auto_pad: str = "NOTSET"
    ceil_mode: bool = False

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any], kernel: tuple[int, ...], where: str) -> "Window":
        rank = len(kernel)
        strides = tuple(attrs.get("strides", (1,) * rank))
        dilations = tuple(attrs.get("dilations", (1,) * rank))
        pads = tuple(attrs.get("pads", (0,) * (2 * rank)))
        auto_pad = attrs.get("auto_pad", "NOTSET")
        if auto_pad not in _AUTO_PADS:
            raise ModelError(f"{where}: auto_pad {auto_pad!r} is not one of {', '.join(_AUTO_PADS)}")
        if len(strides) != rank or len(dilations) != rank or len(pads) != 2 * rank:
            raise ModelError(f"{where}: strides/dilations/pads do not match the {rank}-d kernel")
        if min(kernel + strides + dilations) < 1 or min(pads) < 0:
            raise ModelError(f"{where}: kernel, strides and dilations must be >= 1 and pads >= 0")
        return cls(tuple(kernel), strides, dilations, pads, auto_pad, bool(attrs.get("ceil_mode", 0)))

    @property
    def rank(self) -> int:
        return len(self.kernel)

    def effective_kernel(self) -> tuple[int, ...]:
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel, self.dilations))

    def resolve(self, spatial: tuple[int, ...], where: str) -> ResolvedWindow:
        begins, ends, outs, extras = [], [], [], []
        for axis, (size, k, s) in enumerate(zip(spatial, self.effective_kernel(), self.strides)):
            if self.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
                out = math.ceil(size / s)
                total = max((out - 1) * s + k - size, 0)
                small, large = total // 2, total - total // 2
                begin, end = (small, large) if self.auto_pad == "SAME_UPPER" else (large, small)
            else:
                begin, end = (0, 0) if self.auto_pad == "VALID" else (self.pads[axis],
                                                                       self.pads[axis + self.rank])
                span = size + begin + end - k
                if span < 0:
                    raise ModelError(f"{where}: the kernel ({k} with dilation) is larger than the "
                                     f"padded input ({size + begin + end}) on spatial axis {axis}")
                out = (-(-span // s) if self.ceil_mode else span // s) + 1
                if self.ceil_mode and (out - 1) * s >= size + begin:
                    out -= 1                      # the last window would start in the end padding
            begins.append(begin)
            ends.append(end)
            outs.append(out)
            extras.append(max((out - 1) * s + k - (size + begin + end), 0))
        return ResolvedWindow(tuple(begins), tuple(ends), tuple(outs), tuple(extras))


def extract_windows(x: np.ndarray, window: Window, resolved: ResolvedWindow, pad_value,
                    overhang_value=None) -> np.ndarray:
    """Windows of `x` (N, C, *spatial) as an array (N, C, *out_shape, *kernel).

    Padding takes `pad_value`; the ceil-mode overhang past the end padding takes `overhang_value`
    (default: `pad_value`).
    """
    rank = window.rank
    overhang = pad_value if overhang_value is None else overhang_value
    widths = [(0, 0), (0, 0)] + [(b, e) for b, e in zip(resolved.pads_begin, resolved.pads_end)]
    padded = np.pad(x, widths, constant_values=pad_value)
    if any(resolved.extra_end):
        padded = np.pad(padded, [(0, 0), (0, 0)] + [(0, e) for e in resolved.extra_end],
                        constant_values=overhang)
    axes = tuple(range(2, 2 + rank))
    views = sliding_window_view(padded, window.effective_kernel(), axis=axes)
    index = (slice(None), slice(None))
    index += tuple(slice(None, (o - 1) * s + 1, s) for o, s in zip(resolved.out_shape, window.strides))
    index += tuple(slice(None, None, d) for d in window.dilations)
    return views[index]
