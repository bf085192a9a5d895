"""Splitting a set of input samples into model runs, and joining the outputs back.

Each input array either is one input of the model (the model's own rank) or carries one extra leading
axis of samples.  Samples are what a batch counts:

* model rank, first dimension symbolic (e.g. ``N``): the first axis is the model's batch axis; its
  entries are the samples;
* model rank, every dimension fixed: one sample;
* one axis more than the model: the leading axis enumerates samples, each a whole model input.

Samples run `batch` at a time.  When the model's first dimension is symbolic and every graph output's
first dimension is that same symbol, the samples of a run are concatenated along that axis, so every
accelerator layer of the run is one GEMM whose M grows with the batch; otherwise each sample is its own
run.  The outputs are joined the same way: concatenated along the batch axis, or stacked on a new
leading axis when the inputs had one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .graph import ValueInfo

__all__ = ["Batches", "plan_batches"]


@dataclass
class Batches:
    """`runs()` yields (number of samples, model inputs) per run; `join` merges the runs' outputs."""

    samples: int
    batch: int                       # samples per run
    stacked: bool                    # the inputs had an extra leading sample axis
    concatenate: bool                # a run concatenates its samples along the model's batch axis
    arrays: dict[str, np.ndarray]
    sample_rows: int = 1             # stacked + concatenate: one sample's length on the batch axis

    def runs(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        for start in range(0, self.samples, self.batch):
            count = min(self.batch, self.samples - start)
            if self.stacked and self.concatenate:
                inputs = {k: np.concatenate(list(v[start:start + count])) for k, v in self.arrays.items()}
            elif self.stacked:
                inputs = {k: v[start] for k, v in self.arrays.items()}
            elif self.concatenate or self.samples > 1:
                inputs = {k: v[start:start + count] for k, v in self.arrays.items()}
            else:
                inputs = dict(self.arrays)
            yield count, inputs

    def join(self, runs: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        names = list(runs[0])
        if not self.stacked:
            return {k: runs[0][k] if len(runs) == 1 else np.concatenate([r[k] for r in runs]) for k in names}
        if not self.concatenate:
            return {k: np.stack([r[k] for r in runs]) for k in names}
        # every output's first axis is the model's batch axis: sample_rows entries per sample
        return {k: np.stack([piece for r in runs
                             for piece in np.split(r[k], r[k].shape[0] // self.sample_rows)])
                for k in names}


def plan_batches(inputs: list[ValueInfo], outputs: list[ValueInfo], arrays: Mapping[str, np.ndarray],
                 batch: int) -> Batches:
    """How to run `arrays` (by input name) `batch` samples at a time (InputError for bad input)."""
    if batch < 1:
        raise InputError(f"the batch size must be at least 1, got {batch}")
    expected = {vi.name: vi for vi in inputs}
    unknown = sorted(set(arrays) - set(expected))
    if unknown:
        raise InputError(f"unknown input {unknown[0]!r}; the model's inputs are "
                         f"{', '.join(vi.describe() for vi in inputs) or 'none'}")
    missing = [name for name in expected if name not in arrays]
    if missing:
        raise InputError(f"missing input {missing[0]!r}; the model's inputs are "
                         f"{', '.join(vi.describe() for vi in inputs)}")
    if not inputs:
        return Batches(1, 1, False, False, {})
    forms = {name: _form(expected[name], np.asarray(arrays[name])) for name in expected}
    stacked = {f[0] for f in forms.values()}
    if len(stacked) != 1:
        raise InputError("either every input or none has an extra leading sample axis: "
                         + ", ".join(f"{n} {'has' if f[0] else 'has not'}" for n, f in forms.items()))
    stacked = stacked.pop()
    counts = {name: f[1] for name, f in forms.items()}
    if len(set(counts.values())) != 1:
        raise InputError("the inputs hold different numbers of samples: "
                         + ", ".join(f"{n}: {c}" for n, c in counts.items()))
    samples = next(iter(counts.values()))
    if samples == 0:
        raise InputError("the inputs hold no samples")
    symbols = {vi.shape[0] if _symbolic_batch(vi) else None for vi in inputs}
    batchable = len(symbols) == 1 and None not in symbols and all(
        vi.shape is not None and len(vi.shape) > 0 and vi.shape[0] in symbols for vi in outputs)
    concatenate = batchable and (stacked or samples > 1)
    if not stacked and not batchable and samples > 1:
        batch = samples               # the outputs do not follow the batch axis: one run for all
    if stacked and not concatenate:
        batch = 1
    arrays = {name: np.asarray(arrays[name]) for name in expected}
    rows = {name: a.shape[1] for name, a in arrays.items()} if stacked and concatenate else {"": 1}
    if len(set(rows.values())) > 1:
        raise InputError("the samples' batch axes differ in length between inputs: "
                         + ", ".join(f"{n}: {c}" for n, c in rows.items()))
    return Batches(samples, min(batch, samples), stacked, concatenate, arrays, next(iter(rows.values())))


def _symbolic_batch(vi: ValueInfo) -> bool:
    """The first dimension is a named symbol (e.g. ``N``)."""
    return vi.shape is not None and len(vi.shape) > 0 and isinstance(vi.shape[0], str)


def _form(vi: ValueInfo, array: np.ndarray) -> tuple[bool, int]:
    """(has an extra leading sample axis, number of samples) of one input array."""
    if vi.shape is None:
        return False, 1
    rank = len(vi.shape)
    if array.ndim == rank:
        return False, array.shape[0] if _symbolic_batch(vi) else 1
    if array.ndim == rank + 1:
        return True, array.shape[0]
    raise InputError(f"input {vi.name!r} has shape {array.shape}; the model expects "
                     f"{vi.shape_text()}, optionally with a leading sample axis")
