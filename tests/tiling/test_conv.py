"""tiled_conv_auto on the golden backend against a direct (sliding-window) numpy convolution:
layouts, strides, padding, dilation, groups, depthwise, pointwise direct path vs im2col, bias,
activation, scale, full-width output."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gemmini_gen.tiling import conv_reference, plan_conv, tiled_conv_auto


def nhwc(shape):
    n, c, h, w = shape
    return n, h, w, c


def run_conv(cfg, rng, random_ints, check, input_nchw, weight_shape, layout="NCHW", **options):
    input_shape = input_nchw if layout == "NCHW" else nhwc(input_nchw)
    x = random_ints(rng, input_shape, cfg)
    w = random_ints(rng, weight_shape, cfg)
    inputs = {"input": x, "weight": w}
    if options.get("bias"):
        kind = options.get("bias_dtype", "acc")
        inputs["bias"] = random_ints(rng, (weight_shape[0],), cfg, kind,
                                     *((None, None) if kind == "elem" else (-30000, 30000)))
    tp = tiled_conv_auto(cfg, input_shape, weight_shape, layout=layout, **options)
    ref = {k: v for k, v in options.items()
           if k not in ("bias", "dataflow", "direct_1x1", "tiles", "use_loop_ws")}
    expected = conv_reference(cfg, x, w, inputs.get("bias"), layout=layout, **ref)
    run = check(tp, expected, **inputs)
    assert plan_conv(cfg, input_shape, weight_shape, layout=layout, **options).counts == \
        tp.plan.counts
    return tp, run


CONVS = {
    "3x3-pad1": ((2, 3, 9, 8), (5, 3, 3, 3), dict(padding=1)),
    "strided-asym-pad": ((1, 4, 11, 9), (6, 4, 3, 2), dict(stride=(2, 3), padding=(1, 0, 2, 1))),
    "dilated": ((1, 5, 10, 10), (4, 5, 3, 3), dict(dilation=2, padding=2)),
    "grouped": ((2, 6, 7, 7), (9, 2, 3, 3), dict(groups=3, padding=1, stride=2)),
    "depthwise": ((2, 8, 6, 5), (8, 1, 3, 3), dict(groups=8, padding=1)),
    "depthwise-x2": ((1, 4, 5, 5), (8, 1, 5, 5), dict(groups=4, padding=2)),
    "pointwise": ((2, 20, 5, 4), (7, 20, 1, 1), dict()),
    "pointwise-grouped": ((2, 12, 3, 5), (8, 3, 1, 1), dict(groups=4)),
    "pointwise-strided": ((1, 6, 7, 7), (5, 6, 1, 1), dict(stride=2)),
    "kernel=input": ((3, 2, 4, 4), (3, 2, 4, 4), dict()),
}


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("case", sorted(CONVS))
def test_convolutions(cfg, rng, random_ints, check, case, layout):
    x_shape, w_shape, options = CONVS[case]
    run_conv(cfg, rng, random_ints, check, x_shape, w_shape, layout, bias=True,
             activation="relu", scale=0.0007, **options)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_pointwise_skips_im2col(configs, rng, random_ints, check, layout):
    cfg = configs["dim8"]
    direct, _ = run_conv(cfg, rng, random_ints, check, (2, 20, 6, 5), (12, 20, 1, 1), layout,
                         scale=0.001)
    copied, _ = run_conv(cfg, rng, random_ints, check, (2, 20, 6, 5), (12, 20, 1, 1), layout,
                         scale=0.001, direct_1x1=False)
    assert direct.inputs["input"].region == "input" and direct.inputs["input"].encode is None
    assert copied.inputs["input"].region == "im2col"
    if layout == "NCHW":        # one transposed-A job per image: the input is read in place
        assert len(direct.plan.jobs) == 2 and direct.program.comment.startswith("pointwise")


@pytest.mark.parametrize("output_layout", ["NCHW", "NHWC"])
def test_output_layout_and_padding_value(configs, rng, random_ints, check, output_layout):
    run_conv(configs["dim4"], rng, random_ints, check, (1, 3, 6, 6), (4, 3, 3, 3), "NHWC",
             padding=2, pad_value=-7, output_layout=output_layout, scale=0.002)


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
def test_dataflows_and_full_width(configs, rng, random_ints, check, dataflow):
    cfg = configs["tiny"]                      # tiny memories: many tiles per group
    run_conv(cfg, rng, random_ints, check, (2, 6, 8, 7), (10, 3, 3, 3), groups=2, padding=1,
             dataflow=dataflow, bias=True, full_output=True)
    run_conv(cfg, rng, random_ints, check, (1, 5, 6, 6), (7, 5, 2, 2), dataflow=dataflow,
             bias=True, bias_dtype="elem", scale=0.01)


def test_loop_ws_conv(configs, rng, random_ints, check):
    run_conv(configs["dim4"], rng, random_ints, check, (2, 4, 6, 6), (6, 2, 3, 3), groups=2,
             padding=1, bias=True, scale=0.002, use_loop_ws=True)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       groups=st.integers(1, 3), out_per_group=st.integers(1, 4), kh=st.integers(1, 3),
       kw=st.integers(1, 3), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       pad=st.integers(0, 2), layout=st.sampled_from(["NCHW", "NHWC"]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_random_convolutions(configs, random_ints, check, n, c, h, w, groups, out_per_group, kh,
                             kw, stride, dilation, pad, layout, seed):
    assume(h + 2 * pad >= dilation * (kh - 1) + 1)      # the kernel fits (else: test_errors)
    assume(w + 2 * pad >= dilation * (kw - 1) + 1)
    run_conv(configs["dim4"], np.random.default_rng(seed), random_ints, check,
             (n, c * groups, h, w), (out_per_group * groups, c, kh, kw), layout, stride=stride,
             dilation=dilation, padding=pad, groups=groups, bias=True, scale=0.003)
