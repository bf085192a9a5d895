"""Tile sizes: Gemmini's growth rule (the starting point), the choice among the shapes that fit
(divide the block grid, never more traffic or steps than Gemmini's), the even split of every axis,
forced tiles and the capacity errors."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen import GemminiConfig, preset
from gemmini_gen.tiling import (
    TileShape, TilingError, choose_tiles, gemmini_tiles, matmul_reference, plan_matmul,
    split_blocks, tiled_matmul_auto,
)
from gemmini_gen.tiling.tile_choice import tile_traffic

TINY = preset("small").replace(name="tiny", sp_capacity_kib=1, acc_capacity_kib=1)


def fits(cfg, t):
    return ((t.tile_i * t.tile_k + t.tile_k * t.tile_j) * cfg.dim <= cfg.sp_rows // 2
            and t.tile_i * t.tile_j * cfg.dim <= cfg.acc_rows // 2)


def counts(blocks, tiles):
    return tuple(-(-b // t) for b, t in zip(blocks, tiles.as_tuple()))


# ----------------------------------------------------------------------------------------------
# Gemmini's heuristic, the starting point
# ----------------------------------------------------------------------------------------------
def test_gemmini_growth_on_the_512_cube():
    # Start 5x5x32 (isqrt(32 acc blocks) = 5, K capped by the problem); J grows to 6; I cannot
    # (36 > 32 blocks of half the accumulator); 32/5 and 32/6 blocks need 7 and 6 tiles.
    assert gemmini_tiles(GemminiConfig(), 32, 32, 32) == TileShape(5, 6, 32)


def test_gemmini_sizes_are_the_smallest_for_their_tile_count():
    # K = 64 blocks: the growth rule reaches tile_k = 51 (two steps); 32 gives two steps too.
    # I: 16 blocks at 5 per tile = 4 tiles -> 4 blocks each.
    assert gemmini_tiles(GemminiConfig(), 16, 16, 64) == TileShape(4, 4, 32)


# ----------------------------------------------------------------------------------------------
# The choice
# ----------------------------------------------------------------------------------------------
def test_512_cube_gets_a_tile_that_divides_the_grid():
    # 5x6 leaves 2-block edge tiles on the 32x32 block grid; 4x8 divides it, and with C tiles
    # walked column by column A is loaded 4 times instead of 6: fewer bytes and fewer steps.
    cfg = GemminiConfig()
    assert choose_tiles(cfg, 32, 32, 32) == TileShape(4, 8, 32)
    chosen = plan_matmul(cfg, 512, 512, 512, bias="row")
    gemmini = plan_matmul(cfg, 512, 512, 512, bias="row", tiles=(5, 6, 32))
    assert (chosen.steps, gemmini.steps) == (32, 42)
    assert chosen.order == gemmini.order == "ji"
    bias = 512 * 512 * 4
    assert chosen.dram_bytes_read == 5 * 512 * 512 + bias
    assert gemmini.dram_bytes_read == 7 * 512 * 512 + bias
    assert {s.step.rows for s in chosen.step_plans} == {64}
    assert {s.step.cols for s in chosen.step_plans} == {128}


def test_shrunk_c_tile_frees_the_scratchpad_for_all_of_k():
    # Gemmini: 4x4x32, K in two steps (so A and B reload for every C tile).  4x4x64 fits
    # (4*64 + 64*4 = 512 blocks = half the scratchpad): K in one piece, half the steps.
    cfg = GemminiConfig()
    assert choose_tiles(cfg, 16, 16, 64) == TileShape(4, 4, 64)
    chosen = plan_matmul(cfg, 256, 256, 1024)
    gemmini = plan_matmul(cfg, 256, 256, 1024, tiles=(4, 4, 32))
    assert (chosen.steps, gemmini.steps) == (16, 32)
    assert chosen.dram_bytes_read == 256 * 1024 + 4 * 1024 * 256       # B once, A 4 times
    assert gemmini.dram_bytes_read == 4 * 256 * 1024 + 4 * 1024 * 256


def test_small_problems_take_their_own_size():
    assert choose_tiles(GemminiConfig(), 1, 1, 1) == TileShape(1, 1, 1)
    assert choose_tiles(GemminiConfig(), 3, 2, 7) == TileShape(3, 2, 7)


def test_a_prime_block_count_is_split_evenly():
    # 31 row blocks divide only by 1 and 31, which would cost steps or traffic; 4-block tiles
    # give 8 pieces of 4 or 3 blocks (the last one holding the partial block of M = 490).
    cfg = GemminiConfig()
    assert choose_tiles(cfg, 31, 32, 32) == TileShape(4, 8, 32)
    plan = plan_matmul(cfg, 490, 512, 512)
    rows = [s.step.rows for s in plan.step_plans if s.step.col0 == 0]
    assert rows == [64] * 7 + [42]


def documented_choice(cfg, bi, bj, bk):
    """The rule of tile_choice's docstring, by brute force over every tile size that fits."""
    blocks = (bi, bj, bk)
    start = gemmini_tiles(cfg, *blocks)
    limit_traffic = tile_traffic(blocks, counts(blocks, start))
    limit_steps = math.prod(counts(blocks, start))
    best = None
    for ti in range(1, bi + 1):
        for tj in range(1, bj + 1):
            for tk in range(1, bk + 1):
                if not fits(cfg, TileShape(ti, tj, tk)):
                    continue
                n = counts(blocks, TileShape(ti, tj, tk))
                size = tuple(-(-b // c) for b, c in zip(blocks, n))
                traffic, steps = tile_traffic(blocks, n), math.prod(n)
                if traffic > limit_traffic or steps > limit_steps:
                    continue
                key = (sum(b % c != 0 for b, c in zip(blocks, n)), traffic, steps,
                       sum(abs(s - g) for s, g in zip(size, start.as_tuple())),
                       -size[1], -size[0])
                best = min(best or (key, size), (key, size))
    return TileShape(*best[1])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([TINY, preset("chip")]), st.integers(1, 24), st.integers(1, 24),
       st.integers(1, 40))
def test_choice_follows_the_documented_rule(cfg, bi, bj, bk):
    assert choose_tiles(cfg, bi, bj, bk) == documented_choice(cfg, bi, bj, bk)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["small", "medium", "default", "chip", "paper_base"]),
       st.integers(1, 300), st.integers(1, 300), st.integers(1, 600))
