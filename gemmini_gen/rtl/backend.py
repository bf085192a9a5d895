"""`RtlBackend` (backend "rtl"): runs programs on the Verilator model of the generated accelerator.

```python
backend = get_backend("rtl", cfg, read_latency=40)
result = backend.run(program, memory)    # RunResult: memory, cycles, counters, stats, responses
results = backend.run_many([(p1, m1), (p2, m2)])   # one simulator process for all of them
```
* One Verilator build per (config, memory size class, latencies, waves), cached (`rtl/build.py`).
* `memory_bytes` of the memory model: the smallest power of two (>= 1 MiB) holding the span of the
  program's regions, unless given; addresses wrap modulo it, so regions may sit anywhere in the
  64-bit space as long as their span fits.
* `stats` is what the program asks for, exactly as the golden model counts it
  (`programs.walk.program_stats`); `counters` are the harness's hardware measurements
  (`rtl.harness.COUNTERS`: cycles, cycles to the last write, per-unit busy cycles, bus beats and
  bytes); `cycles` = cycles from the first accepted command until the accelerator was idle.
* `run_many` resets the accelerator between programs and, before each program after the first,
  zero-fills every local row the program touches (`programs.clean_slate`), so every program sees
  what a freshly powered-up accelerator would show it.
* Errors: an illegal command -> `RtlIllegalCommand` (an `IllegalInstruction` naming the command
  index, mnemonic and the hardware's cause; `.result` holds the run's result, since the machine
  dropped the command and went on); no progress for `watchdog_cycles` -> `RtlWatchdogError` naming
  the stuck units; a run over `wall_limit_s` -> `RtlTimeoutError`.
* `waves=True`: a tracing build; the VCD of the last run is copied to `waves_path` (default
  `./<program name>.vcd`).
* `memory="axiram"`: a cocotbext-axi `AxiRam` with random pauses (`pause`, `seed`) and an AXI4 rule
  checker instead of the memory model (a separate build; protocol tests: Python runs every cycle,
  keep programs small).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ..backend import BackendError, RunResult
from ..config import GemminiConfig
from ..isa import IllegalInstruction, Program, format_of
from ..memory import Memory
from .programs.readback import clean_slate
from .programs.walk import program_stats

__all__ = ["RtlBackend", "RtlIllegalCommand", "RtlSimulationError", "RtlTimeoutError",
           "RtlWatchdogError"]

MIN_MEMORY = 1 << 20          # smallest memory class: most programs share one build
_OPTIONS = ("read_latency", "write_latency", "memory", "memory_bytes", "waves", "waves_path",
            "watchdog_cycles", "wall_limit_s", "work_dir", "pause", "seed", "stall_after")


class RtlSimulationError(RuntimeError):
    """A simulation that did not finish normally (one-line message)."""


class RtlWatchdogError(RtlSimulationError):
    """No progress for the watchdog period; `.units` are the busy units, `.fed` the commands the
    accelerator had accepted, `.counters` the harness counters at that point."""

    def __init__(self, message: str, units: list[str], fed: int, counters: dict[str, int]):
        super().__init__(message)
        self.units, self.fed, self.counters = units, fed, counters


class RtlTimeoutError(RtlSimulationError):
    """The run exceeded its wall-clock limit."""


class RtlIllegalCommand(IllegalInstruction):
    """The hardware rejected a command (`.index`, `.name`, `.field` = the hardware's cause).
    The machine dropped it and went on: `.result` is the run's `RunResult`."""

    def __init__(self, index: int, name: str, cause: str, funct: int, result: RunResult | None):
        super().__init__(index, cause, f"rejected by the hardware (funct {funct}, cause {cause})",
                         name)
        self.result = result


def _memory_class(memory: Memory) -> tuple[int, np.ndarray, int]:
    """(size class, flat image, base) of `memory`."""
    base, flat = memory.image()
    size = MIN_MEMORY
    while size < flat.size:
        size *= 2
    return size, flat, base


class RtlBackend:
    """Backend "rtl" (see the module docstring for the options)."""

    name = "rtl"

    def __init__(self, config: GemminiConfig, **options) -> None:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise BackendError(f"unknown rtl backend option(s): {', '.join(unknown)} "
                               f"(choose from {', '.join(_OPTIONS)})")
        self.config = config
        self.read_latency = options.get("read_latency", 40)
        self.write_latency = options.get("write_latency", self.read_latency)
        self.memory_model = options.get("memory", "model")
        self.memory_bytes = options.get("memory_bytes")
        self.waves = bool(options.get("waves", False))
        self.waves_path = options.get("waves_path")
        self.watchdog = options.get("watchdog_cycles", 20000)
        self.wall_limit = options.get("wall_limit_s")
        self.work_dir = options.get("work_dir")
        self.pause = options.get("pause", 0.3)
        self.seed = options.get("seed", 0)
        self.stall_after = options.get("stall_after", 0)
        for name in ("read_latency", "write_latency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 4:
                raise BackendError(f"{name} must be an integer >= 4, got {value!r}")
        if self.memory_model not in ("model", "axiram"):
            raise BackendError(f"memory must be 'model' or 'axiram', got {self.memory_model!r}")
        if not isinstance(self.watchdog, int) or self.watchdog < 0:
            raise BackendError(f"watchdog_cycles must be an integer >= 0, got {self.watchdog!r}")
        mb = self.memory_bytes
        if mb is not None and (isinstance(mb, bool) or not isinstance(mb, int) or mb < 4096
                               or mb & (mb - 1)):
            raise BackendError(f"memory_bytes must be a power of two >= 4096, got {mb!r}")
        if not isinstance(self.pause, (int, float)) or not 0 <= self.pause < 1:
            raise BackendError(f"pause must be a probability in [0, 1), got {self.pause!r}")
        if isinstance(self.stall_after, bool) or not isinstance(self.stall_after, int) \
                or self.stall_after < 0:
            raise BackendError(f"stall_after must be an integer >= 0, got {self.stall_after!r}")
        if self.wall_limit is not None and (not isinstance(self.wall_limit, (int, float))
                                            or self.wall_limit <= 0):
            raise BackendError(f"wall_limit_s must be a positive number, got "
                               f"{self.wall_limit!r}")
        self.last_build = None
        self.last_wall_seconds: list[float] = []    # simulation time of each program, last run
        self.last_cpu_seconds: list[float] = []     # CPU time of the simulator process, the same
        self.last_memory_bytes = 0                  # memory model size of the last run

    # ------------------------------------------------------------------------------------------
    def run(self, program: Program, memory: Memory) -> RunResult:
        """Run `program` from reset on a copy of `memory`."""
        return self.run_many([(program, memory)])[0]

    def run_many(self, jobs: Sequence[tuple[Program, Memory]],
                 illegal: str = "raise") -> list[RunResult | RtlIllegalCommand]:
        """Run several programs in one simulator process (see the module docstring).

        `illegal="raise"` raises the first `RtlIllegalCommand`; `illegal="return"` puts it in the
        list in place of that program's result (its `.result` is the run's result)."""
        if illegal not in ("raise", "return"):
            raise BackendError(f"illegal must be 'raise' or 'return', got {illegal!r}")
        if not jobs:
            return []
        for program, memory in jobs:
            program.check_memory(memory)
        size = max(_memory_class(memory)[0] for _, memory in jobs)
        if self.memory_bytes is not None:
            span = max(memory.image()[1].size for _, memory in jobs)
            if self.memory_bytes < span:
                raise BackendError(f"memory_bytes {self.memory_bytes} cannot hold the "
                                   f"{span}-byte span of the program's regions")
            size = self.memory_bytes
        sim = self._build(size)
        self.last_memory_bytes = size
        with tempfile.TemporaryDirectory(prefix="gemmini-rtl-",
                                         dir=self.work_dir) as tmp:
            work = Path(tmp)
            setup, prepared = self._setup(jobs, size, work)
            (work / "setup.json").write_text(json.dumps(setup))
            from .cocotb_entry import SETUP_ENV

            sim.run("gemmini_gen.rtl.cocotb_entry", test_dir=work, waves=self.waves,
                    extra_env={SETUP_ENV: str(work / "setup.json")}, log_name="rtl")
            if self.waves:
                self._save_waves(work, jobs[-1][0])
            results_file = work / "results.json"
            if not results_file.exists():
                raise RtlSimulationError("the simulation wrote no results (did it crash?)")
            outcome = json.loads(results_file.read_text())["jobs"]
            self.last_wall_seconds = [job["wall_seconds"] for job in outcome]
            self.last_cpu_seconds = [job["cpu_seconds"] for job in outcome]
            results = []
            for job, prep, res in zip(jobs, prepared, outcome):
                try:
                    results.append(self._result(job, prep, res, size))
                except RtlIllegalCommand as e:
                    if illegal == "raise":
                        raise
                    results.append(e)
            if len(results) < len(jobs):
                raise RtlSimulationError(f"the simulation ended after {len(results)} of "
                                         f"{len(jobs)} programs")
            return results

    # ------------------------------------------------------------------------------------------
    def _build(self, size: int):
        from .build import harness_build
        from .harness import HarnessParams

        params = HarnessParams(memory_bytes=size, read_latency=self.read_latency,
                               write_latency=self.write_latency,
                               external=self.memory_model == "axiram")
        self.last_build = harness_build(self.config, params, waves=self.waves)
        return self.last_build

    def _setup(self, jobs, size: int, work: Path) -> tuple[dict, list[dict]]:
        from ..hw.axi_memory import image_segments

        cfg = self.config
        entries, prepared = [], []
        for index, (program, memory) in enumerate(jobs):
            _, flat, base = _memory_class(memory)
            offset = base % size
            entry = {"name": program.name or f"job{index}",
                     "commands": _write_records(work / f"cmd{index}.bin", program.commands),
                     "preamble": _write_records(work / f"pre{index}.bin",
                                                clean_slate(program, cfg)) if index else None,
                     "image": None, "image_bin": None, "image_offset": offset,
                     "dump": str(work / f"dump{index}"), "stall_after": self.stall_after}
            if flat.size:
                if self.memory_model == "axiram":
                    entry["image_bin"] = str(work / f"image{index}.bin")
                    Path(entry["image_bin"]).write_bytes(_wrapped(flat, offset, size).tobytes())
                    entry["image_offset"] = 0
                else:
                    entry["image"] = str(work / f"image{index}.seg")
                    head = min(flat.size, size - offset)
                    load = image_segments(flat[:head], offset, cfg.bus_bytes)
                    if head < flat.size:                     # the span wraps around
                        load += image_segments(flat[head:], 0, cfg.bus_bytes)
                    Path(entry["image"]).write_bytes(load)
            entries.append(entry)
            prepared.append({"base": base, "offset": offset, "span": flat.size,
                             "dump": entry["dump"]})
        setup = {"bus_bytes": cfg.bus_bytes, "memory_bytes": size, "memory": self.memory_model,
                 "hdl_clock": self.last_build.hdl_clock,
                 "cmd_depth": 16384, "resp_depth": 64, "path_bytes": 256,
                 "watchdog": self.watchdog, "max_burst_bytes": cfg.dma_max_bytes,
                 "seed": self.seed, "pause": self.pause, "wall_limit_s": self.wall_limit,
                 "results": str(work / "results.json"), "jobs": entries}
        return setup, prepared

    def _result(self, job, prep: dict, res: dict, size: int) -> RunResult:
        program, memory = job
        fed, where = res["fed"], f"{program.name or 'program'}" + \
            (" (its clean-slate preamble)" if res["phase"] == "preamble" else "")
        if res["outcome"] == "stuck":
            units = res["stuck_units"] or []
            raise RtlWatchdogError(
                f"{where}: watchdog: no progress for {self.watchdog} cycles; stuck units: "
                f"{', '.join(units) or 'none busy'} (accepted {fed} of {res['total']} commands)",
                units, fed, res["counters"])
        if res["outcome"] == "timeout":
            raise RtlTimeoutError(f"{where}: wall-clock limit of {self.wall_limit} s reached "
                                  f"after {res['counters']['cycles']} cycles (accepted {fed} of "
                                  f"{res['total']})")
        if res["phase"] == "preamble":      # legal zero-fill MVINs the hardware rejected
            raise RtlSimulationError(f"{where}: the hardware rejected a command: {res['error']}")
        final = memory.copy()
        if prep["span"]:
            raw = self._read_dump(Path(prep["dump"]), size)
            final.load_image(prep["base"], _unwrapped(raw, prep["offset"], prep["span"], size))
        counters = dict(res["counters"])
        result = RunResult(memory=final, cycles=counters["cycles"], counters=counters,
                           stats=program_stats(program, self.config),
                           responses=res["responses"])
        if res["error"] is not None:
            err = res["error"]
            index = err["index"]
            fmt = format_of(err["funct"], program.commands[index].rs1) \
                if 0 <= index < len(program.commands) else None
            raise RtlIllegalCommand(index, fmt.name if fmt else "raw", err["cause"],
                                    err["funct"], result)
        return result

    def _read_dump(self, path: Path, size: int) -> np.ndarray:
        if self.memory_model == "axiram":
            return np.frombuffer(path.read_bytes(), dtype=np.uint8)
        from ..hw.axi_memory import image_from_dump

        return image_from_dump(path.read_bytes(), self.config.bus_bytes, 0, size)

    def _save_waves(self, work: Path, program: Program) -> None:
        """Copy the trace the simulator wrote in its working directory to `waves_path`."""
        trace = work / "dump.vcd"
        if not trace.exists():
            raise RtlSimulationError(f"waves were requested but the simulator wrote no {trace}")
        shutil.copyfile(trace, Path(self.waves_path or f"{program.name or 'rtl'}.vcd"))


def _write_records(path: Path, commands) -> str:
    """The commands as binary records (the binary program form without its header)."""
    binary = Program(list(commands)).to_bytes()
    path.write_bytes(binary[int.from_bytes(binary[12:16], "little"):])
    return str(path)


def _wrapped(flat: np.ndarray, offset: int, size: int) -> np.ndarray:
    """The whole memory (`size` bytes) holding `flat` at `offset`, wrapping at the end."""
    out = np.zeros(size, dtype=np.uint8)
    head = min(flat.size, size - offset)
    out[offset:offset + head] = flat[:head]
    out[:flat.size - head] = flat[head:]
    return out


def _unwrapped(memory: np.ndarray, offset: int, span: int, size: int) -> np.ndarray:
    """`span` bytes from `offset` of a `size`-byte memory image, wrapping at the end."""
    head = min(span, size - offset)
    return np.concatenate([memory[offset:offset + head], memory[:span - head]])
