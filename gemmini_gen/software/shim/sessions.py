"""Sessions: run a C program's batches of commands on a backend, as one accelerator.

The accelerator keeps its state (scratchpad, accumulator, configuration, counters) from one
synchronisation point of the program to the next, so a batch must run on the state the previous
batches left:

* `GoldenSession` (backend "golden") keeps one `GoldenMachine` for the whole program and runs
  each batch on it, with the buffers at their host addresses.
* `ReplaySession` (any other backend, e.g. "rtl") works with backends that run every program from
  reset: each batch runs as one program made of every batch so far, with a FENCE between batches.
  Each batch reads memory as the host handed it over, so every version of a buffer the host has
  modified since the accelerator last saw it gets its own region, and the commands of each batch
  are relocated to the versions current at that batch.  Regions are packed from `FIRST_BASE`
  (keeping each buffer's offset within its 4 KiB page, so DMA alignment is as on the host), which
  keeps the RTL's memory model small whatever the host addresses are.  The cost: a batch re-runs
  all earlier ones.

`open_session(config_hash, environ)` picks the config (GEMMINI_CONFIG, else the preset with the
hash the program was compiled for) and the backend (GEMMINI_BACKEND, default golden).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ...backend import Backend, get_backend
from ...config import ConfigError, GemminiConfig, preset, preset_names
from ...golden.machine import GoldenMachine
from ...isa import Command, IllegalInstruction, Program, fence, format_named
from ...memory import FIRST_BASE, Memory, Region
from .host_memory import HostMemory, check_commands, relocate
from .protocol import Batch

__all__ = ["GoldenSession", "ReplaySession", "open_session", "resolve_config"]

_FENCE = fence()
_COUNTER_FUNCT = format_named("counter").funct
_PAGE = 4096

#: What a batch gives back: the COUNTER responses, and per registered buffer its new bytes
#: (None where the accelerator did not change it).
Outcome = tuple[list[int], list[np.ndarray | None]]


def resolve_config(compiled_hash: str, environ: Mapping[str, str]) -> GemminiConfig:
    """The config to run on: GEMMINI_CONFIG (a preset name or a config file), else the preset
    whose content hash the program's gemmini_params.h records.  It must have that hash."""
    spec = environ.get("GEMMINI_CONFIG", "").strip()
    if spec:
        is_file = spec.endswith((".toml", ".json")) or os.sep in spec
        cfg = GemminiConfig.load(spec) if is_file else preset(spec)
        if cfg.content_hash() != compiled_hash:
            raise ConfigError(f"GEMMINI_CONFIG={spec} (config hash {cfg.content_hash()}) is not "
                              f"the config the program was compiled for (gemmini_params.h has "
                              f"hash {compiled_hash})")
        return cfg
    for name in preset_names():
        if preset(name).content_hash() == compiled_hash:
            return preset(name)
    raise ConfigError(f"the program was compiled for config hash {compiled_hash}, which is no "
                      f"preset: set GEMMINI_CONFIG to its config file (the config.json gemmini-gen "
                      f"wrote next to gemmini_params.h)")


def open_session(compiled_hash: str, environ: Mapping[str, str]):
    """The session for the environment's config and backend."""
    cfg = resolve_config(compiled_hash, environ)
    name = environ.get("GEMMINI_BACKEND", "").strip() or "golden"
    if name == "golden":
        return GoldenSession(cfg)
    return ReplaySession(get_backend(name, cfg))


class GoldenSession:
    """Backend "golden": one `GoldenMachine` runs every batch (see the module docstring)."""

    name = "golden"

    def __init__(self, config: GemminiConfig) -> None:
        self.config = config
        self.machine = GoldenMachine(config)
        self.executed = 0            # commands of earlier batches

    def run(self, batch: Batch) -> Outcome:
        host = HostMemory(batch.buffers, batch.data)
        check_commands(batch.commands, host, self.executed)
        memory = host.memory()
        program = Program(batch.commands, host.regions, name=f"shim batch at {self.executed}")
        first_response = len(self.machine.responses)
        try:
            self.machine.execute(program, memory)
        except IllegalInstruction as e:
            raise (e if e.index is None else e.at(self.executed + e.index)) from None
        self.executed += len(batch.commands)
        final = {r.name: memory.read(r.base, r.size) for r in host.regions}
        return list(self.machine.responses[first_response:]), host.changed_buffers(final)


@dataclass
class _Version:
    """One version of a host region in the replay memory: where it lives, what it held when the
    host handed it over, and what it held after the last run."""

    region: Region
    initial: np.ndarray
    latest: np.ndarray


class ReplaySession:
    """A backend that runs programs from reset: every batch replays all earlier ones (see the
    module docstring)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name
        self.config = backend.config
        self.replay: list[Command] = []          # relocated commands of every batch so far
        self.origin: list[int | None] = []       # program index of each (None: inserted FENCE)
        self.versions: list[_Version] = []
        self.current: dict[tuple[int, int], _Version] = {}   # (host base, size) -> its version
        self.executed = 0
        self.next_base = FIRST_BASE
        self.last_cycles: int | None = None      # cycles of the last run (RTL), for the log

    def _new_version(self, region: Region, data: np.ndarray) -> _Version:
        base = -(-self.next_base // _PAGE) * _PAGE + region.base % _PAGE
        self.next_base = base + region.size
        version = _Version(Region(f"{region.name}_v{len(self.versions)}", base, region.size),
                           data.copy(), data.copy())
        self.versions.append(version)
        return version

    def run(self, batch: Batch) -> Outcome:
        host = HostMemory(batch.buffers, batch.data)
        check_commands(batch.commands, host, self.executed)
        placed: dict[str, _Version] = {}
        for region in host.regions:
            key = (region.base, region.size)
            version = self.current.get(key)
            if version is None or not np.array_equal(version.latest, host.contents[region.name]):
                version = self.current[key] = self._new_version(region, host.contents[region.name])
            placed[region.name] = version

        def move(addr: int) -> int:
            region = host.region_of(addr)
            return placed[region.name].region.base + addr - region.base

        if self.replay and self.replay[-1] != _FENCE:
            self.replay.append(_FENCE)
            self.origin.append(None)
        self.replay += [relocate(command, move) for command in batch.commands]
        self.origin += range(self.executed, self.executed + len(batch.commands))

        memory = Memory([v.region for v in self.versions])
        for version in self.versions:
            memory.write(version.region.base, version.initial)
        program = Program(self.replay, memory.regions, name="shim replay")
        try:
            result = self.backend.run(program, memory)
        except IllegalInstruction as e:
            inside = e.index is not None and 0 <= e.index < len(self.origin)
            raise e.at(self.origin[e.index] if inside else None) from None
        self.last_cycles = result.cycles
        self.executed += len(batch.commands)
        counters = sum(1 for command in batch.commands if command.funct == _COUNTER_FUNCT)
        responses = list(result.responses[len(result.responses) - counters:]) if counters else []
        final = {}
        for name, version in placed.items():
            version.latest = result.memory.read(version.region.base, version.region.size)
            final[name] = version.latest
        return responses, host.changed_buffers(final)
