"""scalesim mode: hand-computed cases per dataflow, and every row SCALE-Sim itself reported."""

import csv
import math
from pathlib import Path

import pytest

from gemmini_gen.config import preset
from gemmini_gen.perf import ConvShape, Layer, Workload, estimate, load_workload
from gemmini_gen.perf.estimate import ModelError

CFG = preset("default")


def one(layer: Layer, dataflow: str, rows: int, cols: int):
    est = estimate(Workload("w", (layer,)), CFG, mode="scalesim", dataflow=dataflow, rows=rows,
                   cols=cols)
    return est.layers[0]


# C[20, 13] = A[20, 7] B[7, 13] on an 8 x 8 array, worked by hand:
#   os: Sr=M=20, Sc=N=13, T=K=7 -> 3 x 2 = 6 folds of 8+8+7-2 = 21 lines -> 6*21-1 = 125 cycles;
#       compute-utilization window R+C+T-2 = 21.
#   ws: Sr=K=7, Sc=N=13, T=M=20 -> 1 x 2 = 2 folds of 2*8+8+20-2 = 42 lines -> 83 cycles;
#       window 2R+2C+T-3 = 49.
#   is: Sr=K=7, Sc=M=20, T=N=13 -> 1 x 3 = 3 folds of 2*8+8+13-2 = 35 lines -> 104 cycles;
#       window 2R+2C+T-3 = 42.
HAND = {
    "os": dict(cycles=125, mapped=20 * 13, folds=6, window=21, T=7),
    "ws": dict(cycles=83, mapped=7 * 13, folds=2, window=49, T=20),
    "is": dict(cycles=104, mapped=7 * 20, folds=3, window=42, T=13),
}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_hand_computed_gemm(dataflow):
    hand = HAND[dataflow]
    layer = one(Layer.gemm("g", 20, 13, 7), dataflow, 8, 8)
    assert layer.cycles == hand["cycles"]
    assert layer.details["folds"] == hand["folds"]
    assert math.isclose(layer.mapping_efficiency, hand["mapped"] / (hand["folds"] * 64))
    assert math.isclose(layer.compute_utilization,
                        hand["mapped"] * hand["T"] / (64 * hand["window"] * hand["folds"]))
    assert math.isclose(layer.utilization, 20 * 13 * 7 / (hand["cycles"] * 64))


def test_hand_computed_conv_uses_scalesim_rounding():
    # 10x10 input, 3x3 filter, stride 2: SCALE-Sim counts ceil((10-3+2)/2) = 5 output rows (the
    # usual floor rule gives 4).  M = 25, K = 3*3*2 = 18, N = 7.  OS on 4x4: ceil(25/4)=7 row folds
    # x ceil(7/4)=2 col folds, 4+4+18-2 = 24 lines each -> 14*24-1 = 335 cycles.
    shape = ConvShape.scalesim(ifmap_h=10, ifmap_w=10, filter_h=3, filter_w=3, channels=2,
                               num_filters=7, stride_h=2, stride_w=2)
    layer = one(Layer.from_conv("c", shape), "os", 4, 4)
    assert (layer.M, layer.N, layer.K) == (25, 7, 18)
    assert layer.cycles == 335


def test_hand_computed_depthwise_runs_one_layer_per_channel():
    # DP layer: 8x8x3, 3x3, 2 filters per channel, stride 1 -> per channel M=36, K=9, N=2.
    # WS on 4x4: Sr=9 -> 3 row folds, Sc=2 -> 1 col fold, T=36: 3 * (8+4+36-2) - 1 = 137 cycles per
    # channel, 3 channels -> 411.
    shape = ConvShape.scalesim(ifmap_h=8, ifmap_w=8, filter_h=3, filter_w=3, channels=3,
                               num_filters=2, stride_h=1, stride_w=1)
    layer = one(Layer.depthwise("DP", shape), "ws", 4, 4)
    assert (layer.M, layer.N, layer.K, layer.groups) == (36, 2, 9, 3)
    assert layer.cycles == 3 * 137
    assert layer.macs == 3 * 36 * 2 * 9


