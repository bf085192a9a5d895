"""The compiler's one exception family.

Every problem a user can cause (a malformed or unsupported model, a bad input array) raises a subclass of
`CompilerError` whose message is a single line naming the problem, so `gemmini-run` can print it verbatim
and exit with code 2.  Internal invariant violations are ordinary `AssertionError`s, not `CompilerError`s.
"""

from __future__ import annotations

__all__ = ["CompilerError", "ModelError", "UnsupportedOpError", "InputError"]


class CompilerError(ValueError):
    """Base class: a one-line, user-facing message."""

    def __init__(self, message: str) -> None:
        # Collapse anything multi-line (e.g. text forwarded from onnx or onnxruntime) onto one line.
        super().__init__(" ".join(str(message).split()))


class ModelError(CompilerError):
    """The model file is unreadable, invalid, or violates an assumption of the compiler."""


class UnsupportedOpError(CompilerError):
    """The model contains operators the compiler cannot place (names the op types and node names)."""


class InputError(CompilerError):
    """An input array passed at run time (or for calibration) is missing or has a wrong shape or dtype."""
