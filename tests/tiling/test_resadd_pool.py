"""tiled_resadd and tiled_global_average on the golden backend against their references."""

import numpy as np
import pytest

from gemmini_gen.tiling import (
    global_average_reference, resadd_reference, tiled_global_average, tiled_resadd,
)


@pytest.mark.parametrize("shape", [(1, 1), (7, 9), (40, 70), (130, 33), (8, 300)],
                         ids=lambda s: "x".join(map(str, s)))
def test_resadd(cfg, rng, random_ints, check, shape):
    a, b = random_ints(rng, shape, cfg), random_ints(rng, shape, cfg)
    options = dict(a_scale=0.75, b_scale=1.5, scale=0.9, activation="relu")
    tp = tiled_resadd(cfg, *shape, **options)
    check(tp, resadd_reference(cfg, a, b, **options), A=a, B=b)
    assert "preload" not in tp.program.counts()        # data movement only


def test_resadd_mvin_scale_saturates_before_adding(configs, check):
    cfg = configs["dim4"]
    a = np.full((4, 4), 100, dtype=np.int8)
    b = np.full((4, 4), -100, dtype=np.int8)
    # 100 * 2 saturates to 127 on the way in, -100 * 2 to -128: the sum is -1, not 0.
    run = check(tiled_resadd(cfg, 4, 4, a_scale=2.0, b_scale=2.0), np.full((4, 4), -1, np.int8),
                A=a, B=b)
    assert run.result.stats.instructions["mvin2"] == 1


def test_resadd_tiles_double_buffer_the_accumulator(configs):
    cfg = configs["tiny"]                              # 32 rows per accumulator half
    tp = tiled_resadd(cfg, 40, 40)
    assert tp.plan.tiles > 2 and tp.plan.tile_rows * tp.plan.tile_cols <= 32 * cfg.dim
    halves = {inst.local.row // (cfg.acc_rows // 2) for inst in tp.program.decode(cfg)
              if inst.name == "mvin"}
    assert halves == {0, 1}


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 4, 5), (3, 7, 7, 100), (20, 2, 3, 17),
                                   (1, 4, 4, 300)], ids=lambda s: "x".join(map(str, s)))
def test_global_average(cfg, rng, random_ints, check, shape, layout):
    x = random_ints(rng, shape, cfg)
    tp = tiled_global_average(cfg, shape, layout=layout, activation="relu")
    check(tp, global_average_reference(cfg, x, layout=layout, activation="relu"), input=x)


def test_global_average_nhwc_accumulates_pixels_into_the_accumulator(configs, check):
    cfg = configs["dim4"]
    x = np.arange(2 * 3 * 3 * 5, dtype=np.int64).reshape(2, 3, 3, 5).astype(np.int8)
    tp = tiled_global_average(cfg, x.shape)
    run = check(tp, global_average_reference(cfg, x), input=x)
    # One MVIN per pixel and channel group (5 channels = 2 blocks, one mvin): both images at once.
    assert run.result.stats.instructions["mvin"] == 3 * 3
    assert np.array_equal(run.output, np.rint(x.astype(np.float64).mean(axis=(1, 2))))
