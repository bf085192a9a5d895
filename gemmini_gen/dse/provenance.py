"""Provenance of a sweep: where the code came from and which tools produced the numbers."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["git_revision", "now_utc", "tool_versions"]

_TOOLS = ("gemmini-gen", "numpy", "matplotlib", "tqdm", "ray")


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def git_revision() -> dict[str, Any]:
    """The git commit of the gemmini_gen source tree (None outside a checkout) and whether the
    tree had uncommitted changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True,
                                timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {"git_sha": None, "git_dirty": None}
    return {"git_sha": sha, "git_dirty": bool(status.strip())}


def tool_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version(),
                                       "platform": platform.platform()}
    for name in _TOOLS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_record(backend: str, workers: int, argv: list[str] | None = None) -> dict[str, Any]:
    """A `run` line for the results store: one per invocation of a sweep."""
    return {"type": "run", "started": now_utc(), "backend": backend, "workers": workers,
            "argv": list(sys.argv if argv is None else argv), **git_revision(),
            "versions": tool_versions()}
