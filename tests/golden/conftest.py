"""Fixtures for golden-model tests: small configs and a `Bench` that places arrays in memory, runs
commands on the golden backend and reads results back."""

import numpy as np
import pytest

from gemmini_gen import GemminiConfig, preset
from gemmini_gen.backend import get_backend
from gemmini_gen.isa import Program
from gemmini_gen.memory import Memory


class Bench:
    """Memory regions by name plus a one-call golden run."""

    def __init__(self, cfg: GemminiConfig):
        self.cfg = cfg
        self.mem = Memory()

    def put(self, name: str, array) -> int:
        """Allocate region `name` holding `array`; returns its base address."""
        array = np.ascontiguousarray(array)
        region = self.mem.alloc(name, max(array.nbytes, 1))
        self.mem.write_array(name, array)
        return region.base

    def space(self, name: str, nbytes: int, fill: int = 0) -> int:
        region = self.mem.alloc(name, nbytes)
        self.mem.write(region.base, np.full(nbytes, fill, dtype=np.uint8))
        return region.base

    def program(self, commands) -> Program:
        return Program(list(commands), self.mem.regions)

    def run(self, commands):
        return get_backend("golden", self.cfg).run(self.program(commands), self.mem)


@pytest.fixture(scope="session")
def dim4():
    """DIM 4, both dataflows, int8/int32 (the "small" preset: 1024 sp rows, 512 acc rows)."""
    return preset("small")


@pytest.fixture(scope="session")
def dim2():
    """DIM 2 with a tiny scratchpad (the size of the worked examples)."""
    return GemminiConfig().with_dim(2).replace(sp_capacity_kib=1, acc_capacity_kib=1)


@pytest.fixture(scope="session")
def bench():
    return Bench
