"""gemmini mode (provisional, uncalibrated): tile choice by hand, and the properties any model of the
accelerator must have (bounds, monotonicity, pluggable tiler and parameters)."""

import dataclasses

import pytest

from gemmini_gen.config import Dataflow, preset
from gemmini_gen.perf import (ConvShape, GemminiModel, GemminiModelParams, Layer, TilePlan,
                              Workload, choose_tiles, estimate, load_workload)
from gemmini_gen.perf.estimate import ModelError

CFG = preset("default")


def test_tile_choice_by_hand():
    # default: SP_ROWS 16384, ACC_ROWS 1024, DIM 16.  Half of each per tile: 8192 / 512 rows.
    # Start: tile_I = tile_J = isqrt(512/16) = 5, tile_K = (16384/4/16) / 5 = 51:
    #   A+B rows (5*51 + 51*5)*16 = 8160 <= 8192, C rows 5*5*16 = 400 <= 512.
    # Growing J, I or K by one needs 8976, 8976 or 8320 A+B rows: too many.
    assert choose_tiles(CFG, 100, 100, 100) == TilePlan(5, 5, 51)
    assert choose_tiles(CFG, 2, 3, 4) == TilePlan(2, 3, 4)          # the whole problem fits
    # Small K: grows J then I until C fills its half (I*J <= 32).
    plan = choose_tiles(CFG, 100, 100, 1)
    assert plan.tile_k == 1 and plan.tile_i * plan.tile_j * 16 <= 512
    assert (plan.tile_i + 1) * plan.tile_j * 16 > 512 and plan.tile_i * (plan.tile_j + 1) * 16 > 512


@pytest.mark.parametrize("name", ["resnet18", "digits_cnn"])
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_bounds(name, dataflow):
    wl = load_workload(name)
    est = estimate(wl, CFG, mode="gemmini", dataflow=dataflow)
    for layer, source in zip(est.layers, wl.layers):
        assert layer.cycles * 256 >= layer.macs             # never faster than the peak
        assert 0 < layer.utilization <= layer.compute_utilization <= 1
        assert 0 < layer.mapping_efficiency <= 1
        # At least the compulsory traffic (int8: one byte per element).
        assert layer.dram_read_bytes >= source.input_elements() + source.weight_elements()
        assert layer.dram_write_bytes == source.output_elements()
        assert layer.details["bound"] in ("compute", "load", "store")
    assert est.dataflow == dataflow


def test_memory_system_monotonic():
    wl = load_workload("resnet18")
    base = preset("small")          # DIM 4, 64-bit bus: memory matters here
    cycles = [estimate(wl, base.replace(dma_bus_bits=b), mode="gemmini").total_cycles
              for b in (64, 128, 256)]
    assert cycles[0] >= cycles[1] >= cycles[2]
    in_flight = [estimate(wl, base.replace(max_in_flight=n), mode="gemmini").total_cycles
                 for n in (1, 4, 16)]
    assert in_flight[0] > in_flight[1] >= in_flight[2]
    slow = GemminiModelParams(read_latency=400)
    assert GemminiModel(params=slow).estimate(wl, base).total_cycles > cycles[0]


def test_traffic_counts_reloads():
    # A GEMM whose A must be re-read for each J tile: DRAM reads exceed the compulsory traffic.
    layer = Layer.gemm("g", 512, 4096, 512)
    est = estimate(Workload("w", (layer,)), CFG, mode="gemmini")
    one = est.layers[0]
    assert one.dram_read_bytes > (512 * 512 + 512 * 4096)
    assert one.dram_write_bytes == 512 * 4096


def test_pluggable_tiler():
    calls = []

    def tiny_tiles(config, bi, bj, bk):
        calls.append((bi, bj, bk))
        return TilePlan(1, 1, 1)

    wl = Workload("w", (Layer.gemm("g", 64, 64, 64),))
    own = GemminiModel(tiler=tiny_tiles).estimate(wl, CFG)
    default = GemminiModel().estimate(wl, CFG)
    assert calls == [(4, 4, 4)]
    assert own.layers[0].details["tiles"] == 64
    assert own.total_cycles > default.total_cycles      # 64 tiles pay 64 tile overheads


def test_params_round_trip(tmp_path):
    params = GemminiModelParams(read_latency=55, calibration="test fit")
    path = tmp_path / "cal.json"
    params.save(path)
    assert GemminiModelParams.load(path) == params
    for text, message in [('{"read_latency": 1, "bogus": 2}', "unknown gemmini model parameter"),
                          ('{"read_latency": "fast"}', "read_latency must be an integer"),
                          ("[1]", "expected a JSON object"), ("{", "malformed JSON")]:
        path.write_text(text)
        with pytest.raises(ModelError, match=message):
            GemminiModelParams.load(path)
    with pytest.raises(ModelError, match="cannot read model parameters"):
        GemminiModelParams.load(tmp_path / "missing.json")
    est = estimate(load_workload("digits_cnn"), CFG, mode="gemmini", params=params)
    assert est.model["calibration"] == "test fit" and est.model["read_latency"] == 55


def test_dataflow_and_array_options():
    wl = load_workload("digits_cnn")
    os_only = CFG.replace(dataflow=Dataflow.OS)
    assert estimate(wl, os_only, mode="gemmini").dataflow == "os"
    assert estimate(wl, CFG, mode="gemmini").dataflow == "ws"
    with pytest.raises(ModelError, match="supports dataflow os"):
        estimate(wl, os_only, mode="gemmini", dataflow="ws")
    with pytest.raises(ModelError, match="dataflow"):
        estimate(wl, CFG, mode="gemmini", dataflow="is")
    with pytest.raises(ModelError, match="--rows/--cols"):
        estimate(wl, CFG, mode="gemmini", rows=8, cols=8)


def test_depthwise_is_groups_of_one_channel():
    shape = ConvShape.standard(ifmap_h=14, ifmap_w=14, filter_h=3, filter_w=3, channels=32,
                               num_filters=1, pad_h=1, pad_w=1)
    dw = Layer.depthwise("dw", shape)
    single = dataclasses.replace(dw, groups=1,
                                 conv=dataclasses.replace(shape, channels=1))
    est = estimate(Workload("w", (dw, single)), CFG, mode="gemmini")
    assert est.layers[0].cycles == 32 * est.layers[1].cycles
    assert est.layers[0].dram_read_bytes == 32 * est.layers[1].dram_read_bytes
