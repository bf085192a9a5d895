"""Memory: regions, raw and typed access, images, and errors that name the address."""

import numpy as np
import pytest

from gemmini_gen.memory import FIRST_BASE, Memory, MemoryAccessError, Region


def test_alloc_places_aligned_regions_after_each_other():
    mem = Memory()
    a = mem.alloc("A", 100)
    b = mem.alloc("B", 10, align=256)
    assert a == Region("A", FIRST_BASE, 100)
    assert b.base % 256 == 0 and b.base >= a.end
    assert [r.name for r in mem.regions] == ["A", "B"]
    assert mem.region("B") == b and mem.region_at(b.base + 9) == b


def test_typed_round_trip_is_little_endian():
    mem = Memory()
    mem.alloc("X", 16)
    values = np.array([[1, -2], [70000, -(2 ** 31)]], dtype=np.int32)
    mem.write_array("X", values)
    assert np.array_equal(mem.read_array("X", (2, 2), np.int32), values)
    assert mem.read(mem.region("X").base, 4).tolist() == [1, 0, 0, 0]
    mem.write(mem.region("X").base + 4, b"\x05\x00\x00\x00")
    assert mem.read_array("X", (4,), np.int32)[1] == 5
    big_endian = np.array([1], dtype=">i4")
    mem.write_array("X", big_endian)
    assert mem.read_array("X", (1,), np.int32)[0] == 1


def test_access_outside_regions_names_the_address():
    mem = Memory()
    a = mem.alloc("A", 8)
    with pytest.raises(MemoryAccessError, match=hex(a.base + 4)):
        mem.read(a.base + 4, 8)
    with pytest.raises(MemoryAccessError, match="0x0"):
        mem.write(0, b"\x01")
    with pytest.raises(MemoryAccessError, match="no region named 'Q'"):
        mem.read_array("Q", (1,), np.int8)


@pytest.mark.parametrize("name,base,size,message", [
    ("A", 0x1000, 4, "already exists"),
    ("B", 0x1002, 4, "overlaps region 'A'"),
    ("C", 0, 4, "non-zero"),
    ("D", 0x9000, 0, "positive"),
    ("bad name", 0x9000, 4, "identifier"),
])
def test_bad_regions_are_rejected(name, base, size, message):
    mem = Memory()
    mem.map("A", 0x1000, 4)
    with pytest.raises(MemoryAccessError, match=message):
        mem.map(name, base, size)


def test_copy_is_independent_and_equality_compares_bytes():
    mem = Memory()
    mem.alloc("A", 4)
    other = mem.copy()
    assert other == mem
    other.write_array("A", np.array([1, 2, 3, 4], np.uint8))
    assert other != mem
    assert mem.read_array("A", (4,), np.uint8).tolist() == [0, 0, 0, 0]


def test_image_and_load_image_round_trip():
    mem = Memory()
    mem.map("A", 0x1000, 4)
    mem.map("B", 0x1010, 2)
    mem.write_array("A", np.array([1, 2, 3, 4], np.uint8))
    mem.write_array("B", np.array([9, 8], np.uint8))
    base, flat = mem.image()
    assert base == 0x1000 and flat.size == 0x12
    assert flat[:4].tolist() == [1, 2, 3, 4] and flat[4:16].sum() == 0 and flat[16:].tolist() == [9, 8]
    fresh = Memory(mem.regions)
    fresh.load_image(base, flat)
    assert fresh == mem
    with pytest.raises(MemoryAccessError, match="does not cover"):
        fresh.load_image(base, flat[:-1])
