"""`gemmini-run` end to end: digits models on the golden backend equal to onnxruntime, the report, every
bad-input case (exit status 2, one line, nothing written), and a few images on the RTL backend."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper

from gemmini_gen import backend as backend_registry
from gemmini_gen.cli import run as run_module
from gemmini_gen.cli.run import main
from gemmini_gen.compiler import quantize
from gemmini_gen.config import preset
from gemmini_gen.isa import IllegalInstruction

DIGITS = Path(__file__).resolve().parents[1] / "data" / "onnx" / "digits"
HAS_RTL = importlib.util.find_spec("gemmini_gen.rtl.backend") is not None


def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def digits():
    with np.load(DIGITS / "digits_test.npz") as data:
        return data["x"], data["y"]


@pytest.fixture
def images(tmp_path, digits):
    path = tmp_path / "in.npz"
    np.savez(path, input=digits[0])
    return path


def _with_codes(name: str, tmp_path: Path) -> tuple[Path, str]:
    """The model with the int8 input of its last DequantizeLinear as a second output "codes"."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(DIGITS / f"{name}.onnx")))
    dq = next(n for n in model.graph.node if n.output[0] == "logits")
    zp = next(i for i in model.graph.initializer if i.name == dq.input[2])
    model.graph.output.append(helper.make_tensor_value_info(dq.input[0], zp.data_type, ["N", 10]))
    path = tmp_path / f"{name}_codes.onnx"
    onnx.save(model, str(path))
    return path, dq.input[0]


def _onnxruntime(model, feeds):
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


def _assert_nothing_written(directory: Path, before: set[str]):
    assert {p.name for p in directory.iterdir()} == before


# ----------------------------------------------------------------------------------------------
# Equal to onnxruntime
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("net", ["cnn", "mlp"])
@pytest.mark.parametrize("form", ["qdq", "qop", "qop_u8asym"])
def test_int8_models_equal_onnxruntime(net, form, tmp_path, images, digits, capsys):
    model, codes = _with_codes(f"digits_{net}_int8_{form}", tmp_path)
    out = tmp_path / "out.npz"
    code, stdout, stderr = run([model, "--input", images, "--output", out], capsys)
    assert code == 0 and stderr == ""
    assert "540 sample(s)" in stdout
    expected = _onnxruntime(model, {"input": digits[0]})
    with np.load(out) as result:
        assert sorted(result.files) == sorted(["logits", codes])
        assert result[codes].dtype in (np.int8, np.uint8)
        assert np.array_equal(result[codes], expected[codes])            # final 8-bit codes
        assert np.array_equal(result["logits"], expected["logits"])      # dequantized logits
        accuracy = (result["logits"].argmax(1) == digits[1]).mean()
    assert accuracy == (expected["logits"].argmax(1) == digits[1]).mean() > 0.97


@pytest.mark.parametrize("net", ["cnn", "mlp"])
def test_float_models_with_quantize_equal_onnxruntime(net, tmp_path, images, digits, capsys):
    with np.load(DIGITS / "digits_calib.npz") as data:
        calibration = data["x"]
    np.savez(tmp_path / "cal.npz", input=calibration)
    model = DIGITS / f"digits_{net}_fp32.onnx"
    out = tmp_path / "out.npz"
    code, _, stderr = run([model, "--input", images, "--output", out, "--quantize", "--calibration",
                           tmp_path / "cal.npz"], capsys)
    assert code == 0 and stderr == ""
    expected = _onnxruntime(quantize(model, {"input": calibration}), {"input": digits[0]})
    with np.load(out) as result:
        # dequantization is injective, so equal logits mean equal final int8 codes
        assert np.array_equal(result["logits"], expected["logits"])
        assert (result["logits"].argmax(1) == digits[1]).mean() == (expected["logits"].argmax(1) == digits[1]).mean()


