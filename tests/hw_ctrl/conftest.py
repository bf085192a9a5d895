"""Fixtures and import path for the accelerator control tests (tests/hw_ctrl)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:          # helper modules next to the tests (random_commands, ...)
    sys.path.insert(0, str(HERE))
