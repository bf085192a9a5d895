"""The tile heuristic: Gemmini's growth rule, the capacity formulas, balancing, forced tiles."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen import GemminiConfig, preset
from gemmini_gen.tiling import TileShape, TilingError, choose_tiles, plan_matmul


def fits(cfg, t):
    return ((t.tile_i * t.tile_k + t.tile_k * t.tile_j) * cfg.dim <= cfg.sp_rows // 2
            and t.tile_i * t.tile_j * cfg.dim <= cfg.acc_rows // 2)


def test_default_512_cube():
    # Start 5x5x32 (isqrt(32 acc blocks) = 5, K capped by the problem); J grows to 6; I cannot
    # (36 > 32 blocks of half the accumulator); 32/5 and 32/6 blocks are already balanced.
    assert choose_tiles(GemminiConfig(), 32, 32, 32) == TileShape(5, 6, 32)


def test_balancing_evens_out_the_remainder():
    # K = 64 blocks: the growth rule reaches tile_k = 51 (two steps, 51 + 13 blocks); balanced
    # to 32 + 32.  I: 16 blocks at 5 per tile = 4 tiles -> 4 blocks each.
    assert choose_tiles(GemminiConfig(), 16, 16, 64) == TileShape(4, 4, 32)


def test_small_problems_take_their_own_size():
    assert choose_tiles(GemminiConfig(), 1, 1, 1) == TileShape(1, 1, 1)
    assert choose_tiles(GemminiConfig(), 3, 2, 7) == TileShape(3, 2, 7)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["small", "medium", "default", "chip", "paper_base"]),
       st.integers(1, 300), st.integers(1, 300), st.integers(1, 600))
def test_tiles_fit_half_of_each_memory_and_never_exceed_the_problem(name, bi, bj, bk):
    cfg = preset(name)
    t = choose_tiles(cfg, bi, bj, bk)
    assert fits(cfg, t)
    assert 1 <= t.tile_i <= bi and 1 <= t.tile_j <= bj and 1 <= t.tile_k <= bk
    # Balanced: the tile count along each axis is the minimum for that size.
    for blocks, size in ((bi, t.tile_i), (bj, t.tile_j), (bk, t.tile_k)):
        count = -(-blocks // size)
        assert size == -(-blocks // count)


def test_growth_stops_only_when_nothing_fits():
    cfg = GemminiConfig()
    t = choose_tiles(cfg, 200, 200, 200)          # large enough that no axis is capped
    assert not fits(cfg, TileShape(t.tile_i + 1, t.tile_j, t.tile_k)) or \
        not fits(cfg, TileShape(t.tile_i, t.tile_j + 1, t.tile_k))


def test_tile_count_matches_the_perf_model_interface():
    t = TileShape(5, 6, 32)
    assert t.count(32, 32, 32) == 7 * 6 * 1


def test_forced_tiles_are_used_and_checked():
    cfg = GemminiConfig()
    assert plan_matmul(cfg, 64, 64, 64, tiles=(2, 1, 3)).tiles == TileShape(2, 1, 3)
    with pytest.raises(TilingError, match="do not fit half the memories"):
        plan_matmul(cfg, 64, 64, 64, tiles=(6, 6, 1))          # 36 C blocks > 32
    with pytest.raises(TilingError, match="tile_k must be a positive integer"):
        plan_matmul(cfg, 64, 64, 64, tiles=(1, 1, 0))
    with pytest.raises(TilingError, match="tiles must be"):
        plan_matmul(cfg, 64, 64, 64, tiles=(1, 1))


def test_memories_too_small_for_any_tile():
    # DIM 32 with 32 scratchpad rows: not even the 4 DIM x DIM blocks of a double-buffered tile.
    cramped = GemminiConfig(mesh_rows=32, mesh_cols=32, sp_capacity_kib=1, acc_capacity_kib=4,
                            sp_banks=1, acc_banks=1)
    with pytest.raises(TilingError, match="no tiling fits"):
        choose_tiles(cramped, 1, 1, 1)
    with pytest.raises(TilingError, match="no tiling fits"):
        plan_matmul(cramped, 5, 5, 5)
