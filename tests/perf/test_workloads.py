"""Layers, layer-list TOML workloads, built-in workloads and the ONNX lowering hook."""

import pytest

from gemmini_gen.perf import (ConvShape, Layer, LayerError, LayerKind, Workload, WorkloadError,
                              builtin_workloads, load_workload, register_loader,
                              workload_from_lowering)
from gemmini_gen.perf import workload as workload_module
from gemmini_gen.perf.layer_list import parse_layer_list


def test_conv_rounding_conventions():
    std = ConvShape.standard(ifmap_h=10, ifmap_w=10, filter_h=3, filter_w=3, channels=2,
                             num_filters=4, stride_h=2, stride_w=2)
    ss = ConvShape.scalesim(ifmap_h=10, ifmap_w=10, filter_h=3, filter_w=3, channels=2,
                            num_filters=4, stride_h=2, stride_w=2)
    assert (std.ofmap_h, ss.ofmap_h) == (4, 5)      # floor(7/2)+1 vs ceil(9/2)
    padded = ConvShape.standard(ifmap_h=8, ifmap_w=8, filter_h=3, filter_w=3, channels=1,
                                num_filters=16, pad_h=1, pad_w=1)
    layer = Layer.from_conv("c", padded)
    assert (layer.M, layer.N, layer.K) == (64, 16, 9)


def test_touched_input_elements():
    # 1x1 stride 2 on 12x12: rows/cols 0,2,...,12 -> 7 of 12 (SCALE-Sim's ceil rule gives 7
    # outputs; the last window at 12 is off the edge and reads nothing) -> 6*6 touched... by hand:
    # windows start at 0,2,4,6,8,10,12 -> indices 0..10 even = 6 inside [0, 12).
    s = ConvShape.scalesim(ifmap_h=12, ifmap_w=12, filter_h=1, filter_w=1, channels=5,
                           num_filters=6, stride_h=2, stride_w=2)
    assert s.ofmap_h == 7
    assert s.touched_ifmap_elements() == 6 * 6 * 5
    # Overlapping 3x3 windows with padding 1 touch the whole unpadded input.
    p = ConvShape.standard(ifmap_h=4, ifmap_w=4, filter_h=3, filter_w=3, channels=2,
                           num_filters=1, pad_h=1, pad_w=1, batch=3)
    assert p.touched_ifmap_elements() == 3 * 4 * 4 * 2


@pytest.mark.parametrize("make, message", [
    (lambda: Layer.gemm("g", 0, 1, 1), "g: M must be a positive integer"),
    (lambda: Layer.gemm("", 1, 1, 1), "layer name"),
    (lambda: Layer("g", "pool", 1, 1, 1), "kind must be one of"),
    (lambda: Layer("g", LayerKind.CONV, 1, 1, 1), "must carry a ConvShape"),
    (lambda: ConvShape.standard(ifmap_h=2, ifmap_w=8, filter_h=5, filter_w=3, channels=1,
                                num_filters=1, pad_h=1, name="c"), "c: filter height 5 exceeds"),
    (lambda: ConvShape.standard(ifmap_h=8, ifmap_w=8, filter_h=3, filter_w=3, channels=1,
                                num_filters=1, pad_w=-1, name="c"), "pad_w must be"),
])
def test_layer_validation(make, message):
    with pytest.raises(LayerError, match=message):
        make()


LIST = """\
name = "tiny"

[[layer]]
kind = "conv"
name = "conv1"
ifmap = [8, 6]
channels = 3
filters = 4
kernel = 3
stride = [1, 2]
pad = 1

[[layer]]
kind = "depthwise"
name = "dw"
ifmap = 5
channels = 4
filters = 1
kernel = [3, 3]

[[layer]]
kind = "gemm"
name = "fc"
M = 2
N = 10
K = 64
"""


