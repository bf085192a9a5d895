"""SCALE-Sim topology CSVs: every quirk of the shipped files, and one-line errors with file:line."""

import os
from pathlib import Path

import pytest

from gemmini_gen.perf import LayerKind, WorkloadError, load_workload
from gemmini_gen.perf.scalesim_csv import parse_scalesim_csv, read_scalesim_csv


def shape(layer):
    return layer.name, layer.kind.value, layer.M, layer.N, layer.K, layer.groups


def test_byte_order_mark_and_lowercase_header(topologies):
    unet = read_scalesim_csv(topologies / "conv_nets/UNet_2d.csv")
    assert unet.layers[0].name == "Conv1a"          # not "\ufeffConv1a" or a header row
    dlrm = read_scalesim_csv(topologies / "dlrm/dlrm_fwd.csv")
    assert len(dlrm.layers) == 8
    assert shape(dlrm.layers[-1]) == ("MLP_Top_2", "conv", 128, 512, 512, 1)


def test_tab_separated(topologies):
    w = read_scalesim_csv(topologies / "conv_nets/UNet_maestro.csv")
    assert len(w.layers) == 23
    # Conv1_1: 572x572, 3x3, 1 -> 64 channels: 570*570 output pixels.
    assert shape(w.layers[0]) == ("Conv1_1", "conv", 570 * 570, 64, 9, 1)


def test_empty_cell_rows_and_extra_columns(topologies):
    w = read_scalesim_csv(topologies / "conv_nets/Resnet50.csv")
    assert len(w.layers) == 54
    # Conv1: 224x224, 7x7x3, stride 2 -> ceil((224-7+2)/2) = 110 (the file's own Eh column).
    assert shape(w.layers[0]) == ("Conv1", "conv", 110 * 110, 64, 147, 1)
    assert w.layers[-1].name == "FC6"


def test_no_trailing_comma_no_final_newline(topologies):
    w = read_scalesim_csv(topologies / "mlperf/NCF_recommendation_short.csv")
    assert [l.name for l in w.layers] == ["MF_Embedding_user", "MLP_Embedding_user", "MLP_FC1",
                                          "MLP_FC2", "MLP_FC3", "Predict_FC"]
    assert shape(w.layers[-1]) == ("Predict_FC", "conv", 1, 1, 16, 1)


def test_gemm_format_with_crlf_and_short_header(topologies):
    gpt2 = read_scalesim_csv(topologies / "GEMM_mnk/gpt2.csv")
    assert [shape(l) for l in gpt2.layers[:2]] == [("QKT", "gemm", 1024, 1024, 64, 1),
                                                   ("QKTV", "gemm", 1024, 64, 1024, 1)]
    assert len(gpt2.layers) == 6
    vit = read_scalesim_csv(topologies / "ispass25_models/vit_bg.csv")
    assert shape(vit.layers[3]) == ("L3", "gemm", 256, 1000, 768, 1)


def test_batch_column(topologies):
    llama = read_scalesim_csv(topologies / "llama/llama3b.csv")
    assert len(llama.layers) == 51 and all(l.conv.batch == 1 for l in llama.layers)
    fwd = read_scalesim_csv(topologies / "transformer/transformer_fwd.csv")   # empty batch cells
    assert len(fwd.layers) == 54 and all(l.conv.batch == 1 for l in fwd.layers)
    text = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
            "Num Filter, Strides, Batch Size,\nc, 6, 6, 3, 3, 2, 5, 1, 4,\n")
    layer = parse_scalesim_csv(text).layers[0]
    assert (layer.M, layer.N, layer.K, layer.conv.batch) == (4 * 16, 5, 18, 4)
    assert layer.input_elements() == 4 * 6 * 6 * 2


def test_sparsity_column_is_ignored(topologies):
    conv = read_scalesim_csv(topologies / "sparsity/conv.csv")
    assert shape(conv.layers[0]) == ("CONV_1", "conv", 9, 6, 18, 1)
    gemm = read_scalesim_csv(topologies / "sparsity/gemm.csv")
    assert [shape(l) for l in gemm.layers] == [("GEMM_1", "gemm", 3, 5, 16, 1),
                                               ("GEMM_1", "gemm", 1, 5, 16, 1)]


def test_comments_and_indented_names(topologies):
    w = read_scalesim_csv(topologies / "conv_nets/mobilnet_paper.csv")
    assert len(w.layers) == 28
    assert shape(w.layers[1]) == ("Conv2_dw", "conv", 110 * 110, 1, 9, 1)   # "#dw" dropped
    assert "Conv14_dw_0" in [l.name for l in w.layers]                        # tab stripped


def test_header_typo_still_conv(topologies):
    w = read_scalesim_csv(topologies / "deepbench/DeepBenchConv/OCR.csv")
    assert len(w.layers) == 4 and w.layers[0].kind is LayerKind.CONV


