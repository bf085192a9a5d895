"""Bit-exact numpy functional model of the accelerator (backend "golden")."""

from .backend import GoldenBackend, GoldenRunResult
from .machine import GoldenMachine
from .state import GoldenState

__all__ = ["GoldenBackend", "GoldenMachine", "GoldenRunResult", "GoldenState"]
