"""Design points: the cartesian grid of a spec's axes, or a seeded random sample of it.

A `Point` is one assignment of values to the swept parameters.  Its `id` hashes the assignment
alone, so the same point gets the same id in every run (that is what `--resume` matches on), and its
`index` is its position in the sweep's order (reports sort by it).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .spec import Axis, Strategy

__all__ = ["Point", "grid_points", "random_points", "sweep_points"]


@dataclass(frozen=True)
class Point:
    index: int
    params: tuple[tuple[str, Any], ...]

    @property
    def id(self) -> str:
        blob = json.dumps(sorted(self.params), separators=(",", ":"))
        return "p" + hashlib.sha256(blob.encode()).hexdigest()[:12]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.params)


def _point(axes: tuple[Axis, ...], flat: int, index: int) -> Point:
    """The flat-th point of the grid in row-major order (last axis fastest)."""
    values = []
    for axis in reversed(axes):
        flat, position = divmod(flat, len(axis.values))
        values.append((axis.name, axis.values[position]))
    return Point(index, tuple(reversed(values)))


def grid_size(axes: tuple[Axis, ...]) -> int:
    return math.prod(len(axis.values) for axis in axes)


def grid_points(axes: tuple[Axis, ...]) -> list[Point]:
    return [_point(axes, flat, flat) for flat in range(grid_size(axes))]


def random_points(axes: tuple[Axis, ...], samples: int, seed: int) -> list[Point]:
    """`samples` distinct grid points drawn uniformly with numpy's PCG64 seeded by `seed` (all of
    them, in grid order, when the grid is no larger)."""
    total = grid_size(axes)
    if samples >= total:
        return grid_points(axes)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    seen: set[int] = set()
    while len(chosen) < samples:
        for flat in rng.integers(0, total, size=samples - len(chosen)).tolist():
            if flat not in seen:
                seen.add(flat)
                chosen.append(flat)
    return [_point(axes, flat, index) for index, flat in enumerate(chosen[:samples])]


def sweep_points(axes: tuple[Axis, ...], strategy: Strategy) -> list[Point]:
    """The points the analytic model evaluates for this strategy."""
    sampler = strategy.sampler if strategy.kind == "multi_fidelity" else strategy.kind
    if sampler == "random":
        return random_points(axes, strategy.samples or 0, strategy.seed)
    return grid_points(axes)
