"""numpy reference of one `MeshWithDelays` block operation (the wrapper's contract, docs/hw.md).

Integer arithmetic in int64 wraps modulo 2**64, so reducing to the accumulator width afterwards gives
the exact result modulo 2**W_ACC for W_ACC <= 64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Block", "MeshModel", "as_arrays", "wrap"]


def wrap(x: np.ndarray, bits: int) -> np.ndarray:
    """Two's complement reduction of int64 values to `bits` bits."""
    x = np.asarray(x, dtype=np.int64)
    if bits == 64:
        return x
    shift = 64 - bits
    return (x << np.int64(shift)) >> np.int64(shift)


@dataclass
class Block:
    """One block: the stored rows of A, X and P (DIM x DIM ints) and its control."""

    a: np.ndarray
    x: np.ndarray
    p: np.ndarray
    ws: bool
    flip: bool
    a_transpose: bool = False
    b_transpose: bool = False
    tag: int = 0


@dataclass
class MeshModel:
    """The array's state (OS sums / WS weights) and the per-block semantics."""

    dim: int
    input_bits: int
    acc_bits: int
    state: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.state is None:
            self.state = np.zeros((self.dim, self.dim), np.int64)

    def run(self, block: Block) -> np.ndarray:
        """Apply `block`; return its DIM x DIM result (int64 holding W_ACC-bit values)."""
        a = np.asarray(block.a, np.int64)
        x = np.asarray(block.x, np.int64)
        p = np.asarray(block.p, np.int64)
        a = a.T if block.a_transpose else a
        if block.ws:
            if block.flip:
                self.state = p.T if block.b_transpose else p
            # A WS block without flip after an OS block uses the low W_IN bits of the sums.
            weights = wrap(self.state, self.input_bits)
            return wrap(x + a @ weights, self.acc_bits)
        if block.flip:
            self.state = p
        b = x.T if block.b_transpose else x
        self.state = wrap(self.state + a @ b, self.acc_bits)
        return self.state.copy()

    def run_all(self, blocks: list[Block]) -> list[np.ndarray]:
        return [self.run(b) for b in blocks]


def as_arrays(blocks: list[Block]) -> dict[str, np.ndarray]:
    """`blocks` as arrays: ``a``, ``x``, ``p`` (N x DIM x DIM) and ``ctrl`` (N x 5: ws, flip,
    a_transpose, b_transpose, tag), the form the cocotb driver streams."""
    return {"a": np.stack([b.a for b in blocks]), "x": np.stack([b.x for b in blocks]),
            "p": np.stack([b.p for b in blocks]),
            "ctrl": np.array([[b.ws, b.flip, b.a_transpose, b.b_transpose, b.tag]
                              for b in blocks], np.int64)}
