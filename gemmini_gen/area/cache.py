"""On-disk cache of synthesis results, in two levels.

* by design point: (component, config content hash, generator fingerprint, tool version) -> the
  hash of the RTLIL it elaborated to.  A hit costs no elaboration at all.
* by netlist: (RTLIL, Yosys script, tool version) -> the synthesis result.  Design points that
  differ only in what a component does not use (a DMA sweep leaves the mesh alone) elaborate to the
  same RTLIL and share one synthesis.

The generator fingerprint hashes the source of the hardware generator (`gemmini_gen/hw`) and of this
flow, so editing the RTL invalidates the first level (the installed version alone would not).
Location: ``$GEMMINI_AREA_CACHE`` or ``~/.cache/gemmini-gen/area``.  Writes go through a temporary
file and a rename, so concurrent sweeps never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import amaranth

__all__ = ["AreaCache", "default_cache_dir", "generator_fingerprint"]

PACKAGE = Path(__file__).resolve().parents[1]


def default_cache_dir() -> Path:
    override = os.environ.get("GEMMINI_AREA_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "gemmini-gen" / "area"


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """Hash of the hardware generator's and this flow's source, and the Amaranth version."""
    digest = hashlib.sha256(amaranth.__version__.encode())
    sources = sorted((PACKAGE / "hw").rglob("*.py")) + sorted((PACKAGE / "area").glob("*.py"))
    sources.append(PACKAGE / "config.py")
    for path in sources:
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class AreaCache:
    """The two-level cache under `root` (created on first write)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def point_key(self, component: str, config_hash: str, tool: str) -> str:
        return _key("point", component, config_hash, generator_fingerprint(), tool)

    @staticmethod
    def netlist_key(rtlil: str, script: str, tool: str) -> str:
        return _key("netlist", rtlil, script, tool)

    def _path(self, level: str, key: str) -> Path:
        return self.root / level / f"{key}.json"

    def get(self, level: str, key: str) -> dict | None:
        try:
            return json.loads(self._path(level, key).read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, level: str, key: str, value: dict) -> None:
        path = self._path(level, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value, sort_keys=True))
        os.replace(tmp, path)
