"""Crash-safe results store: an append-only JSON-lines file, fsync'd as records arrive.

Line 1 is a header naming what produced the results (`key`: the spec digest and workload hashes);
then `run` lines (one per invocation, for provenance) and `point` lines (one per evaluated point and
stage).  A process killed at any moment leaves at worst a torn last line; `open` drops it, so every
record that was completely written survives and `--resume` re-runs only points that have no record.

Workers hand over records already encoded (`Encoded`: stage, point id, JSON line), so the sweep's
main process only writes bytes and fsyncs; records are parsed again only when asked for.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Encoded", "ResultsStore", "StoreError", "encode"]


class StoreError(ValueError):
    """A results file that cannot be used (one line)."""


class Encoded(NamedTuple):
    """A record ready to append: its stage and point id (None for non-point records) and its
    JSON text (one line, no newline)."""

    stage: str | None
    id: str | None
    line: str


def encode(record: dict[str, Any]) -> Encoded:
    line = json.dumps(record, separators=(",", ":"), allow_nan=False)
    if record.get("type") == "point":
        return Encoded(record["stage"], record["id"], line)
    return Encoded(None, None, line)


class ResultsStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.header: dict[str, Any] | None = None
        self._lines: list[str] = []                 # every record after the header
        self._parsed: list[dict[str, Any]] = []     # the first len(_parsed) of them, parsed
        self._finished: dict[str, set[str]] = {}
        self._file = None

    # ------------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def create(self, header: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.header = {"type": "header", **header}
        self._file = self.path.open("w", encoding="utf-8")
        self._commit([encode(self.header).line])
        self._sync_dir()

    def open(self) -> None:
        """Load an existing store for appending, dropping a torn last line."""
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        if tail:                    # no final newline: the write was cut short
            with self.path.open("r+b") as f:
                f.truncate(len(data) - len(tail))
                f.flush()
                os.fsync(f.fileno())
        records = []
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise StoreError(f"{self.path}:{number}: corrupt record (not JSON)") from None
        if not records or records[0].get("type") != "header":
            raise StoreError(f"{self.path}: not a gemmini-dse results file (no header)")
        self.header = records[0]
        self._lines = [line.decode() for line in complete if line.strip()][1:]
        self._parsed = records[1:]
        for record in self._parsed:
            if record.get("type") == "point":
                self._finished.setdefault(record["stage"], set()).add(record["id"])
        self._file = self.path.open("a", encoding="utf-8")

    def append(self, *records: dict[str, Any]) -> None:
        self.append_encoded([encode(r) for r in records])

    def append_encoded(self, items: Iterable[Encoded]) -> None:
        """Append records that arrived together and make them durable (one fsync for the lot:
        fsync costs milliseconds, and a record is never counted before it is on disk)."""
        items = list(items)
        self._commit([item.line for item in items])
        self._lines.extend(item.line for item in items)
        for item in items:
            if item.stage is not None:
                self._finished.setdefault(item.stage, set()).add(item.id)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    # ------------------------------------------------------------------------------------------
    def records(self, kind: str = "point", stage: str | None = None) -> Iterator[dict[str, Any]]:
        if len(self._parsed) < len(self._lines):
            self._parsed += [json.loads(line) for line in self._lines[len(self._parsed):]]
        for record in self._parsed:
            if record.get("type") == kind and (stage is None or record.get("stage") == stage):
                yield record

    def finished(self, stage: str) -> set[str]:
        """Ids of points that already have a record for `stage` (ok or failed)."""
        return set(self._finished.get(stage, ()))

    # ------------------------------------------------------------------------------------------
    def _commit(self, lines: list[str]) -> None:
        self._file.write("".join(line + "\n" for line in lines))
        self._file.flush()
        os.fsync(self._file.fileno())

    def _sync_dir(self) -> None:
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
