"""`IllegalInstruction`: a command (or the program around it) breaks a rule of the ISA."""

from __future__ import annotations

__all__ = ["IllegalInstruction"]


class IllegalInstruction(ValueError):
    """Raised with the index of the offending command (None when unknown) and the field at fault.

    `str(error)` is one line, e.g. ``command 12 (mvin): rows: 17 exceeds DIM (16)``.
    """

    def __init__(self, index: int | None, field: str, message: str, name: str = "") -> None:
        self.index = index
        self.field = field
        self.message = message
        self.name = name
        where = "command" if index is None else f"command {index}"
        if name:
            where += f" ({name})"
        super().__init__(f"{where}: {field}: {message}")

    def at(self, index: int, name: str | None = None) -> "IllegalInstruction":
        """The same error attributed to command `index` (e.g. once a decoder's caller knows it)."""
        return IllegalInstruction(index, self.field, self.message,
                                  self.name if name is None else name)
