"""Fixtures for the tiling tests: configs of DIM 4, 8 and 16 (one with memories so small that
anything but a toy GEMM needs many tiles) and `check_run`, which runs a tiled program on the
golden backend and checks the output against a reference and the run against the plan."""

import numpy as np
import pytest

from gemmini_gen import GemminiConfig, preset

CONFIGS = {
    "dim4": preset("small"),                      # DIM 4, BOTH, 4096 sp rows, 512 acc rows
    "dim8": preset("medium"),                     # DIM 8, BOTH
    "dim16": GemminiConfig(),                     # the default design point
    # DIM 4 with 256 scratchpad and 64 accumulator rows: tiles of at most 2x2x8 blocks.
    "tiny": preset("small").replace(name="tiny", sp_capacity_kib=1, acc_capacity_kib=1),
}


@pytest.fixture(params=sorted(CONFIGS))
def cfg(request):
    return CONFIGS[request.param]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def ints(rng, shape, cfg, kind="elem", low=None, high=None):
    """Random integers over the whole range of the config's elem or acc dtype (or [low, high))."""
    dtype = np.dtype(cfg.input_dtype if kind == "elem" else cfg.acc_dtype)
    info = np.iinfo(dtype)
    low = info.min if low is None else low
    high = info.max + 1 if high is None else high
    return rng.integers(low, high, shape, dtype=np.int64).astype(dtype)


def check_run(tp, expected, **inputs):
    """Run `tp` on the golden backend; the output must equal `expected` (whole array, dtype and
    shape), and the program and the run must agree with the plan exactly."""
    run = tp.run("golden", **inputs)
    out = run.output
    assert out.dtype == expected.dtype and out.shape == expected.shape
    assert np.array_equal(out, expected)
    stats, plan = run.result.stats, tp.plan
    assert tp.program.counts() == plan.counts
    assert stats.instructions == plan.executed
    assert (stats.dram_bytes_read, stats.dram_bytes_written) == \
        (plan.dram_bytes_read, plan.dram_bytes_written)
    assert stats.macs_useful == plan.macs
    return run


@pytest.fixture(scope="session")
def configs():
    """Every config above, by name."""
    return CONFIGS


@pytest.fixture(scope="session")
def random_ints():
    """`random_ints(rng, shape, cfg, kind="elem"|"acc", low=None, high=None)`."""
    return ints


@pytest.fixture(scope="session")
def check():
    """`check(tp, expected, **inputs)`: see `check_run`."""
    return check_run
