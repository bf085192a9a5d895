"""`TilingError`: a request the tiler cannot turn into a correct program."""

from __future__ import annotations

__all__ = ["TilingError"]


class TilingError(ValueError):
    """Impossible or unsupported shapes and options (non-positive sizes, mismatched operands,
    transposes the dataflow forbids, data that fits no tiling, ...).  The message is one line and
    names the problem, so command-line tools can print it as is."""