def test_report_fields(tmp_path, images, capsys):
    out, report_path = tmp_path / "out.npz", tmp_path / "report.json"
    code, _, _ = run([DIGITS / "digits_cnn_int8_qdq.onnx", "--input", images, "--output", out,
                      "--report", report_path, "--batch", 100], capsys)
    assert code == 0
    report = json.loads(report_path.read_text())
    assert report["model"].endswith("digits_cnn_int8_qdq.onnx") and report["backend"] == "golden"
    assert report["config"] == preset("default").to_dict()
    assert (report["images"], report["batch"], report["runs"]) == (540, 100, 6)
    assert report["total_cycles"] is None and "does not model time" in report["cycles_note"]
    assert report["wall_time_s"] > 0 and report["images_per_s"] > 0
    layers = report["layers"]
    assert [(l["name"], l["on"]) for l in layers] == [
        ("input_QuantizeLinear", "host"), ("/f/f.0/Conv", "accelerator"), ("/f/f.2/MaxPool", "host"),
        ("/f/f.3/Conv", "accelerator"), ("/f/f.5/MaxPool", "host"), ("/Flatten", "host"),
        ("/fc/Gemm", "accelerator"), ("logits_DequantizeLinear", "host")]
    for layer in layers:
        assert set(layer) >= {"name", "op", "on", "macs", "cycles", "utilization"}
        assert layer["cycles"] is None
    conv1, conv2, fc = (l for l in layers if l["on"] == "accelerator")
    assert [conv1["macs"], conv2["macs"], fc["macs"]] == [540 * 64 * 9 * 16, 540 * 16 * 144 * 32, 540 * 128 * 10]
    assert report["accelerator_macs"] == conv1["macs"] + conv2["macs"] + fc["macs"]
    # golden: utilization from instruction counts (useful / issued MAC slots); K = 9 fills 9 of 16 rows
    assert conv1["utilization_basis"] == "array" and conv1["utilization"] == pytest.approx(9 / 16)
    assert conv2["utilization"] == 1.0 and 0 < fc["utilization"] < 1
    assert conv1["counters"]["programs"] == 6 and conv1["counters"]["inst.compute_preloaded"] > 0
    assert [h["op"] for h in report["host_ops"]] == ["QuantizeLinear", "MaxPool", "MaxPool", "Flatten",
                                                     "DequantizeLinear"]
    assert all(h["why"] for h in report["host_ops"])
    assert report["programs"] == {"built": 6, "run": 18}        # 100-image and 40-image programs


def test_reference_backend_and_notes(tmp_path, images, capsys):
    golden, reference, report = tmp_path / "g.npz", tmp_path / "r.npz", tmp_path / "r.json"
    model = DIGITS / "digits_mlp_mm_int8_qop_u8asym.onnx"
    assert run([model, "--input", images, "--output", golden], capsys)[0] == 0
    assert run([model, "--input", images, "--output", reference, "--backend", "reference",
                "--report", report], capsys)[0] == 0
    with np.load(golden) as g, np.load(reference) as r:
        assert np.array_equal(g["logits"], r["logits"])
    data = json.loads(report.read_text())
    assert all(l["utilization"] is None for l in data["layers"])
    assert sum("QLinearAdd stays on the host" in n for n in data["notes"]) == 3
    assert sum("requantized on the host" in n for n in data["notes"]) == 3
    assert any("differ from onnxruntime's QLinearAdd" in h["why"] or "zero points" in h["why"]
               for h in data["host_ops"] if h["op"] == "QLinearAdd")


def test_samples_on_a_leading_axis(tmp_path, digits, capsys):
    np.savez(tmp_path / "in.npz", input=digits[0][:10, None])         # 10 samples of shape (1, 1, 8, 8)
    code, _, _ = run([DIGITS / "digits_cnn_int8_qop.onnx", "--input", tmp_path / "in.npz", "--output",
                      tmp_path / "out.npz", "--batch", 4], capsys)
    assert code == 0
    expected = _onnxruntime(DIGITS / "digits_cnn_int8_qop.onnx", {"input": digits[0][:10]})["logits"]
    with np.load(tmp_path / "out.npz") as result:
        assert result["logits"].shape == (10, 1, 10)
        assert np.array_equal(result["logits"][:, 0], expected)