def test_choice_fits_and_never_costs_more_than_gemmini(name, bi, bj, bk):
    cfg = preset(name)
    blocks = (bi, bj, bk)
    t, start = choose_tiles(cfg, *blocks), gemmini_tiles(cfg, *blocks)
    assert fits(cfg, t)
    assert 1 <= t.tile_i <= bi and 1 <= t.tile_j <= bj and 1 <= t.tile_k <= bk
    for b, size in zip(blocks, t.as_tuple()):             # the smallest size for its count
        assert size == -(-b // -(-b // size))
    assert tile_traffic(blocks, counts(blocks, t)) <= tile_traffic(blocks, counts(blocks, start))
    assert t.count(*blocks) <= start.count(*blocks)


@pytest.mark.parametrize("shape, tiles", [
    ((512, 512, 512), None), ((512, 512, 512), (5, 6, 32)), ((256, 256, 1024), (4, 4, 32)),
    ((96, 160, 2048), None), ((48, 64, 80), (1, 2, 1)), ((64, 32, 48), (2, 1, 3)),
])
def test_traffic_estimate_equals_the_planners_bytes(shape, tiles):
    # Whole blocks, no bias: the A + B blocks the rule counts are exactly the bytes loaded.
    cfg = GemminiConfig()
    plan = plan_matmul(cfg, *shape, tiles=tiles)
    blocks = tuple(s // cfg.dim for s in shape)
    assert plan.dram_bytes_read == tile_traffic(blocks, counts(blocks, plan.tiles)) * cfg.dim ** 2


# ----------------------------------------------------------------------------------------------
# The even split
# ----------------------------------------------------------------------------------------------
def test_split_blocks_examples():
    assert split_blocks(32, 5) == [5, 5, 5, 5, 4, 4, 4]
    assert split_blocks(32, 6) == [6, 6, 5, 5, 5, 5]
    assert split_blocks(32, 8) == [8] * 4
    assert split_blocks(3, 7) == [3]


@given(st.integers(1, 500), st.integers(1, 500))
def test_split_blocks_is_even_and_complete(blocks, tile):
    pieces = split_blocks(blocks, tile)
    assert sum(pieces) == blocks and len(pieces) == -(-blocks // tile)
    assert max(pieces) <= tile and max(pieces) - min(pieces) <= 1
    assert pieces == sorted(pieces, reverse=True)


def test_forced_uneven_tiles_run_exactly(rng, random_ints, check):
    # DIM 4, 3x2x3-block tiles over 11 x 7 x 10 blocks with a partial block on every axis:
    # pieces 3,3,3,2 x 2,2,2,1 x 3,3,2,2 blocks, every step's loads, bias and stores in place.
    cfg = preset("small")
    M, N, K = 42, 26, 37
    a, b = random_ints(rng, (M, K), cfg), random_ints(rng, (K, N), cfg)
    bias = random_ints(rng, (N,), cfg, "acc", -5000, 5000)
    tp = tiled_matmul_auto(cfg, M, N, K, bias="row", activation="relu", scale=0.01,
                           tiles=(3, 2, 3))
    assert sorted({s.step.rows for s in tp.plan.step_plans}) == [6, 12]
    assert sorted({s.step.cols for s in tp.plan.step_plans}) == [2, 8]
    assert sorted({s.step.depth for s in tp.plan.step_plans}) == [5, 8, 12]
    expected = matmul_reference(cfg, a, b, bias, activation="relu", scale=0.01)
    check(tp, expected, A=a, B=b, D=bias)


def test_tile_count_of_a_problem():
    t = TileShape(4, 8, 32)
    assert t.count(32, 32, 32) == 8 * 4 * 1
    assert t.count(31, 33, 64) == 8 * 5 * 2


# ----------------------------------------------------------------------------------------------
# Forced tiles and errors
# ----------------------------------------------------------------------------------------------
def test_forced_tiles_are_used_and_checked():
    cfg = GemminiConfig()
    assert plan_matmul(cfg, 64, 64, 64, tiles=(2, 1, 3)).tiles == TileShape(2, 1, 3)
    with pytest.raises(TilingError, match="do not fit half the memories"):
        plan_matmul(cfg, 64, 64, 64, tiles=(6, 6, 1))          # 36 C blocks > 32
    with pytest.raises(TilingError, match="tile_k must be a positive integer"):
        plan_matmul(cfg, 64, 64, 64, tiles=(1, 1, 0))
    with pytest.raises(TilingError, match="tiles must be"):
        plan_matmul(cfg, 64, 64, 64, tiles=(1, 1))


def test_block_counts_must_be_positive():
    with pytest.raises(TilingError, match="blocks_j must be at least 1, got 0"):
        choose_tiles(GemminiConfig(), 4, 0, 4)


def test_memories_too_small_for_any_tile():
    # DIM 32 with 32 scratchpad rows: not even the 4 DIM x DIM blocks of a double-buffered tile.
    cramped = GemminiConfig(mesh_rows=32, mesh_cols=32, sp_capacity_kib=1, acc_capacity_kib=4,
                            sp_banks=1, acc_banks=1)
    with pytest.raises(TilingError, match="no tiling fits"):
        choose_tiles(cramped, 1, 1, 1)
    with pytest.raises(TilingError, match="no tiling fits"):
        plan_matmul(cramped, 5, 5, 5)