def test_layer_list():
    w = parse_layer_list(LIST)
    assert w.name == "tiny"
    conv, dw, fc = w.layers
    # conv1: out 8 x floor((6+2-3)/2)+1 = 3 -> M = 24, K = 27.
    assert (conv.M, conv.N, conv.K, conv.conv.pad_w, conv.conv.stride_w) == (24, 4, 27, 1, 2)
    assert (dw.kind, dw.M, dw.N, dw.K, dw.groups) == (LayerKind.DEPTHWISE, 9, 1, 9, 4)
    assert (fc.M, fc.N, fc.K) == (2, 10, 64)


@pytest.mark.parametrize("edit, message", [
    (("M = 2", "M = 0"), "<toml>:24: fc: M must be a positive integer"),
    (("K = 64", "K = 64\nbias = 1"), "<toml>:27: fc: unknown key 'bias'"),
    (('kind = "gemm"', 'kind = "pool"'), "<toml>:22: fc: kind must be gemm, conv or depthwise"),
    (("ifmap = 5", "ifmap = [5]"), "<toml>:16: dw: ifmap must be a positive integer or [height,"),
    (("channels = 3", "channels = true"), "<toml>:7: conv1: channels must be a positive integer"),
    (("pad = 1", "pad = -1"), "<toml>:11: conv1: pad must be a non-negative integer"),
    (('name = "tiny"', 'title = "tiny"'), "<toml>:1: unknown top-level key 'title'"),
    (("kernel = 3\n", "kernel = 9\n"), "<toml>:3: conv1: filter width 9 exceeds"),
    (("N = 10", "N = "), "malformed TOML"),
])
def test_layer_list_errors_name_the_line(edit, message):
    with pytest.raises(WorkloadError) as error:
        parse_layer_list(LIST.replace(*edit, 1))
    assert message in str(error.value)


def test_builtin_workloads():
    assert set(builtin_workloads()) >= {"resnet18", "resnet50", "digits_cnn"}
    r18 = load_workload("resnet18")
    assert len(r18.layers) == 21 and r18.layers[0].name == "Conv1"
    digits = load_workload("digits_cnn")
    # The digits CNN's ONNX shapes: conv 1->16 on 8x8, conv 16->32 on 4x4, gemm 128->10.
    assert [(l.M, l.N, l.K) for l in digits.layers] == [(64, 16, 9), (16, 32, 144), (1, 10, 128)]
    assert load_workload("resnet50").content_hash() == load_workload("resnet50").content_hash()


def test_unknown_sources(tmp_path):
    with pytest.raises(WorkloadError, match="no workload file or built-in workload named"):
        load_workload("no_such_net")
    (tmp_path / "w.xyz").write_text("")
    with pytest.raises(WorkloadError, match="unknown workload type '.xyz'"):
        load_workload(tmp_path / "w.xyz")
    with pytest.raises(WorkloadError, match="no layers"):
        Workload("empty", ())


def test_onnx_hook(tmp_path, monkeypatch):
    """The compiler's lowering plugs in as `path -> list[Layer]`."""
    monkeypatch.setattr(workload_module, "_LOADERS", {})
    model = tmp_path / "net.onnx"
    model.write_bytes(b"not really onnx")
    seen = []

    def lower(path):
        seen.append(path)
        return [Layer.gemm("fc", 1, 10, 128)]

    register_loader(".onnx", workload_from_lowering(lower))
    w = load_workload(model)
    assert seen == [model]
    assert (w.name, [l.name for l in w.layers]) == ("net", ["fc"])
    with pytest.raises(WorkloadError, match="no such file"):
        load_workload(tmp_path / "missing.onnx")


def test_onnx_without_lowering(tmp_path, monkeypatch):
    monkeypatch.setattr(workload_module, "_LOADERS", {})
    monkeypatch.setattr(workload_module, "ONNX_LOWERING_MODULE", "gemmini_gen.no_such_lowering")
    with pytest.raises(WorkloadError, match="ONNX workloads need the compiler's lowering"):
        load_workload(tmp_path / "net.onnx")
