"""gemmini-estimate: table and JSON output, options, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from gemmini_gen.cli.estimate import main
from gemmini_gen.config import preset
from gemmini_gen.perf import estimate, load_workload


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:         # argparse usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_table(capsys):
    code, out, err = run(capsys, "digits_cnn", "--preset", "small")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("digits_cnn: gemmini mode, 4x4 array, dataflow WS")
    assert [line.split()[0] for line in lines[2:]] == ["conv1", "conv2", "fc", "TOTAL"]
    expected = estimate(load_workload("digits_cnn"), preset("small"), mode="gemmini")
    assert int(lines[-1].split()[1]) == expected.total_cycles


def test_json_schema_scalesim_non_square(capsys):
    code, out, _ = run(capsys, "resnet18", "--mode", "scalesim", "--dataflow", "os",
                       "--rows", "32", "--cols", "8", "--json")
    assert code == 0
    doc = json.loads(out)
    assert {"mode", "config", "total_cycles", "layers"} <= set(doc)
    assert (doc["mode"], doc["rows"], doc["cols"], doc["dataflow"]) == ("scalesim", 32, 8, "os")
    layer = doc["layers"][0]
    assert {"name", "M", "N", "K", "cycles", "utilization", "mapping_efficiency"} <= set(layer)
    assert doc["total_cycles"] == sum(l["cycles"] for l in doc["layers"])
    expected = estimate(load_workload("resnet18"), preset("default"), mode="scalesim",
                        dataflow="os", rows=32, cols=8)
    assert [l["cycles"] for l in doc["layers"]] == [l.cycles for l in expected.layers]
    assert doc["config"] == preset("default").to_dict()


def test_config_file_dim_symbols_and_params(capsys, tmp_path, topologies):
    cfg = tmp_path / "cfg.toml"
    preset("medium").save(cfg)
    code, out, _ = run(capsys, str(topologies / "CSV/LSTM.csv"), "--config", str(cfg), "--dim",
                       "4", "--symbol", "B=8", "--symbol", "H=64", "--symbol", "D=32", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["config"]["mesh_rows"] == 4 and doc["layers"][1]["K"] == 32
    params = tmp_path / "params.json"
    params.write_text('{"read_latency": 80}')
    code, out, _ = run(capsys, "digits_cnn", "--params", str(params), "--json")
    assert code == 0 and json.loads(out)["mode"] == "gemmini"


def test_skip_bad_rows_reports_them(capsys, topologies):
    path = topologies / "mlperf/Sentimental_seqLSTM.csv"
    code, out, err = run(capsys, str(path), "--skip-bad-rows", "--mode", "scalesim")
    assert code == 0
    assert err == f"gemmini-estimate: skipped {path}:29: Filter Width is empty\n"


@pytest.mark.parametrize("argv, message", [
    (["no_such_net"], "no workload file or built-in workload named 'no_such_net'"),
    (["digits_cnn", "--dim", "3"], "dim must be a power of two >= 2, got 3"),
    (["digits_cnn", "--rows", "4"], "--rows/--cols are for scalesim mode"),
    (["digits_cnn", "--dataflow", "is"], "gemmini mode supports dataflow ws, os, got 'is'"),
    (["digits_cnn", "--symbol", "B"], "--symbol expects NAME=INTEGER"),
    (["digits_cnn", "--mode", "scalesim", "--params", "x.json"], "gemmini mode only"),
    (["digits_cnn", "--config", "/nonexistent.toml"], "cannot read config file"),
    (["digits_cnn", "--bogus"], "unrecognized arguments: --bogus"),
    (["digits_cnn", "--mode", "fast"], "invalid choice: 'fast'"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_console_script():
    done = subprocess.run([sys.executable, "-m", "gemmini_gen.cli.estimate", "digits_cnn",
                           "--mode", "scalesim", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workload"] == "digits_cnn"
    bad = subprocess.run([sys.executable, "-m", "gemmini_gen.cli.estimate", "x.csv"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
