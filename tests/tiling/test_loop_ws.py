"""use_loop_ws=True (one LOOP_WS per outer tile, golden backend) gives exactly the explicit
program's result, and its plan counts the commands LOOP_WS expands into."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen.tiling import matmul_reference, tiled_matmul_auto, tiled_resadd


def both_modes(cfg, check, inputs, expected, M, N, K, **options):
    outputs = []
    for loop in (False, True):
        tp = tiled_matmul_auto(cfg, M, N, K, use_loop_ws=loop, **options)
        outputs.append(check(tp, expected, **inputs).output)
    assert np.array_equal(outputs[0], outputs[1])
    return tp


@pytest.mark.parametrize("options", [
    dict(),
    dict(bias="matrix", activation="relu", scale=0.01),
    dict(bias="row", bias_dtype="elem", scale=0.02),
    dict(bias="row", full_output=True),
    dict(a_transpose=True, bias="matrix", scale=0.01),
    dict(b_transpose=True, scale=0.01),
], ids=["plain", "bias-relu", "row-elem-bias", "full", "a-transposed", "b-transposed"])
def test_loop_ws_matches_explicit(configs, rng, random_ints, check, options):
    cfg = configs["tiny"]                    # many outer tiles, K split in several LOOP_WS
    M, N, K = 30, 27, 75
    a_t, b_t = options.get("a_transpose", False), options.get("b_transpose", False)
    inputs = {"A": random_ints(rng, (K, M) if a_t else (M, K), cfg),
              "B": random_ints(rng, (N, K) if b_t else (K, N), cfg)}
    if "bias" in options:
        shape = (M, N) if options["bias"] == "matrix" else (N,)
        inputs["D"] = random_ints(rng, shape, cfg, options.get("bias_dtype", "acc"), -999, 999)
    ref = {k: v for k, v in options.items() if k != "bias"}
    expected = matmul_reference(cfg, inputs["A"], inputs["B"], inputs.get("D"), **ref)
    tp = both_modes(cfg, check, inputs, expected, M, N, K, **options)
    assert tp.plan.grids[0][2] > 1
    assert tp.program.counts()["loop_ws"] == tp.plan.steps
    assert "compute_preloaded" not in tp.program.counts()


@settings(max_examples=15, deadline=None)
@given(M=st.integers(1, 50), N=st.integers(1, 50), K=st.integers(1, 90),
       seed=st.integers(0, 2 ** 32 - 1))
def test_loop_ws_random_shapes(configs, random_ints, check, M, N, K, seed):
    cfg = configs["dim4"]
    rng = np.random.default_rng(seed)
    a, b = random_ints(rng, (M, K), cfg), random_ints(rng, (K, N), cfg)
    d = random_ints(rng, (N,), cfg, "acc", -5000, 5000)
    expected = matmul_reference(cfg, a, b, d, activation="relu", scale=0.01)
    both_modes(cfg, check, {"A": a, "B": b, "D": d}, expected, M, N, K, bias="row",
               activation="relu", scale=0.01)


def test_resadd_loop_ws_matches_explicit(configs, rng, random_ints):
    cfg = configs["tiny"]
    a, b = random_ints(rng, (21, 37), cfg), random_ints(rng, (21, 37), cfg)
    runs = [tiled_resadd(cfg, 21, 37, a_scale=0.5, scale=1.5, use_loop_ws=loop).run(A=a, B=b)
            for loop in (False, True)]
    assert np.array_equal(runs[0].output, runs[1].output)
    assert runs[1].result.stats.instructions["loop_ws"] > 1
