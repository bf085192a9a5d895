"""Shared fixtures for the performance-model tests."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def topologies() -> Path:
    """Verbatim copies of shipped SCALE-Sim topology CSVs (see SOURCE.md there)."""
    return DATA / "scalesim_topologies"