def test_console_script(tmp_path, images):
    out = tmp_path / "out.npz"
    script = str(Path(sys.executable).parent / "gemmini-run")
    done = subprocess.run([script, str(DIGITS / "digits_mlp_int8_qop.onnx"), "--input", str(images),
                           "--output", str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and out.exists()
    done = subprocess.run([script, str(DIGITS / "nope.onnx"), "--input", str(images), "--output", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------------------------
# Bad input: exit status 2, one line, nothing written
# ----------------------------------------------------------------------------------------------
def _sine_model(path: Path):
    nodes = [helper.make_node("Sin", ["x"], ["s"], name="sine"),
             helper.make_node("Cos", ["s"], ["c"], name="cosine"),
             helper.make_node("Sin", ["c"], ["y"], name="sine2")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, ["N", 4])],
                              [helper.make_tensor_value_info("y", 1, ["N", 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def _bad_cases(tmp_path: Path, images: Path, digits) -> dict:
    cnn = DIGITS / "digits_cnn_int8_qdq.onnx"
    _sine_model(tmp_path / "sine.onnx")
    (tmp_path / "garbage.onnx").write_bytes(b"\x00not an onnx model")
    np.savez(tmp_path / "wrong_name.npz", image=digits[0])
    np.savez(tmp_path / "wrong_shape.npz", input=digits[0].reshape(540, 8, 8))
    np.savez(tmp_path / "wrong_dtype.npz", input=digits[0].astype(np.float64))
    np.savez(tmp_path / "sine_in.npz", x=np.ones((3, 4), np.float32))
    (tmp_path / "not_npz.npz").write_text("hello")
    preset("default").replace(name="tiny", acc_capacity_kib=1, acc_banks=1).save(tmp_path / "tiny.toml")
    base = ["--input", images, "--output", tmp_path / "out.npz"]
    return {
        "unsupported op": ([tmp_path / "sine.onnx", "--input", tmp_path / "sine_in.npz", "--output",
                            tmp_path / "out.npz"],
                           r"unsupported operators: Sin \('sine', 'sine2'\); Cos \('cosine'\)"),
        "malformed model": ([tmp_path / "garbage.onnx", *base], r"cannot parse .* as an ONNX model"),
        "missing model": ([tmp_path / "none.onnx", *base], r"model file .* does not exist"),
        "missing input name": ([cnn, "--input", tmp_path / "wrong_name.npz", "--output", tmp_path / "out.npz"],
                               r"unknown input 'image'; the model's inputs are "
                               r"input \(float32, shape \(N, 1, 8, 8\)\)"),
        "wrong shape": ([cnn, "--input", tmp_path / "wrong_shape.npz", "--output", tmp_path / "out.npz"],
                        r"input 'input' has shape \(540, 8, 8\); the model expects \(N, 1, 8, 8\)"),
        "wrong dtype": ([cnn, "--input", tmp_path / "wrong_dtype.npz", "--output", tmp_path / "out.npz"],
                        r"input 'input' has dtype float64, the model expects float32"),
        "not an npz": ([cnn, "--input", tmp_path / "not_npz.npz", "--output", tmp_path / "out.npz"],
                       r"cannot read input file .* as \.npz"),
        "missing npz": ([cnn, "--input", tmp_path / "none.npz", "--output", tmp_path / "out.npz"],
                        r"input file .* does not exist"),
        "layer too large": ([cnn, *base, "--config", tmp_path / "tiny.toml"],
                            r"accelerator layer '/f/f.0/Conv' .* does not fit config 'tiny': no tiling fits"),
        "batch 0": ([cnn, *base, "--batch", 0], r"--batch must be at least 1"),
        "quantize without calibration": ([cnn, *base, "--quantize"], r"--quantize needs --calibration"),
        "calibration without quantize": ([cnn, *base, "--calibration", images], r"only used with --quantize"),
        "waves on golden": ([cnn, *base, "--waves"], r"--waves needs --backend rtl"),
        "unknown preset": ([cnn, *base, "--preset", "huge"], r"argument --preset: invalid choice"),
        "unknown backend": ([cnn, *base, "--backend", "fpga"], r"argument --backend: invalid choice"),
        "bad dim": ([cnn, *base, "--dim", 3], r"dim must be a power of two"),
        "unknown flag": ([cnn, *base, "--fast"], r"unrecognized arguments: --fast"),
        "no output flag": ([cnn, "--input", images], r"the following arguments are required: --output"),
        "missing output directory": ([cnn, "--input", images, "--output", tmp_path / "nodir" / "o.npz"],
                                     r"its directory does not exist"),
        "same output and report": ([cnn, *base, "--report", tmp_path / "out.npz"], r"name the same file"),
    }


CASES = ["unsupported op", "malformed model", "missing model", "missing input name", "wrong shape",
         "wrong dtype", "not an npz", "missing npz", "layer too large", "batch 0",
         "quantize without calibration", "calibration without quantize", "waves on golden", "unknown preset",
         "unknown backend", "bad dim", "unknown flag", "no output flag", "missing output directory",
         "same output and report"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path, images, digits, capsys):
    argv, message = _bad_cases(tmp_path, images, digits)[case]
    argv = [*argv, "--report", tmp_path / "report.json"] if "--report" not in argv and case != "no output flag" \
        else argv
    before = {p.name for p in tmp_path.iterdir()}
    code, stdout, stderr = run(argv, capsys)
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("gemmini-run: error: "), stderr
    assert re.search(message, stderr), stderr
    _assert_nothing_written(tmp_path, before)


def test_allow_host_ops_runs_what_the_accelerator_cannot(tmp_path, capsys):
    _sine_model(tmp_path / "sine.onnx")
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    np.savez(tmp_path / "in.npz", x=x)
    code, _, _ = run([tmp_path / "sine.onnx", "--input", tmp_path / "in.npz", "--output", tmp_path / "out.npz",
                      "--allow-host-ops", "--report", tmp_path / "r.json"], capsys)
    assert code == 0
    with np.load(tmp_path / "out.npz") as result:
        assert np.array_equal(result["y"], _onnxruntime(tmp_path / "sine.onnx", {"x": x})["y"])
    report = json.loads((tmp_path / "r.json").read_text())
    assert [l["on"] for l in report["layers"]] == ["host"] * 3 and report["total_cycles"] == 0


def test_unavailable_backend_is_a_clean_error(tmp_path, images, monkeypatch, capsys):
    monkeypatch.setitem(backend_registry._REGISTRY, "rtl", "gemmini_gen.no_such_backend:RtlBackend")
    before = {p.name for p in tmp_path.iterdir()}
    code, _, stderr = run([DIGITS / "digits_mlp_int8_qop.onnx", "--input", images, "--output",
                           tmp_path / "out.npz", "--backend", "rtl"], capsys)
    assert code == 2 and stderr == ("gemmini-run: error: backend 'rtl' is not available (module "
                                    "gemmini_gen.no_such_backend not found)\n")
    _assert_nothing_written(tmp_path, before)


def test_a_failing_backend_exits_1(tmp_path, images, monkeypatch, capsys):
    class Rejecting:
        name = "golden"
        config = preset("default")

        def run(self, program, memory):
            raise IllegalInstruction(3, "SEQUENCE", "rejected by the hardware", "preload")

    monkeypatch.setattr(run_module, "get_backend", lambda name, config, **options: Rejecting())
    before = {p.name for p in tmp_path.iterdir()}
    code, _, stderr = run([DIGITS / "digits_mlp_int8_qop.onnx", "--input", images, "--output",
                           tmp_path / "out.npz"], capsys)
    assert code == 1 and stderr.count("\n") == 1
    assert stderr.startswith("gemmini-run: error: the golden backend failed: "
                             "accelerator layer '/n/n.1/Gemm_quant'")
    _assert_nothing_written(tmp_path, before)


# ----------------------------------------------------------------------------------------------
# RTL backend
# ----------------------------------------------------------------------------------------------
@pytest.mark.skipif(not HAS_RTL, reason="the RTL backend (gemmini_gen.rtl.backend) is not installed yet")
@pytest.mark.parametrize("name", ["digits_cnn_int8_qdq", "digits_mlp_int8_qop_u8asym"])
def test_rtl_backend_equals_golden(name, tmp_path, digits, capsys):
    """A few images on the small preset's RTL, bit for bit the golden model; cycles are measured."""
    np.savez(tmp_path / "in.npz", input=digits[0][:4])
    common = [DIGITS / f"{name}.onnx", "--input", tmp_path / "in.npz", "--preset", "small"]
    assert run([*common, "--output", tmp_path / "golden.npz"], capsys)[0] == 0
    code, _, stderr = run([*common, "--output", tmp_path / "rtl.npz", "--backend", "rtl", "--report",
                           tmp_path / "rtl.json"], capsys)
    assert code == 0, stderr
    with np.load(tmp_path / "golden.npz") as golden, np.load(tmp_path / "rtl.npz") as rtl:
        assert np.array_equal(rtl["logits"], golden["logits"])
    report = json.loads((tmp_path / "rtl.json").read_text())
    layers = [l for l in report["layers"] if l["on"] == "accelerator"]
    assert all(l["cycles"] > 0 and l["utilization_basis"] == "cycles" and 0 < l["utilization"] <= 1
               for l in layers)
    assert report["total_cycles"] == sum(l["cycles"] for l in layers)
    assert all(l["counters"]["hw.cycles"] == l["cycles"] for l in layers)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_RTL, reason="the RTL backend (gemmini_gen.rtl.backend) is not installed yet")
def test_rtl_waves(tmp_path, digits, capsys):
    """--waves: one VCD per program in <OUT>_waves/ (a tracing Verilator build: slow)."""
    np.savez(tmp_path / "in.npz", input=digits[0][:1])
    code, _, stderr = run([DIGITS / "digits_mlp_int8_qop.onnx", "--input", tmp_path / "in.npz", "--preset",
                           "small", "--output", tmp_path / "out.npz", "--backend", "rtl", "--waves"], capsys)
    assert code == 0, stderr
    waves = sorted((tmp_path / "out_waves").iterdir())
    assert len(waves) == 3 and all(w.suffix == ".vcd" and w.stat().st_size > 0 for w in waves)
