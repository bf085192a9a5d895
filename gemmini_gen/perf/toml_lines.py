"""Line numbers of keys in a TOML document, so semantic errors can say "file:line: ...".

`tomllib` reports syntax errors with their position but forgets positions once parsing succeeds.
`TomlLines` re-scans the text (tables, arrays of tables and `key = value` lines) and answers "on
which line is key `x` of table `a.b` / of the 3rd `[[layer]]`?".  Keys inside multi-line arrays or
inline tables are located by their outermost key.
"""

from __future__ import annotations

import re

__all__ = ["TomlLines"]

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+)\s*=""")


def _split_dotted(name: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in name.split("."))


class TomlLines:
    """Index of a TOML text: `line_of("strategy", "kind")`, `line_of(("layer", 2), "K")`.

    A path element is a table name, or `(name, index)` for the index-th entry of an array of
    tables.  `line_of(*path)` with no key gives the line of the table header."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        current: tuple = ()
        in_multiline = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                in_multiline += line.count("[") - line.count("]")
                continue
            if match := _ARRAY_TABLE.match(line):
                name = _split_dotted(match.group(1))
                index = counts.get(name, 0)
                counts[name] = index + 1
                current = name[:-1] + ((name[-1], index),)
                self._lines.setdefault(current, number)
                continue
            if match := _TABLE.match(line):
                current = _split_dotted(match.group(1))
                self._lines.setdefault(current, number)
                continue
            if match := _KEY.match(line):
                key = _split_dotted(match.group(1))
                self._lines.setdefault(current + key, number)
                value = line[match.end():]
                in_multiline = max(0, value.count("[") - value.count("]"))

    def line_of(self, *path) -> int | None:
        """The line of the key or table at `path` (None when it is not in the text)."""
        return self._lines.get(tuple(path))

    def nearest(self, *path) -> int | None:
        """The line of `path`, or of its closest enclosing table that is in the text."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None
