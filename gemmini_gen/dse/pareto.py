"""Pareto fronts and the multi-fidelity top-k choice.

Objectives are `(value per point, "min" | "max")`; a point dominates another when it is no worse in
every objective and better in one.  `pareto_ranks` peels fronts off one after another (rank 0 = the
Pareto front); `top_k` takes points by rank and, within a rank, by the first objective.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["pareto_front", "pareto_ranks", "top_k"]


def _costs(values: Sequence[Sequence[float]], senses: Sequence[str]) -> np.ndarray:
    costs = np.asarray(values, dtype=float).reshape(len(values), len(senses))
    signs = np.array([1.0 if s == "min" else -1.0 for s in senses])
    return costs * signs


def pareto_ranks(values: Sequence[Sequence[float]], senses: Sequence[str]) -> list[int]:
    """Non-dominated sorting rank of every point (0 = on the Pareto front).

    Builds the dominance relation once (in row blocks, to bound memory) and peels fronts by
    counting each point's remaining dominators: O(n^2 m) time."""
    costs = _costs(values, senses)
    n = len(costs)
    dominates = np.zeros((n, n), dtype=bool)           # dominates[i, j]: i dominates j
    for start in range(0, n, 256):
        block = costs[start:start + 256, None, :]
        no_worse = (block <= costs[None, :, :]).all(axis=2)
        better = (block < costs[None, :, :]).any(axis=2)
        dominates[start:start + 256] = no_worse & better
    dominators = dominates.sum(axis=0)
    ranks = np.full(n, -1)
    front = np.flatnonzero(dominators == 0)
    rank = 0
    while front.size:
        ranks[front] = rank
        dominators = dominators - dominates[front].sum(axis=0)
        dominators[ranks >= 0] = -1
        front = np.flatnonzero(dominators == 0)
        rank += 1
    return ranks.tolist()


def pareto_front(values: Sequence[Sequence[float]], senses: Sequence[str]) -> list[int]:
    """Indices of the non-dominated points."""
    return [i for i, r in enumerate(pareto_ranks(values, senses)) if r == 0]


def top_k(values: Sequence[Sequence[float]], senses: Sequence[str], k: int) -> list[int]:
    """The k best points: lowest Pareto rank first, then best first objective."""
    if not len(values):
        return []
    ranks = pareto_ranks(values, senses)
    costs = _costs(values, senses)
    order = sorted(range(len(values)), key=lambda i: (ranks[i], costs[i, 0], i))
    return order[:k]
