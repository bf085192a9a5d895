"""The layers the `gemmini` model is calibrated and validated on, and the design points they run on.

Two disjoint sets of GEMMs and convolutions, sized per array size DIM (every extent is a multiple
or a small offset of DIM, so each set exercises the same tiling situations on DIM 4, 8 and 16):

* `calibration_layers(dim)`: what `fit_params` fits the parameters to;
* `validation_layers(dim)`: held out -- the error reported for the model is measured on these.

Both cover one-block and odd-sized GEMMs, square ones (up to a few dozen steps on DIM 4), tall,
wide and deep (several K steps) ones, GEMMs of one or two rows (fully connected layers), 3x3
convolutions with and without padding, strided ones, pointwise (read in place) and strided 1x1
(im2col) ones, a 7x7 stem, 5x5 kernels, batches of two, depthwise convolutions (one GEMM per
channel), and the output stage's options (no bias, relu, full-width output).  Sizes keep an RTL
run of a layer under about 250,000 cycles on DIM 16 and every program's memory inside the 1 MiB
memory model the RTL regression builds use.

`TARGETS` are the (preset, dataflow) pairs: the CI presets of DIM 4 (`small_os`, `small_ws`, and
`small` with both dataflows) and DIM 8 (`medium`, both), and the default DIM-16 design (both).
"""

from __future__ import annotations

from .layer import ConvShape, Layer

__all__ = ["TARGETS", "calibration_layers", "validation_layers"]

#: (preset name, dataflow) pairs the sets are measured on.
TARGETS = (("small_os", "os"), ("small_ws", "ws"), ("small", "ws"), ("small", "os"),
           ("medium", "ws"), ("medium", "os"), ("default", "ws"), ("default", "os"))


def _conv(name: str, size: int, channels: int, filters: int, kernel: int, *, stride: int = 1,
          pad: int = 0, batch: int = 1, depthwise: bool = False, **output) -> Layer:
    shape = ConvShape.standard(ifmap_h=size, ifmap_w=size, filter_h=kernel, filter_w=kernel,
                               channels=channels, num_filters=filters, stride_h=stride,
                               stride_w=stride, pad_h=pad, pad_w=pad, batch=batch, name=name)
    if depthwise:
        return Layer.depthwise(name, shape, **output)
    return Layer.from_conv(name, shape, **output)


def calibration_layers(dim: int) -> tuple[Layer, ...]:
    """The calibration set for an array of `dim` x `dim` PEs."""
    d = dim
    return (
        Layer.gemm("gemm_block", d, d, d),
        Layer.gemm("gemm_odd", 2 * d + 3, d + 5, 3 * d - 1),
        Layer.gemm("gemm_square", 16 * d, 16 * d, 16 * d),
        Layer.gemm("gemm_large", 24 * d, 24 * d, 24 * d),
        Layer.gemm("gemm_tall", 64 * d, 2 * d, 4 * d, relu=True),
        Layer.gemm("gemm_wide", 2 * d, 40 * d, 6 * d),
        Layer.gemm("gemm_deep", 4 * d, 4 * d, 128 * d, bias=False),
        Layer.gemm("fc_row", 1, 16 * d, 32 * d),
        Layer.gemm("gemm_full", 6 * d, 5 * d, 9 * d, full_output=True),
        _conv("conv3x3", 2 * d, 2 * d, 4 * d, 3, pad=1, relu=True),
        _conv("conv3x3_s2", 2 * d + 1, d + 2, 3 * d, 3, stride=2, pad=1),
        _conv("conv1x1", 2 * d, 4 * d, 6 * d, 1),
        _conv("conv1x1_s2", 3 * d, 2 * d, 4 * d, 1, stride=2, full_output=True),
        _conv("conv7x7_stem", 4 * d, 3, d, 7, stride=2, pad=3),
        _conv("conv5x5", 2 * d, d, 2 * d, 5),
        _conv("conv3x3_batch2", d + 2, d, 2 * d, 3, pad=1, batch=2, bias=False),
        _conv("dw3x3", 2 * d, 2 * d, 1, 3, pad=1, depthwise=True),
        _conv("dw3x3_s2", 3 * d, d, 1, 3, stride=2, pad=1, depthwise=True, relu=True),
    )


def validation_layers(dim: int) -> tuple[Layer, ...]:
    """The held-out validation set for an array of `dim` x `dim` PEs (no shape in common with
    the calibration set)."""
    d = dim
    return (
        Layer.gemm("gemm_3block", 3 * d, 3 * d, 3 * d, relu=True),
        Layer.gemm("gemm_odd2", 5 * d + 1, 2 * d + 7, 7 * d + 3),
        Layer.gemm("gemm_square2", 12 * d, 12 * d, 12 * d),
        Layer.gemm("gemm_large2", 20 * d, 28 * d, 24 * d),
        Layer.gemm("gemm_tall2", 48 * d, 4 * d, 2 * d, bias=False),
        Layer.gemm("gemm_wide2", 4 * d, 24 * d, 8 * d, full_output=True),
        Layer.gemm("gemm_deep2", 2 * d, 6 * d, 96 * d),
        Layer.gemm("fc_2rows", 2, 20 * d, 24 * d),
        _conv("conv3x3_b", 3 * d, d, 3 * d, 3, pad=1),
        _conv("conv3x3_s2_nopad", 3 * d, 2 * d, 2 * d, 3, stride=2),
        _conv("conv1x1_b", 3 * d, 3 * d, 2 * d, 1, relu=True),
        _conv("conv1x1_s2_b", 4 * d, d, 3 * d, 1, stride=2),
        _conv("conv5x5_pad", 2 * d - 1, d, d, 5, pad=2),
        _conv("conv3x3_batch2_full", d, 2 * d, d, 3, pad=1, batch=2, full_output=True),
        _conv("dw3x3_nobias", 3 * d, d, 1, 3, pad=1, depthwise=True, bias=False),
        _conv("dw5x5", 2 * d, d, 1, 5, pad=2, depthwise=True),
    )
