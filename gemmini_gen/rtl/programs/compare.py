"""Compare two backends' results for one `ProgramCase`: whole memory, read-back, COUNTER responses.

Every byte of every region must be equal.  Differences inside the read-back region are reported as
local rows and columns ("acc_full row 37 col 5: expected 12, got 13"), others as region offsets.
Responses must be equally many; values are compared where `case.checked_responses` says they are
deterministic.
"""

from __future__ import annotations

import numpy as np

from ...backend import RunResult
from ...config import GemminiConfig
from .case import ProgramCase

__all__ = ["assert_same_results", "compare_results"]

MAX_REPORTED = 8


def _readback_diffs(case: ProgramCase, cfg: GemminiConfig, expected: np.ndarray,
                    got: np.ndarray) -> list[str]:
    out = []
    for block in case.readback:
        lo, hi = block.offset, block.offset + block.rows * block.row_bytes
        if np.array_equal(expected[lo:hi], got[lo:hi]):
            continue
        width = block.row_bytes // cfg.dim
        dtype = np.dtype(f"<i{width}")
        exp = expected[lo:hi].view(dtype).reshape(block.rows, cfg.dim)
        act = got[lo:hi].view(dtype).reshape(block.rows, cfg.dim)
        for r, c in zip(*np.nonzero(exp != act)):
            out.append(f"{block.source} row {block.first_row + r} col {c}: expected "
                       f"{exp[r, c]}, got {act[r, c]}")
    return out


def compare_results(case: ProgramCase, cfg: GemminiConfig, expected: RunResult,
                    got: RunResult) -> list[str]:
    """Human-readable differences of `got` from `expected` (empty when they agree)."""
    problems: list[str] = []
    for region in case.memory.regions:
        exp = expected.memory.read(region.base, region.size)
        act = got.memory.read(region.base, region.size)
        if np.array_equal(exp, act):
            continue
        if region.name == case.readback_region:
            diffs = _readback_diffs(case, cfg, exp, act)
            problems.append(f"read-back differs in {len(diffs)} elements: "
                            + "; ".join(diffs[:MAX_REPORTED]))
        else:
            bad = np.flatnonzero(exp != act)
            shown = ", ".join(f"+{o:#x}: {exp[o]:#04x} vs {act[o]:#04x}"
                              for o in bad[:MAX_REPORTED])
            problems.append(f"region {region.name} differs in {bad.size} bytes ({shown})")
    if len(expected.responses) != len(got.responses):
        problems.append(f"{len(got.responses)} COUNTER responses, expected "
                        f"{len(expected.responses)}")
    else:
        for i, (checked, exp, act) in enumerate(zip(case.checked_responses, expected.responses,
                                                    got.responses)):
            if checked and exp != act:
                problems.append(f"COUNTER response {i}: expected {exp}, got {act}")
    return problems


def assert_same_results(case: ProgramCase, cfg: GemminiConfig, expected: RunResult,
                        got: RunResult) -> None:
    """Raise AssertionError listing the differences, naming the case."""
    problems = compare_results(case, cfg, expected, got)
    if problems:
        raise AssertionError(f"{case.name} ({case.commands} commands) on {cfg.name}: "
                             + " | ".join(problems))
