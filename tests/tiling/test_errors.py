"""Bad requests raise TilingError with a one-line message naming the problem."""

import numpy as np
import pytest

from gemmini_gen import GemminiConfig, preset
from gemmini_gen.backend import get_backend
from gemmini_gen.tiling import (
    TilingError, plan_conv, plan_matmul, tiled_conv_auto, tiled_global_average,
    tiled_matmul_auto, tiled_resadd,
)

CFG = GemminiConfig()


def fails(match, call, *args, **kwargs):
    with pytest.raises(TilingError, match=match) as info:
        call(*args, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dims,name", [((0, 4, 4), "M"), ((4, -1, 4), "N"), ((4, 4, 1.5), "K"),
                                       ((True, 4, 4), "M")])
def test_non_positive_or_non_integer_dimensions(dims, name):
    fails(f"{name} must be a positive integer", tiled_matmul_auto, CFG, *dims)
    fails(f"{name} must be a positive integer", plan_matmul, CFG, *dims)


@pytest.mark.parametrize("dataflow,a_t,b_t", [("WS", True, True), ("OS", False, True)])
def test_transposes_the_dataflow_forbids(dataflow, a_t, b_t):
    fails(f"{dataflow} does not permit", tiled_matmul_auto, CFG, 8, 8, 8, dataflow=dataflow,
          a_transpose=a_t, b_transpose=b_t)


def test_dataflows():
    fails("has no OS dataflow", tiled_matmul_auto, preset("small_ws"), 8, 8, 8, dataflow="OS")
    fails("has no WS dataflow", plan_matmul, preset("small_os"), 8, 8, 8, dataflow="WS")
    fails("dataflow must be 'WS' or 'OS'", plan_matmul, CFG, 8, 8, 8, dataflow="XS")
    fails("use_loop_ws needs dataflow 'WS'", plan_matmul, CFG, 8, 8, 8, dataflow="OS",
          use_loop_ws=True)
    # An OS-only config defaults to OS.
    assert plan_matmul(preset("small_os"), 8, 8, 8).dataflow == "OS"


@pytest.mark.parametrize("options,match", [
    (dict(full_output=True, activation="relu"), "activation must be 'none' and scale 1.0"),
    (dict(full_output=True, scale=0.5), "activation must be 'none' and scale 1.0"),
    (dict(scale=float("inf")), "scale must be a finite fp32 value"),
    (dict(scale=float("nan")), "scale must be a finite fp32 value"),
    (dict(scale=1e40), "scale must be a finite fp32 value"),
    (dict(scale="0.5"), "scale must be a number"),
    (dict(a_scale=float("inf")), "a_scale must be a finite fp32 value"),
    (dict(activation="gelu"), "activation must be 'none' or 'relu'"),
    (dict(bias="column"), "bias must be None, 'matrix' or 'row'"),
    (dict(bias="row", bias_dtype="int16"), "bias_dtype must be 'acc' or 'elem'"),
])
def test_bad_options(options, match):
    fails(match, tiled_matmul_auto, CFG, 8, 8, 8, **options)


def test_features_the_config_lacks():
    fails("cannot read the accumulator at full width", tiled_matmul_auto, preset("lean"), 8, 8, 8,
          full_output=True)
    fails("has no accumulator scaler", tiled_matmul_auto, CFG.replace(acc_scale="none"), 8, 8, 8,
          scale=0.5)
    fails("has no mvin scaler", tiled_resadd, CFG.replace(mvin_scale="none"), 8, 8, a_scale=2.0)
    fails("has no activation unit", tiled_matmul_auto,
          CFG.replace(has_nonlinear_activations=False), 8, 8, 8, activation="relu")
    fails("has no accumulator scaler", tiled_global_average, CFG.replace(acc_scale="none"),
          (1, 2, 2, 16))
    full_only = CFG.replace(acc_read_small_width=False)
    for call, args in ((tiled_matmul_auto, (8, 8, 8)), (tiled_resadd, (8, 8)),
                       (tiled_global_average, ((1, 2, 2, 16),))):
        fails("can only read the accumulator at full width", call, full_only, *args)
    assert plan_matmul(full_only, 8, 8, 8, full_output=True).counts["mvout"] == 1


def test_output_rows_beyond_the_store_stride():
    fails("exceed the 32-bit store stride", plan_matmul, CFG, 1, 2 ** 32, 1)


def test_bad_inputs_at_run_time(rng):
    tp = tiled_matmul_auto(CFG, 5, 6, 7, bias="row")
    a = rng.integers(-128, 128, (5, 7))
    b = rng.integers(-128, 128, (7, 6))
    d = np.zeros(6, dtype=np.int32)
    fails(r"input 'A' must have shape \(5, 7\), got \(7, 5\)", tp.run, A=a.T, B=b, D=d)
    fails("input 'B' must be an integer array, got float64", tp.run, A=a, B=b * 1.0, D=d)
    fails("input 'A' has values outside the int8 range", tp.run, A=a + 200, B=b, D=d)
    fails("missing input", tp.run, A=a, B=b)
    fails("unknown input", tp.run, A=a, B=b, D=d, E=d)
    fails("was built for config 'small'", tp.run, get_backend("golden", preset("small")),
          A=a, B=b, D=d)


@pytest.mark.parametrize("args,options,match", [
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(layout="CHWN"), "layout must be 'NCHW' or 'NHWC'"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(output_layout="NWHC"), "output_layout must be"),
    (((1, 6, 8, 8), (4, 3, 3, 3)), dict(groups=4), r"groups \(4\) must divide"),
    (((1, 6, 8, 8), (4, 6, 3, 3)), dict(groups=2), "needs 3 input channels per group"),
    (((1, 3, 2, 2), (4, 3, 3, 3)), dict(), "does not fit the padded 2x2 input"),
    (((1, 3, 5, 5), (4, 3, 3, 3)), dict(dilation=3), "does not fit the padded 5x5 input"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(padding=-1), "padding must be"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(padding=(1, 2, 3)), "padding must be"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(stride=0), "stride must be an integer >= 1"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(pad_value=200), "pad_value must be an integer"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(bias="row"), "bias must be True or False"),
    (((1, 3, 8), (4, 3, 3, 3)), dict(), "input shape must be 4 positive integers"),
    (((1, 3, 8, 8), (4, 0, 3, 3)), dict(), "weight shape must be 4 positive integers"),
    (((1, 3, 8, 8), (4, 3, 3, 3)), dict(groups=0), "groups must be a positive integer"),
])
def test_bad_convolutions(args, options, match):
    fails(match, tiled_conv_auto, CFG, *args, **options)
    fails(match, plan_conv, CFG, *args, **options)


def test_bad_resadd_and_pooling():
    fails("N must be a positive integer", tiled_resadd, CFG, 4, 0)
    fails("input shape must be 4 positive integers", tiled_global_average, CFG, (2, 3, 4))
    fails("layout must be 'NCHW' or 'NHWC'", tiled_global_average, CFG, (1, 2, 2, 2),
          layout="HWC")
