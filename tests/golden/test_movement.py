"""MVIN / MVOUT semantics (ISA.md 7.3, 7.4) on DIM 4, with hand-computed expectations."""

import numpy as np
import pytest

from gemmini_gen import arith
from gemmini_gen.isa import acc, config_ld, config_st, mvin, mvin2, mvin3, mvout, sp

I8 = np.int8


def test_partial_mvin_keeps_the_rest_of_the_rows(dim4, bench):
    b = bench(dim4)
    full = b.put("F", np.full((4, 4), 9, I8))
    part = b.put("P", np.arange(1, 7, dtype=I8).reshape(2, 3))
    result = b.run([config_ld(4, block_stride=4), mvin(full, sp(8), 4, 4),
                    config_ld(3, block_stride=4), mvin(part, sp(8), 3, 2)])
    assert np.array_equal(result.state.sp_rows(8, 4),
                          [[1, 2, 3, 9], [4, 5, 6, 9], [9, 9, 9, 9], [9, 9, 9, 9]])


def test_dram_stride_picks_rows(dim4, bench):
    b = bench(dim4)
    src = np.arange(24, dtype=I8).reshape(3, 8)
    a = b.put("A", src)
    result = b.run([config_ld(8, block_stride=4), mvin(a + 2, sp(0), 4, 3)])
    assert np.array_equal(result.state.sp_rows(0, 3), src[:, 2:6])
    assert result.stats.dram_bytes_read == 12


def test_block_mvin_uses_the_block_stride(dim4, bench):
    b = bench(dim4)
    src = np.arange(20, dtype=I8).reshape(2, 10)           # 3 blocks: 4 + 4 + 2 columns
    a = b.put("A", src)
    result = b.run([config_ld(10, block_stride=5), mvin(a, sp(1), 10, 2)])
    sp_ = result.state.sp
    assert np.array_equal(sp_[1:3], src[:, 0:4])
    assert np.array_equal(sp_[6:8], src[:, 4:8])
    assert np.array_equal(sp_[11:13, :2], src[:, 8:10]) and not sp_[11:13, 2:].any()
    assert not sp_[3:6].any() and not sp_[8:11].any()


def test_zero_fill_and_dram_stride_zero(dim4, bench):
    b = bench(dim4)
    row = b.put("R", np.array([1, -2, 3, -4], I8))
    result = b.run([config_ld(0, block_stride=4), mvin(row, sp(0), 4, 4),   # repeat one row
                    mvin(0, sp(2), 3, 1)])                                 # zero fill
    assert np.array_equal(result.state.sp_rows(0, 4),
                          [[1, -2, 3, -4], [1, -2, 3, -4], [0, 0, 0, -4], [1, -2, 3, -4]])
    assert result.stats.dram_bytes_read == 16                             # zero fill reads nothing


def test_mvin_scale_rounds_half_to_even_and_saturates(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.array([[5, 7, -5, 3], [-1, 100, -100, 1]], I8))
    result = b.run([config_ld(4, 0.5, block_stride=4), mvin(a, sp(0), 4, 1),
                    config_ld(4, 2.0, block_stride=4, id=1), mvin2(a + 4, sp(1), 4, 1)])
    assert np.array_equal(result.state.sp_rows(0, 2), [[2, 4, -2, 2], [-2, 127, -128, 2]])


def test_mvin_to_accumulator_full_width_overwrite_and_accumulate_wraps(dim4, bench):
    b = bench(dim4)
    big = b.put("A", np.array([[2 ** 31 - 1, -5, 7, 0]], np.int32))
    one = b.put("B", np.array([[1, 5, -8, 3]], np.int32))
    result = b.run([config_ld(16, block_stride=4), mvin(big, acc(3), 4, 1),
                    mvin(one, acc(3, accumulate=True), 4, 1)])
    assert np.array_equal(result.state.acc_rows(3, 1), [[-(2 ** 31), 0, -1, 3]])


def test_shrunk_mvin_to_accumulator_scales_as_elements(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.array([[100, -100, 3, -3]], I8))
    result = b.run([config_ld(4, 2.0, shrunk=True, block_stride=4, id=2),
                    mvin3(a, acc(0), 4, 1), mvin3(a, acc(0, accumulate=True), 4, 1)])
    assert np.array_equal(result.state.acc_rows(0, 1), [[254, -256, 12, -12]])


def test_pixel_repeats_copy_up_and_right_and_stop_at_row_zero(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.array([[1, 2], [3, 4]], I8))
    result = b.run([config_ld(2, block_stride=4, pixel_repeats=2), mvin(a, sp(4), 2, 2),
                    mvin(a, sp(0), 2, 2)])
    assert np.array_equal(result.state.sp_rows(3, 3), [[0, 0, 1, 2], [1, 2, 3, 4], [3, 4, 0, 0]])
    assert np.array_equal(result.state.sp_rows(0, 2), [[1, 2, 3, 4], [3, 4, 0, 0]])