def test_non_square_array_and_defaults():
    g = Layer.gemm("g", 64, 64, 64)
    wide = one(g, "os", 4, 16)
    tall = one(g, "os", 16, 4)
    # os: folds = ceil(64/R) * ceil(64/C) = 64 either way, lines R+C+T-2 = 82 -> same cycles.
    assert wide.cycles == tall.cycles == 64 * 82 - 1
    est = estimate(Workload("w", (g,)), CFG.with_dim(8), mode="scalesim")
    assert (est.rows, est.cols, est.dataflow) == (8, 8, "ws")     # BOTH -> ws, DIM x DIM
    with pytest.raises(ModelError, match="dataflow"):
        estimate(Workload("w", (g,)), CFG, mode="scalesim", dataflow="xs")
    with pytest.raises(ModelError, match="rows"):
        estimate(Workload("w", (g,)), CFG, mode="scalesim", rows=0)


def _reference(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_matches_recorded_scalesim(data_dir, version):
    """Every layer x array x dataflow SCALE-Sim reported: cycles and access counts exactly,
    utilizations to float rounding."""
    rows = _reference(data_dir / "scalesim" / f"reference_{version}.csv")
    # 6 arrays x 3 dataflows x (10 conv rows + 2 more for the 3-channel DP layer + 5 GEMMs)
    assert len(rows) == 6 * 3 * (12 + 5)
    expanded: dict[tuple, list] = {}
    for row in rows:
        key = (row["topology"], row["dataflow"], int(row["rows"]), int(row["cols"]))
        if key not in expanded:
            wl = load_workload(data_dir / "scalesim" / row["topology"])
            est = estimate(wl, CFG, mode="scalesim", dataflow=key[1], rows=key[2], cols=key[3])
            # SCALE-Sim reports a DP layer as one row per channel.
            expanded[key] = [l for l in est.layers for _ in range(l.groups)]
        layer = expanded[key][int(row["layer_id"])]
        g = layer.groups
        assert row["layer_name"].startswith(layer.name)
        assert int(row["stall_cycles"]) == 0
        assert int(row["total_cycles"]) == layer.cycles // g
        for name in ("ifmap_sram_reads", "filter_sram_reads", "ofmap_sram_writes",
                     "ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes"):
            assert int(row[name]) == layer.details[name] // g, (key, row["layer_name"], name)
        assert math.isclose(float(row["overall_util_pct"]), 100 * layer.utilization,
                            rel_tol=1e-9)
        assert math.isclose(float(row["mapping_efficiency_pct"]),
                            100 * layer.mapping_efficiency, rel_tol=1e-9)
        assert math.isclose(float(row["compute_util_pct"]), 100 * layer.compute_utilization,
                            rel_tol=1e-9)


def test_hand_cases_agree_with_recording(data_dir):
    rows = _reference(data_dir / "scalesim" / "reference_v3.csv")
    for dataflow, hand in HAND.items():
        row = next(r for r in rows if r["layer_name"] == "g_small" and r["dataflow"] == dataflow
                   and r["rows"] == r["cols"] == "8")
        assert int(row["total_cycles"]) == hand["cycles"]


def test_network_totals_and_bytes():
    wl = load_workload("resnet18")
    est = estimate(wl, CFG, mode="scalesim", dataflow="os")
    assert est.total_cycles == sum(l.cycles for l in est.layers)
    assert est.total_macs == wl.macs
    assert math.isclose(est.utilization, wl.macs / (est.total_cycles * 256))
    # OS writes each output once; reads are the compulsory input and weight traffic.
    assert est.total("dram_write_bytes") == sum(l.M * l.N * l.groups for l in wl.layers)
    assert est.total("dram_read_bytes") == sum(l.input_elements() + l.weight_elements()
                                               for l in wl.layers)