def test_section_rows_prefix_names_and_malformed_row(topologies):
    path = topologies / "mlperf/MLPERF.csv"
    with pytest.raises(WorkloadError) as error:
        read_scalesim_csv(path)
    assert str(error.value) == f"{path}:219: Filter Width is empty"
    w = read_scalesim_csv(path, skip_malformed=True)
    assert w.skipped == (f"{path}:219: Filter Width is empty",)
    assert len(w.layers) == 1094
    assert w.layers[0].name == "AlphaGoZero/Conv"
    assert w.layers[-1].name == "Transformer/Attn_Concat_map"
    lstm = read_scalesim_csv(topologies / "mlperf/Sentimental_seqLSTM.csv", skip_malformed=True)
    assert [m.rsplit(":", 2)[1] for m in lstm.skipped] == ["29"]


def test_symbolic_template(topologies):
    path = topologies / "CSV/LSTM.csv"
    with pytest.raises(WorkloadError, match=r"LSTM.csv:2: IFMAP Width is the symbol 'B'"):
        read_scalesim_csv(path)
    w = read_scalesim_csv(path, symbols={"B": 16, "H": 256, "D": 128})
    assert shape(w.layers[1]) == ("LSTM_igate_x", "conv", 16, 256, 128, 1)


def test_layout_file_is_rejected(topologies):
    with pytest.raises(WorkloadError, match=r"test.csv:1: this is a SCALE-Sim layout file"):
        read_scalesim_csv(topologies / "v3_layouts/conv_nets/test.csv")


def test_dp_rows_are_depthwise(data_dir):
    w = load_workload(data_dir / "scalesim" / "ref_conv.csv")
    dp = next(l for l in w.layers if l.name == "DP_conv")
    assert dp.kind is LayerKind.DEPTHWISE
    assert (dp.M, dp.N, dp.K, dp.groups) == (36, 2, 9, 3)


HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
          "Num Filter, Strides,\n")


@pytest.mark.parametrize("row, message", [
    ("c, 6, 6, 3, 3, 2,\n", "c.csv:3: expected 7 numbers"),
    ("c, 6, 6, 3, x3, 2, 5, 1,\n", "c.csv:3: Filter Width is the symbol 'x3'"),
    ("c, 6, 6, 3, 3.5, 2, 5, 1,\n", "c.csv:3: Filter Width is not a non-negative integer: '3.5'"),
    ("c, 6, 6, 7, 3, 2, 5, 1,\n", "c.csv:3: c: filter height 7 exceeds"),
    ("c, 6, 6, 3, 3, 0, 5, 1,\n", "c.csv:3: c: channels must be a positive integer"),
    ("c, 6, 6, 3, 3, 2, 5, 0,\n", "c.csv:3: c: stride_h must be a positive integer"),
    (", 6, 6, 3, 3, 2, 5, 1,\n", "c.csv:3: the layer name is empty"),
])
def test_malformed_rows_name_file_and_line(tmp_path, row, message):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "ok, 6, 6, 3, 3, 2, 5, 1,\n" + row)
    with pytest.raises(WorkloadError) as error:
        read_scalesim_csv(path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("text, message", [
    ("", "empty topology file"),
    ("\n\n", "empty topology file"),
    ("Layer, a, b,\nx, 1, 2,\n", ":1: unrecognized header"),
    (HEADER, "no layers"),
    (HEADER + "\n,,,,,,,,\n", "no layers"),
])
def test_malformed_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(WorkloadError, match=message):
        read_scalesim_csv(path)


def test_unreadable_and_non_utf8(tmp_path):
    with pytest.raises(WorkloadError, match="cannot read workload"):
        read_scalesim_csv(tmp_path / "missing.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + b"caf\xe9, 6, 6, 3, 3, 2, 5, 1,\n")
    with pytest.raises(WorkloadError, match="not UTF-8"):
        read_scalesim_csv(path)


# Development-time check over the full set of shipped topologies (not part of CI: the project may not
# read ../shared in tests).  Run it with
#   SCALESIM_TOPOLOGIES=/work/shared/data/scalesim_topologies pytest tests/perf/test_scalesim_csv.py
FULL_SET = os.environ.get("SCALESIM_TOPOLOGIES")
# Rows that are broken in the shipped files themselves (an empty cell and "1 2").
KNOWN_BAD_ROWS = {"MLPERF.csv:219", "Sentimental_seqLSTM.csv:29"}


@pytest.mark.skipif(not FULL_SET, reason="set SCALESIM_TOPOLOGIES to the shipped topology folder")
def test_every_shipped_topology_parses():
    paths = sorted(Path(FULL_SET).rglob("*.csv"))
    assert paths
    for path in paths:
        if "v3_layouts" in path.parts:
            with pytest.raises(WorkloadError, match="layout file"):
                read_scalesim_csv(path)
            continue
        # LSTM.csv and LSTM_template.csv are templates in B (batch), H (hidden), D (input).
        w = read_scalesim_csv(path, symbols={"B": 16, "H": 256, "D": 128}, skip_malformed=True)
        assert w.layers, path
        for message in w.skipped:
            assert message.rsplit(":", 1)[0].rsplit("/", 1)[-1] in KNOWN_BAD_ROWS, message
