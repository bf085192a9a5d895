"""Lookup tables over 8-bit codes: the exact form of any elementwise function of a quantized tensor.

A chain ``DequantizeLinear -> Relu/Clip/... -> QuantizeLinear`` maps each of the 256 input codes to one
output code, so evaluating the chain once per code (with the same host implementations that would run it
at inference time) gives a table that reproduces it bit for bit.  Tables that turn out to be the identity
or a ReLU (``max(q, zero_point)``) are then folded into the accelerator layer that produces their input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Lut"]


@dataclass
class Lut:
    table: np.ndarray          # output codes, indexed by input code - min(in_dtype)
    in_dtype: np.dtype

    @property
    def out_dtype(self) -> np.dtype:
        return self.table.dtype

    def codes(self) -> np.ndarray:
        info = np.iinfo(self.in_dtype)
        return np.arange(info.min, info.max + 1).astype(self.in_dtype)

    def apply(self, x: np.ndarray) -> np.ndarray:
        return self.table[x.astype(np.int64) - np.iinfo(self.in_dtype).min]

    def is_identity(self) -> bool:
        return self.out_dtype == self.in_dtype and np.array_equal(self.table, self.codes())

    def is_relu(self, zero_point: int) -> bool:
        """True if the table is ``max(q, zero_point)`` on the same type."""
        codes = self.codes()
        return self.out_dtype == self.in_dtype and np.array_equal(
            self.table, np.maximum(codes, np.asarray(zero_point).astype(codes.dtype)))

    def is_monotone(self) -> bool:
        return bool(np.all(np.diff(self.table.astype(np.int64)) >= 0))
