"""`Layer`: one matrix-multiply-shaped piece of work, the unit every performance model consumes.

Every workload source (SCALE-Sim topology CSVs, layer-list TOML files, the ONNX compiler's lowering)
produces layers of three kinds:

* `gemm`: C[M, N] = A[M, K] @ B[K, N].
* `conv`: a 2-D convolution mapped by im2col: M = batch * output pixels, N = output channels,
  K = filter_h * filter_w * input channels.  The `ConvShape` is kept so models that do not im2col
  (the Gemmini conv loop, DRAM traffic of the input feature map) can use the original geometry.
* `depthwise`: `groups` independent convolutions of one input channel each (SCALE-Sim's `DP`
  layers): per group M = batch * output pixels, N = filters per channel, K = filter_h * filter_w.

M, N and K always describe ONE GEMM; `groups` says how many identical GEMMs the layer runs.

The output stage is part of the layer: `bias` (an int32 bias per output channel, default on, as in
the compiler's quantized layers), `relu`, and `full_output` (raw int32 results instead of
input-width ones).  Models that time the accelerator's data movement (`gemmini` mode) use them;
SCALE-Sim's model ignores them.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass

__all__ = ["ConvShape", "Layer", "LayerError", "LayerKind"]


class LayerError(ValueError):
    """A layer with impossible dimensions (one-line message naming the layer and the field)."""


class LayerKind(str, enum.Enum):
    GEMM = "gemm"
    CONV = "conv"
    DEPTHWISE = "depthwise"

    def __str__(self) -> str:
        return self.value


def _check_positive(owner: str, **values: int) -> None:
    for field_name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise LayerError(f"{owner}: {field_name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class ConvShape:
    """Geometry of a 2-D convolution (NHWC, square or rectangular filters, no dilation).

    `ofmap_h`/`ofmap_w` are stored, not derived, because two conventions exist: the usual
    floor((H + 2*pad - F) / stride) + 1 (ONNX, the compiler) and SCALE-Sim's
    ceil((H - F + stride) / stride), which counts a partial window at the right/bottom edge.
    Use `ConvShape.standard` or `ConvShape.scalesim` to get the one you mean.
    """

    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filters: int
    stride_h: int
    stride_w: int
    ofmap_h: int
    ofmap_w: int
    pad_h: int = 0
    pad_w: int = 0
    batch: int = 1

    @classmethod
    def standard(cls, *, ifmap_h: int, ifmap_w: int, filter_h: int, filter_w: int, channels: int,
                 num_filters: int, stride_h: int = 1, stride_w: int = 1, pad_h: int = 0,
                 pad_w: int = 0, batch: int = 1, name: str = "conv") -> "ConvShape":
        """A convolution with symmetric zero padding and floor rounding (ONNX semantics)."""
        _check_positive(name, ifmap_h=ifmap_h, ifmap_w=ifmap_w, filter_h=filter_h,
                        filter_w=filter_w, stride_h=stride_h, stride_w=stride_w)
        for label, pad in (("pad_h", pad_h), ("pad_w", pad_w)):
            if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
                raise LayerError(f"{name}: {label} must be a non-negative integer, got {pad!r}")
        oh = (ifmap_h + 2 * pad_h - filter_h) // stride_h + 1
        ow = (ifmap_w + 2 * pad_w - filter_w) // stride_w + 1
        return cls(ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride_h,
                   stride_w, oh, ow, pad_h, pad_w, batch)._validated(name)

    @classmethod
    def scalesim(cls, *, ifmap_h: int, ifmap_w: int, filter_h: int, filter_w: int, channels: int,
                 num_filters: int, stride_h: int, stride_w: int, batch: int = 1,
                 name: str = "conv") -> "ConvShape":
        """A convolution as a SCALE-Sim topology row describes it (input already padded)."""
        _check_positive(name, ifmap_h=ifmap_h, ifmap_w=ifmap_w, filter_h=filter_h,
                        filter_w=filter_w, stride_h=stride_h, stride_w=stride_w)
        oh = math.ceil((ifmap_h - filter_h + stride_h) / stride_h)
        ow = math.ceil((ifmap_w - filter_w + stride_w) / stride_w)
        return cls(ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride_h,
                   stride_w, oh, ow, 0, 0, batch)._validated(name)

    def _validated(self, name: str) -> "ConvShape":
        _check_positive(name, channels=self.channels, num_filters=self.num_filters,
                        batch=self.batch)
        if self.filter_h > self.ifmap_h + 2 * self.pad_h:
            raise LayerError(f"{name}: filter height {self.filter_h} exceeds the (padded) ifmap "
                             f"height {self.ifmap_h + 2 * self.pad_h}")
        if self.filter_w > self.ifmap_w + 2 * self.pad_w:
            raise LayerError(f"{name}: filter width {self.filter_w} exceeds the (padded) ifmap "
                             f"width {self.ifmap_w + 2 * self.pad_w}")
        return self

    @property
    def ofmap_pixels(self) -> int:
        return self.ofmap_h * self.ofmap_w

    def touched_ifmap_elements(self) -> int:
        """Distinct (unpadded) input elements that some window reads, over the whole batch.

        This is the compulsory DRAM traffic for the input feature map: with stride > filter some
        rows/columns are never read, and SCALE-Sim's partial edge window reads only what exists."""
        rows = _touched(self.ifmap_h, self.pad_h, self.filter_h, self.stride_h, self.ofmap_h)
        cols = _touched(self.ifmap_w, self.pad_w, self.filter_w, self.stride_w, self.ofmap_w)
        return self.batch * rows * cols * self.channels


