"""tiled_matmul_auto on the golden backend against the numpy int64 reference, whole arrays, over
shapes (non-multiples of DIM, vectors, K = 1, tall and skinny, larger than the memories) and
options (dataflows, bias kinds and widths, transposes, activation, scales, full-width output)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen import GemminiConfig
from gemmini_gen.tiling import matmul_reference, plan_matmul, tiled_matmul_auto

TRANSPOSES = {"WS": [(False, False), (True, False), (False, True)],
              "OS": [(False, False), (True, False), (True, True)]}


def operands(rng, random_ints, cfg, M, N, K, a_transpose=False, b_transpose=False, bias=None,
             bias_dtype="acc"):
    a = random_ints(rng, (K, M) if a_transpose else (M, K), cfg)
    b = random_ints(rng, (N, K) if b_transpose else (K, N), cfg)
    inputs = {"A": a, "B": b}
    if bias:
        shape = (M, N) if bias == "matrix" else (N,)
        inputs["D"] = random_ints(rng, shape, cfg, "elem" if bias_dtype == "elem" else "acc",
                                  *((None, None) if bias_dtype == "elem" else (-50000, 50000)))
    return inputs


def run_case(cfg, rng, random_ints, check, M, N, K, **options):
    inputs = operands(rng, random_ints, cfg, M, N, K, options.get("a_transpose", False),
                      options.get("b_transpose", False), options.get("bias"),
                      options.get("bias_dtype", "acc"))
    tp = tiled_matmul_auto(cfg, M, N, K, **options)
    ref_options = {k: v for k, v in options.items() if k not in ("bias", "dataflow", "tiles",
                                                                 "use_loop_ws")}
    expected = matmul_reference(cfg, inputs["A"], inputs["B"], inputs.get("D"), **ref_options)
    return check(tp, expected, **inputs)


SHAPES = [(1, 1, 1), (1, 37, 20), (37, 1, 20), (20, 30, 1), (5, 7, 9), (64, 64, 64),
          (130, 20, 70), (300, 3, 50), (3, 300, 50), (20, 20, 600)]


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_shapes(cfg, rng, random_ints, check, shape, dataflow):
    run_case(cfg, rng, random_ints, check, *shape, dataflow=dataflow, bias="matrix",
             activation="relu", scale=0.004)


@pytest.mark.parametrize("bias,bias_dtype", [(None, "acc"), ("matrix", "acc"), ("matrix", "elem"),
                                             ("row", "acc"), ("row", "elem")])
@pytest.mark.parametrize("dataflow", ["WS", "OS"])
def test_bias_kinds(configs, rng, random_ints, check, dataflow, bias, bias_dtype):
    run_case(configs["tiny"], rng, random_ints, check, 23, 29, 41, dataflow=dataflow, bias=bias,
             bias_dtype=bias_dtype, scale=0.01)


@pytest.mark.parametrize("dataflow,transposes",
                         [(df, t) for df, ts in TRANSPOSES.items() for t in ts])
def test_transposes(configs, rng, random_ints, check, dataflow, transposes):
    for name in ("tiny", "dim8"):
        run_case(configs[name], rng, random_ints, check, 45, 19, 70, dataflow=dataflow,
                 a_transpose=transposes[0], b_transpose=transposes[1], bias="row", scale=0.02)


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
def test_full_width_output_wraps_like_the_accumulator(configs, rng, random_ints, check, dataflow):
    cfg = configs["dim4"]
    M, N, K = 21, 18, 33
    a, b = random_ints(rng, (M, K), cfg), random_ints(rng, (K, N), cfg)
    d = np.full((M, N), cfg.acc_max - 1000, dtype=np.int32)      # sums pass 2**31 - 1 and wrap
    tp = tiled_matmul_auto(cfg, M, N, K, bias="matrix", full_output=True, dataflow=dataflow)
    expected = matmul_reference(cfg, a, b, d, full_output=True)
    assert expected.dtype == np.int32 and (expected < 0).any() and (expected > 0).any()
    check(tp, expected, A=a, B=b, D=d)


@pytest.mark.parametrize("scale", [1.0, 0.37, 2.5, -0.01, 1e-6])
def test_output_scales_saturate_and_round(configs, rng, random_ints, check, scale):
    run = run_case(configs["dim4"], rng, random_ints, check, 17, 22, 30, bias="row", scale=scale)
    if scale in (1.0, 2.5):                       # large: both saturation limits are reached
        assert run.output.min() == -128 and run.output.max() == 127


def test_mvin_scales_of_a_and_b(configs, rng, random_ints, check):
    run_case(configs["tiny"], rng, random_ints, check, 19, 13, 26, a_scale=0.5, b_scale=3.0,
             scale=0.01)


def test_wider_input_types(rng, random_ints, check):
    cfg16 = GemminiConfig(input_dtype="int16", acc_dtype="int64").with_dim(8)
    run_case(cfg16, rng, random_ints, check, 40, 33, 50, bias="matrix", activation="relu",
             scale=1e-5)
    run_case(cfg16, rng, random_ints, check, 40, 33, 50, bias="row", full_output=True)
    # int32 inputs: even the identity MVIN scale rounds them through fp32; sums wrap at 32 bits.
    cfg32 = GemminiConfig(input_dtype="int32", acc_dtype="int32").with_dim(4)
    run_case(cfg32, rng, random_ints, check, 9, 11, 13, bias="row", bias_dtype="elem",
             full_output=True)
    run_case(cfg32, rng, random_ints, check, 9, 11, 13, scale=np.asarray(1e-3, np.float32))


def test_k_split_on_the_default_config(configs, rng, random_ints, check):
    # K = 1100 is 69 blocks.  Gemmini's growth stops at 5x5x51 (J cannot grow past 510 of 512
    # scratchpad blocks): 5x3x35, two column tiles, A loaded twice.  All 6 column blocks fit
    # with K cut in three 23-block pieces (69 = 3 x 23): A and B each loaded once, 3 steps not 4.
    cfg = configs["dim16"]
    plan = plan_matmul(cfg, 70, 90, 1100)
    assert plan.tiles.as_tuple() == (5, 6, 23) and plan.grids == ((1, 1, 3),)
    assert plan.dram_bytes_read == 70 * 1100 + 1100 * 90
    gemmini = plan_matmul(cfg, 70, 90, 1100, tiles=(5, 3, 35))
    assert gemmini.steps == 4 and gemmini.dram_bytes_read == 2 * 70 * 1100 + 1100 * 90
    run_case(cfg, rng, random_ints, check, 70, 90, 1100, bias="matrix", activation="relu",
             scale=0.0005)


def test_many_tiles_reuse_operands(configs, rng, random_ints, check):
    # On the tiny config a 40x36x24 GEMM gets 2x3x6-block tiles: 5x3 C tiles, K in one piece.
    # Walking C tiles column by column ("ji") keeps each B tile for a column of C tiles and moves
    # fewer bytes than "ij" (B once + A three times, against A once + B five times).
    cfg = configs["tiny"]
    plan = plan_matmul(cfg, 40, 36, 24)
    assert plan.grids == ((5, 3, 1),) and plan.steps == 15 and plan.order == "ji"
    assert plan.dram_bytes_read == 24 * 36 + 3 * 40 * 24
    run_case(cfg, rng, random_ints, check, 40, 36, 24, bias="row", scale=0.01)
    # 24x24x24: "ij" would be 576 + 3 * 576, "ji" 576 + 2 * 576.
    assert plan_matmul(cfg, 24, 24, 24).dram_bytes_read == 3 * 576


def test_weights_are_preloaded_once_per_row_tile(configs):
    plan = plan_matmul(configs["dim16"], 512, 512, 512)
    # 4x8x32-block tiles: each (k, j) weight block is preloaded once per I tile (8 of them) and
    # reused by the other row blocks of that tile.
    assert plan.tiles.as_tuple() == (4, 8, 32)
    assert plan.counts["compute_preloaded"] == 8 * 32 * 32
    assert plan.counts["compute_accumulated"] == 32 ** 3 - 8 * 32 * 32
    assert plan.array_efficiency == 1.0


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["dim4", "dim8", "tiny"]), dataflow=st.sampled_from(["WS", "OS"]),
       M=st.integers(1, 70), N=st.integers(1, 70), K=st.integers(1, 90),
       bias=st.sampled_from([None, "matrix", "row"]), relu=st.booleans(),
       transposes=st.integers(0, 2), full=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_random_shapes_and_options(configs, random_ints, check, name, dataflow, M, N, K, bias,
                                   relu, transposes, full, seed):
    a_t, b_t = TRANSPOSES[dataflow][transposes]
    options = dict(dataflow=dataflow, bias=bias, a_transpose=a_t, b_transpose=b_t)
    if full:
        options["full_output"] = True
    else:
        options.update(activation="relu" if relu else "none", scale=0.003)
    run_case(configs[name], np.random.default_rng(seed), random_ints, check, M, N, K, **options)


def test_step_plans_add_up_and_follow_the_program(configs):
    cfg = configs["tiny"]
    tp = tiled_matmul_auto(cfg, 30, 22, 70, bias="row", scale=0.01)
    plan = tp.plan
    assert len(plan.step_plans) == plan.steps == 4 * 3 * 3      # 2x2x6-block tiles
    assert sum(s.dram_bytes_read for s in plan.step_plans) == plan.dram_bytes_read
    assert sum(s.dram_bytes_written for s in plan.step_plans) == plan.dram_bytes_written
    for name in ("mvin", "mvin2", "mvin3", "preload", "compute_preloaded", "mvout"):
        assert sum(s.counts.get(name, 0) for s in plan.step_plans) == plan.counts[name]
    first, last = plan.step_plans[0], plan.step_plans[-1]
    assert first.step.first_k and "mvout" not in first.counts and first.counts["mvin3"]
    assert last.step.last_k and last.counts["mvout"] and "mvin3" not in last.counts
