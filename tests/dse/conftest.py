"""Fixtures for the DSE tests: small sweep specs that run in well under a second."""

import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

GEMMS = """\
name = "gemms"

[[layer]]
kind = "gemm"
name = "square"
M = 64
N = 64
K = 64

[[layer]]
kind = "gemm"
name = "skinny"
M = 1
N = 200
K = 96
"""

SPEC = """\
name = "small"

[base]
preset = "small"

[parameters]
dim = [4, 8]
dataflow = ["OS", "WS"]
sp_capacity_kib = [3, 16, 64]      # 3 KiB is not a whole number of rows: those points fail

[workloads]
digits = "digits_cnn"
gemms = "gemms.toml"

[model]
mode = "gemmini"

[area]
model = "none"

[metrics]
minimize = ["cycles", "area_proxy_mtr"]

[strategy]
{strategy}
"""


@pytest.fixture
def make_spec(tmp_path):
    """Write a spec (default: the small grid) and its GEMM list; returns the spec path."""
    def make(strategy: str = 'kind = "grid"', text: str | None = None) -> Path:
        (tmp_path / "gemms.toml").write_text(GEMMS)
        path = tmp_path / "spec.toml"
        path.write_text(text if text is not None else
                        SPEC.format(strategy=textwrap.dedent(strategy)))
        return path
    return make


@pytest.fixture
def standin_path(monkeypatch):
    """Make `standin_evaluator` importable (in this process and in forked workers)."""
    monkeypatch.syspath_prepend(str(HERE))
    return HERE
