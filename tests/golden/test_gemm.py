"""Whole GEMMs built by hand (WS and OS, edge tiles, bias, scale, RELU) against a numpy int64
reference with identical requantization."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen import arith
from gemmini_gen.isa import (
    GARBAGE, acc, compute_accumulated, compute_preloaded, config_ex, config_ld, config_st, mvin,
    mvin2, mvin3, mvout, preload, sp,
)


def reference(a, b, bias, scale, act):
    sums = arith.wrap(a.astype(np.int64) @ b.astype(np.int64) + bias, 32)
    out = arith.scale_to_int(sums, scale, 8)
    return np.maximum(out, 0) if act else out


def gemm_program(cfg, regions, m, n, k, dataflow, scale, act):
    """C (m x n, int8) = act(scale * (A @ B + bias)); one output tile at a time, A and B tiles
    loaded per use, accumulation in the accumulator."""
    dim = cfg.dim
    A, B, D, C = regions
    tiles = lambda size: range(-(-size // dim))
    edge = lambda t, size: min(dim, size - t * dim)
    cmds = [config_ex(dataflow), config_ld(k, block_stride=dim), config_ld(n, block_stride=dim, id=1),
            config_ld(0, block_stride=dim, id=2), config_st(n, act=act, scale=scale)]
    a_sp, b_sp = 0, dim
    for i in tiles(m):
        for j in tiles(n):
            rows, cols = edge(i, m), edge(j, n)
            cmds.append(mvin3(D + j * dim * 4, acc(0), cols, rows))          # bias, broadcast
            last = len(tiles(k)) - 1
            for kk in tiles(k):
                depth = edge(kk, k)
                cmds.append(mvin(A + i * dim * k + kk * dim, sp(a_sp), depth, rows))
                cmds.append(mvin2(B + kk * dim * n + j * dim, sp(b_sp), cols, depth))
                if dataflow == "WS":
                    cmds.append(preload(sp(b_sp), acc(0, accumulate=True), cols, depth, cols, rows))
                    cmds.append(compute_preloaded(sp(a_sp), GARBAGE, depth, rows, dim, dim))
                else:
                    out = acc(0, accumulate=True) if kk == last else GARBAGE
                    cmds.append(preload(GARBAGE, out, dim, dim, cols, rows))
                    compute = compute_preloaded if kk == 0 else compute_accumulated
                    cmds.append(compute(sp(a_sp), sp(b_sp), depth, rows, cols, depth))
            cmds.append(mvout(C + i * dim * n + j * dim, acc(0), cols, rows))
    return cmds


def run_gemm(bench, cfg, m, n, k, dataflow, scale=0.05, act=1, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    bias = rng.integers(-3000, 3000, n, dtype=np.int32)
    bb = bench(cfg)
    regions = (bb.put("A", a), bb.put("B", b), bb.put("D", bias), bb.space("C", m * n))
    result = bb.run(gemm_program(cfg, regions, m, n, k, dataflow, scale, act))
    got = result.memory.read_array("C", (m, n), np.int8)
    return got, reference(a, b, bias, scale, act), result


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
def test_gemm_with_edge_tiles_matches_reference(dim4, bench, dataflow):
    got, expected, result = run_gemm(bench, dim4, 10, 7, 9, dataflow)
    assert np.array_equal(got, expected)
    assert result.stats.macs_useful == 10 * 7 * 9


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.sampled_from(["WS", "OS"]),
       st.sampled_from([1.0, 0.25, 0.0123]), st.integers(0, 1), st.integers(0, 1000))
def test_gemm_property(dim4, bench, m, n, k, dataflow, scale, act, seed):
    got, expected, _ = run_gemm(bench, dim4, m, n, k, dataflow, scale, act, seed)
    assert np.array_equal(got, expected)