def _touched(size: int, pad: int, filt: int, stride: int, out: int) -> int:
    """Number of indices in [0, size) covered by windows [o*stride - pad, o*stride - pad + filt)."""
    if stride >= filt:      # disjoint windows
        return sum(max(0, min(size, o * stride - pad + filt) - max(0, o * stride - pad))
                   for o in range(out))
    first = -pad
    last = (out - 1) * stride - pad + filt
    return max(0, min(size, last) - max(0, first))


@dataclass(frozen=True)
class Layer:
    """One GEMM-shaped layer; build it with `Layer.gemm`, `Layer.conv` or `Layer.depthwise`."""

    name: str
    kind: LayerKind
    M: int
    N: int
    K: int
    groups: int = 1
    conv: ConvShape | None = None
    bias: bool = True
    relu: bool = False
    full_output: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise LayerError(f"layer name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.kind, LayerKind):
            try:
                object.__setattr__(self, "kind", LayerKind(self.kind))
            except ValueError:
                raise LayerError(f"{self.name}: kind must be one of gemm, conv, depthwise, "
                                 f"got {self.kind!r}") from None
        _check_positive(self.name, M=self.M, N=self.N, K=self.K, groups=self.groups)
        for flag in ("bias", "relu", "full_output"):
            if not isinstance(getattr(self, flag), bool):
                raise LayerError(f"{self.name}: {flag} must be true or false, got "
                                 f"{getattr(self, flag)!r}")
        if self.relu and self.full_output:
            raise LayerError(f"{self.name}: a full-width output is raw int32 and takes no relu")
        if (self.kind is LayerKind.GEMM) != (self.conv is None):
            raise LayerError(f"{self.name}: a {self.kind} layer "
                             f"{'must not' if self.kind is LayerKind.GEMM else 'must'} carry a "
                             f"ConvShape")

    @classmethod
    def gemm(cls, name: str, M: int, N: int, K: int, **output) -> "Layer":
        """`output`: the output-stage options `bias`, `relu`, `full_output`."""
        return cls(name, LayerKind.GEMM, M, N, K, **output)

    @classmethod
    def from_conv(cls, name: str, shape: ConvShape, **output) -> "Layer":
        """A dense convolution, im2col-mapped."""
        return cls(name, LayerKind.CONV, shape.batch * shape.ofmap_pixels, shape.num_filters,
                   shape.filter_h * shape.filter_w * shape.channels, 1, shape, **output)

    @classmethod
    def depthwise(cls, name: str, shape: ConvShape, **output) -> "Layer":
        """One single-channel convolution per input channel, `num_filters` filters each
        (SCALE-Sim's reading of a `DP` row)."""
        return cls(name, LayerKind.DEPTHWISE, shape.batch * shape.ofmap_pixels,
                   shape.num_filters, shape.filter_h * shape.filter_w, shape.channels, shape,
                   **output)

    @property
    def macs(self) -> int:
        return self.groups * self.M * self.N * self.K

    def input_elements(self) -> int:
        """Distinct A-operand elements (the input feature map for convolutions)."""
        return self._input_elements

    @functools.cached_property
    def _input_elements(self) -> int:
        if self.conv is None:
            return self.M * self.K
        return self.conv.touched_ifmap_elements()

    def weight_elements(self) -> int:
        return self.groups * self.K * self.N

    def output_elements(self) -> int:
        return self.groups * self.M * self.N

    @classmethod
    def from_dict(cls, data: dict) -> "Layer":
        """The layer `to_dict` described (LayerError for a malformed description)."""
        try:
            conv = ConvShape(**data["conv"]) if data.get("conv") is not None else None
            return cls(data["name"], data["kind"], data["M"], data["N"], data["K"],
                       data.get("groups", 1), conv, data.get("bias", True),
                       data.get("relu", False), data.get("full_output", False))
        except (KeyError, TypeError) as e:
            raise LayerError(f"malformed layer description {data!r}: {e}") from None

    def to_dict(self) -> dict:
        out = {"name": self.name, "kind": self.kind.value, "M": self.M, "N": self.N, "K": self.K,
               "groups": self.groups}
        if self.conv is not None:
            out["conv"] = dict(vars(self.conv))
        # Output-stage options only when they differ from the defaults, so the dictionaries (and
        # the workload hashes made from them) of layers without such options stay as they were.
        out.update({flag: value for flag, value, default in (
            ("bias", self.bias, True), ("relu", self.relu, False),
            ("full_output", self.full_output, False)) if value != default})
        return out
