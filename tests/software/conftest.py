"""Fixtures for the C side: generated headers, and gcc builds of C programs linked with the shim."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gemmini_gen import preset
from gemmini_gen.software import write_headers

ROOT = Path(__file__).resolve().parents[2]
SHIM_DIR = ROOT / "software" / "shim"
EXAMPLES = ROOT / "software" / "examples"
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror"]

requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


@pytest.fixture(scope="session")
def small_headers(tmp_path_factory) -> Path:
    """A directory with gemmini_params.h and gemmini.h of the small preset."""
    directory = tmp_path_factory.mktemp("headers_small")
    write_headers(preset("small"), directory)
    return directory


def compile_c(source: Path, headers: Path, out: Path, *, shim: bool = True) -> Path:
    """Build `source` (plus the shim) with gcc into `out`; a failure shows gcc's messages.  gcc
    runs in the source's directory, so `__FILE__` is the bare file name."""
    sources = [source.name] + ([str(SHIM_DIR / "gemmini_shim.c")] if shim else [])
    done = subprocess.run(["gcc", *CFLAGS, f"-I{headers}", f"-I{SHIM_DIR}", *sources, "-o",
                           str(out.resolve())], capture_output=True, text=True, cwd=source.parent)
    assert done.returncode == 0, done.stderr
    return out


def run_program(binary: Path, backend: str = "golden", timeout: float = 600,
                **env: str) -> subprocess.CompletedProcess:
    """Run a shim program with this interpreter as its server and `backend`."""
    environ = {**os.environ, "GEMMINI_PYTHON": sys.executable, "GEMMINI_BACKEND": backend, **env}
    return subprocess.run([str(binary)], capture_output=True, text=True, env=environ,
                          timeout=timeout)


@pytest.fixture
def build(tmp_path, small_headers):
    """`build(c_text, name="prog")` -> the path of the built shim program (small preset)."""
    def make(text: str, name: str = "prog") -> Path:
        source = tmp_path / f"{name}.c"
        source.write_text(text)
        return compile_c(source, small_headers, tmp_path / name)
    return make