def test_mvout_from_scratchpad_multi_block_with_stride(dim4, bench):
    b = bench(dim4)
    src = np.arange(1, 25, dtype=I8).reshape(2, 12)
    a = b.put("A", src)
    out = b.space("C", 2 * 16, fill=0x55)
    result = b.run([config_ld(12, block_stride=4), mvin(a, sp(0), 12, 2),
                    config_st(16), mvout(out, sp(0), 6, 2)])
    c = result.memory.read_array("C", (2, 16), I8)
    assert np.array_equal(c[:, :6], src[:, :6])
    assert (c[:, 6:] == 0x55).all()                   # bytes past cols are untouched


def test_mvout_from_accumulator_scale_saturation_and_relu(dim4, bench):
    b = bench(dim4)
    values = np.array([[5, 7, -5, 1000], [-1000, 255, -255, 66]], np.int32)
    a = b.put("A", values)
    out = b.space("C", 8)
    full = b.space("F", 32)
    scale = 0.5
    result = b.run([config_ld(16, block_stride=4), mvin(a, acc(0), 4, 2),
                    config_st(4, act=0, scale=scale), mvout(out, acc(0), 4, 1),
                    config_st(4, act=1, scale=scale), mvout(out + 4, acc(1), 4, 1),
                    config_st(16), mvout(full, acc(0, read_full=True), 4, 2)])
    c = result.memory.read_array("C", (2, 4), I8)
    assert np.array_equal(c[0], [2, 4, -2, 127])         # 2.5->2, 3.5->4, -2.5->-2, saturate
    assert np.array_equal(c[1], [0, 127, 0, 33])          # RELU after scale and saturation
    assert np.array_equal(result.memory.read_array("F", (2, 4), np.int32), values)


def test_mvout_accumulator_scale_double_rounding(dim4, bench):
    b = bench(dim4)
    a = b.put("A", np.array([[66, -66, 33554433, 0]], np.int32))
    out = b.space("C", 4)
    result = b.run([config_ld(16, block_stride=4), mvin(a, acc(0), 4, 1),
                    config_st(4, scale=arith.f32_from_bits(0x3F1D1746)), mvout(out, acc(0), 4, 1)])
    assert np.array_equal(result.memory.read_array("C", (4,), I8), [40, -40, 127, 0])


def _pool_bench(b, image, **pool):
    """3x3 image, 2 channels (channel 1 = 10 x channel 0), one pixel per scratchpad row."""
    pixels = np.stack([image.reshape(-1), 10 * image.reshape(-1)], axis=1).astype(I8)
    src = b.put("A", pixels)
    out = b.space("C", 2 * 2 * 2)
    return [config_ld(2, block_stride=16),
            mvin(src, sp(0), 2, 4), mvin(src + 8, sp(4), 2, 4), mvin(src + 16, sp(8), 2, 1),
            config_st(2, pool_out_dim=2, porows=2, pocols=2, orows=3, ocols=3, **pool),
            mvout(out, sp(0), 2, 0)]


@pytest.mark.parametrize("sign,pool,expected", [
    (1, dict(pool_stride=2, pool_size=2), [[5, 6], [8, 9]]),
    (-1, dict(pool_stride=2, pool_size=2), [[-1, 0], [0, 0]]),          # padding counts as 0
    (1, dict(pool_stride=2, pool_size=3, upad=1, lpad=1), [[5, 6], [8, 9]]),
])
def test_pooled_mvout(dim4, bench, sign, pool, expected):
    b = bench(dim4)
    image = sign * np.arange(1, 10).reshape(3, 3)
    result = b.run(_pool_bench(b, image, **pool))
    got = result.memory.read_array("C", (2, 2, 2), I8)
    assert np.array_equal(got[..., 0], expected)
    assert np.array_equal(got[..., 1], 10 * np.array(expected))


def test_pooled_mvout_from_accumulator_applies_scale_and_relu(dim4, bench):
    b = bench(dim4)
    image = np.array([[-40, 20], [60, 10]], np.int32)
    src = b.put("A", image.reshape(4, 1))
    out = b.space("C", 1)
    result = b.run([config_ld(4, block_stride=4), mvin(src, acc(0), 1, 4),
                    config_st(1, act=1, scale=0.5, pool_stride=1, pool_size=2, pool_out_dim=1,
                              porows=1, pocols=1, orows=2, ocols=2),
                    mvout(out, acc(0), 1, 0)])
    assert result.memory.read_array("C", (1,), I8)[0] == 30
