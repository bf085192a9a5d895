"""gemmini-dse: outputs, the self-contained report, and one-line errors with exit status 2."""

import base64
import re
import subprocess
import sys

import pytest

from gemmini_gen.cli.dse import main


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:         # argparse usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_reports(capsys, make_spec, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, make_spec(), "--out", out, "--workers", "1", "--no-progress")
    assert code == 0 and stdout == ""
    lines = err.splitlines()
    assert lines[0] == f"gemmini-dse: 12 points (12 evaluated now, 4 failed); reports in {out}"
    assert re.fullmatch(r"gemmini-dse: evaluation \d+\.\d\d s, reports \d+\.\d\d s", lines[1])
    html = (out / "report.html").read_text()
    # Self-contained: every plot is inlined, nothing is loaded from elsewhere.
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == 3
    for name, data in zip(("pareto.png", "utilization_per_layer.png",
                           "cycles_by_dim_dataflow.png"), images):
        png = (out / name).read_bytes()
        assert base64.b64decode(data) == png and len(png) < 200_000
    assert not re.search(r"(src|href)=['\"](?!data:)", html)
    assert "Failed points" in html and "scratchpad rows per bank" in html
    assert "git_sha" in html


@pytest.mark.parametrize("spec_text, message", [
    ("[parameters]\ndim = [4]\n", "missing [workloads] table"),
    ("[workloads]\nw = \"no_such_net\"\n", "bad.toml:2: workload w: no workload file or built-in"),
    ("[workloads\n", "malformed TOML"),
])
def test_bad_spec_is_one_line_exit_2(capsys, tmp_path, spec_text, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(spec_text)
    code, out, err = run(capsys, spec, "--out", tmp_path / "o", "--no-progress")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "o" / "results.jsonl").exists()


def test_usage_errors(capsys, make_spec, tmp_path):
    spec = make_spec()
    for argv, message in [((spec,), "the following arguments are required: --out"),
                          ((spec, "--out", tmp_path / "o", "--backend", "mpi"), "invalid choice"),
                          ((spec, "--out", tmp_path / "o", "--workers", "0"), "--workers must be"),
                          ((tmp_path / "none.toml", "--out", tmp_path / "o"), "cannot read")]:
        code, out, err = run(capsys, *argv)
        assert code == 2 and err.count("\n") == 1 and message in err, (argv, err)


def test_existing_output_needs_resume(capsys, make_spec, tmp_path):
    out = tmp_path / "out"
    assert run(capsys, make_spec(), "--out", out, "--workers", "1", "--no-progress")[0] == 0
    code, _, err = run(capsys, make_spec(), "--out", out, "--no-progress")
    assert code == 2 and "pass --resume" in err and err.count("\n") == 1
    code, _, err = run(capsys, make_spec(), "--out", out, "--resume", "--no-progress")
    assert code == 0 and "(0 evaluated now" in err


def test_console_entry_point(make_spec, tmp_path):
    done = subprocess.run([sys.executable, "-m", "gemmini_gen.cli.dse", str(make_spec()),
                           "--out", str(tmp_path / "o"), "--workers", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "analytic" in done.stderr                   # the progress bar, on stderr
    assert (tmp_path / "o" / "results.csv").exists()


def test_rejected_options_leave_no_results_file(capsys, make_spec, tmp_path):
    out = tmp_path / "o"
    code, _, err = run(capsys, make_spec(), "--out", out, "--workers", "0", "--no-progress")
    assert code == 2 and "--workers must be >= 1" in err
    assert not (out / "results.jsonl").exists()
    code, _, err = run(capsys, make_spec(), "--out", out, "--workers", "1", "--no-progress")
    assert code == 0
