"""`load_overlap.overlap_loads`: how long a segment's interleaved A/B and bias MVINs take together.

Only different kinds of loads overlap in the load unit's stages: the A/B MVINs of two steps in one
segment run one after the other (RTL waveforms of `conv5x5_pad` on DIM 8 WS), and a mix never
takes less than any of its kinds alone.
"""

from __future__ import annotations

import pytest

from gemmini_gen.perf.load_overlap import overlap_loads
from gemmini_gen.perf.unit_limits import STAGES


def limits(**bound: float) -> list[float]:
    """A stage-limit vector with the named stages at the given cycles, the others at 1."""
    vector = [1.0] * len(STAGES)
    for stage, cycles in bound.items():
        vector[STAGES.index(stage)] = cycles
    return vector


def tables(ab_work: list[float], ab_limits: list[list[float]], bias_work: list[float],
           bias_limits: list[list[float]]) -> tuple[dict, dict, dict]:
    """`work_of`, `load_limits` and `responses` for steps 0.. of both kinds; responses with one
    row per beat (no R-channel stalls), so the overlap is the stages' alone."""
    work_of = {"ab": ab_work, "bias": bias_work}
    load_limits = {"ab": ab_limits, "bias": bias_limits}
    responses = {kind: [(0.0, 10.0, 0.0, 1.0)] * len(work) for kind, work in work_of.items()}
    return work_of, load_limits, responses


def total(pieces: list) -> float:
    return sum(work for kind, _, work, _, _ in pieces if kind in ("ab", "bias"))


def test_a_b_loads_of_two_steps_run_one_after_the_other():
    # step 0's A bound by its rows (a full k-group), step 1's by its command window (a narrow
    # last k-group): their summed limits would give 1,000 cycles for 1,400 of work
    work_of, load_limits, responses = tables(
        [800.0, 600.0], [limits(rows=800.0, window=300.0), limits(rows=200.0, window=600.0)],
        [100.0, 100.0], [limits(window=100.0)] * 2)
    pieces = [("compute", 0, 500.0, 60.0, None), ("ab", 0, 800.0, 20.0, None),
              ("ab", 1, 600.0, 10.0, None)]
    assert overlap_loads(pieces, work_of, load_limits, responses) == pieces


def test_a_b_and_bias_bound_by_different_stages_overlap():
    # A bound by its rows, the bias by the command window: together the slowest summed stage
    work_of, load_limits, responses = tables(
        [600.0], [limits(rows=600.0, window=200.0)], [400.0], [limits(rows=100.0, window=400.0)])
    pieces = [("ab", 0, 600.0, 12.0, [(600.0, 12.0)]), ("bias", 0, 400.0, 16.0, None),
              ("compute", 0, 320.0, 40.0, None)]
    mixed = overlap_loads(pieces, work_of, load_limits, responses)
    assert total(mixed) == pytest.approx(700.0)         # rows 600 + 100, window 200 + 400 = 600
    assert mixed[0][4] == [(pytest.approx(420.0), 12.0)]     # the runs scaled alike
    assert mixed[2] == pieces[2]                        # the computes untouched


def test_a_mix_takes_at_least_each_kinds_summed_work():
    # two A/B pieces and a bias: summed limits would give 900 cycles, but the A/B pieces alone
    # take 1,000 one after the other
    work_of, load_limits, responses = tables(
        [500.0, 500.0], [limits(rows=300.0, window=500.0), limits(rows=500.0, window=100.0)],
        [300.0], [limits(rows=100.0, window=300.0)])
    pieces = [("ab", 0, 500.0, 10.0, None), ("ab", 1, 500.0, 10.0, None),
              ("bias", 0, 300.0, 8.0, None)]
    assert total(overlap_loads(pieces, work_of, load_limits, responses)) == pytest.approx(1000.0)
