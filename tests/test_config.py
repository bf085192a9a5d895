"""GemminiConfig: derived sizes (ISA.md section 1), validation messages, presets, round trips."""

import pytest

from gemmini_gen.config import PRESETS, ConfigError, Dataflow, GemminiConfig, preset


def test_default_derived_sizes_match_spec():
    c = GemminiConfig()
    assert (c.dim, c.input_bytes, c.acc_bytes) == (16, 1, 4)
    assert (c.sp_bank_rows, c.sp_rows, c.acc_bank_rows, c.acc_rows) == (4096, 16384, 512, 1024)
    assert (c.sp_addr_bits, c.acc_addr_bits, c.addr_bits) == (14, 10, 14)
    assert (c.max_block_len, c.max_block_len_acc) == (4, 1)
    assert c.dataflow is Dataflow.BOTH and c.has_os and c.has_ws


@pytest.mark.parametrize("dim", [2, 4, 8, 32, 64])
def test_with_dim(dim):
    c = GemminiConfig().with_dim(dim)
    assert c.dim == dim and c.sp_bank_rows % dim == 0 and c.acc_bank_rows % dim == 0


def test_tile_mesh_split():
    c = GemminiConfig(tile_rows=2, tile_cols=2, mesh_rows=2, mesh_cols=2, sp_capacity_kib=16,
                      acc_capacity_kib=8)
    assert c.dim == 4
    assert c.with_dim(8).tile_rows == 2 and c.with_dim(8).mesh_rows == 4


@pytest.mark.parametrize("changes, message", [
    ({"dim": 12}, "dim must be a power of two >= 2, got 12"),
    ({"dim": 1}, "dim must be a power of two >= 2, got 1"),
    ({"input_dtype": "float7"}, "input dtype must be one of int8, int16, int32, got 'float7'"),
    ({"acc_dtype": "int16"}, "acc dtype must be one of int32, int64, got 'int16'"),
    ({"sp_capacity_kib": 0}, "sp_capacity_kib must be >= 1, got 0"),
    ({"sp_banks": 3}, "sp_banks must be a power of two, got 3"),
    ({"acc_capacity_kib": 3}, "accumulator rows per bank (24) must be a power of two and a "
                              "multiple of dim (16)"),
    ({"dataflow": "XS"}, "dataflow must be one of OS, WS, BOTH, got 'XS'"),
    ({"spatial_output_bits": 20}, "spatial_output_bits must equal the accumulator width (32)"),
    ({"dma_bus_bits": 96}, "bus width must be a power of two >= 8 bits, got 96"),
    ({"mesh_rows": 8}, "the array must be square"),
    ({"sp_capacity_kib": 16, "acc_capacity_kib": 128}, "the scratchpad must hold at least"),
    ({"has_normalizations": True}, "has_normalizations"),
    ({"max_in_flight": "8"}, "max_in_flight must be an integer, got '8'"),
    ({"bogus": 1}, "unknown config key(s): bogus"),
])
def test_invalid_configs_name_the_problem(changes, message):
    with pytest.raises(ConfigError) as e:
        GemminiConfig.from_dict(changes)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_presets():
    assert {"default", "small", "lean", "chip", "large_chip"} <= set(PRESETS)
    assert preset("small").dim == 4
    assert preset("lean").dataflow is Dataflow.WS and not preset("lean").acc_read_full_width
    assert preset("large_chip").dim == 32
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        preset("nope")


@pytest.mark.parametrize("name", list(PRESETS))
def test_toml_and_json_round_trip(tmp_path, name):
    c = preset(name)
    assert GemminiConfig.from_toml(c.to_toml()) == c
    assert GemminiConfig.from_json(c.to_json()) == c
    for suffix in (".toml", ".json"):
        c.save(tmp_path / f"c{suffix}")
        assert GemminiConfig.load(tmp_path / f"c{suffix}") == c


def test_toml_preset_and_dim_shorthand():
    c = GemminiConfig.from_toml('preset = "lean"\ndim = 8\nsp_capacity_kib = 64\n')
    assert c.dim == 8 and c.dataflow is Dataflow.WS and c.sp_capacity_kib == 64


def test_malformed_toml_is_one_line():
    with pytest.raises(ConfigError) as e:
        GemminiConfig.from_toml("dim = = 4", source="x.toml")
    assert str(e.value).startswith("x.toml: malformed TOML") and "\n" not in str(e.value)


def test_content_hash_is_stable_and_ignores_name():
    a = GemminiConfig()
    assert a.content_hash() == GemminiConfig().content_hash() == a.replace(name="x").content_hash()
    assert a.content_hash() != a.with_dim(8).content_hash()
    # Pinned: the hash is part of file names and caches; changing it must be deliberate.
    assert len(a.content_hash()) == 16 and int(a.content_hash(), 16) >= 0


def test_slug():
    assert GemminiConfig().slug() == "default"
    assert GemminiConfig().with_dim(32).slug().startswith("dim32_int8_both_")
