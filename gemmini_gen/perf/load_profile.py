"""How the A/B loads of a step are spread over their commands, for the `gemmini` schedule
(`pipeline_timing`).

The explicit schedule (docs/tiling.md) gives a step's MVINs k-group by k-group -- each group's A
MVINs (one per row block, as wide as the group's k-blocks) and then its B MVIN2s (one per k-block)
-- and spreads the commands evenly over the pairs they hide behind; their work is not even.  A
group's A MVINs move its k-blocks' rows, but each still takes its DRAM requests, bursts and a slot
of the load unit's command window, so a last group of a few k-blocks is bound by the read latency
rather than by its rows (RTL waveforms of the 7x7 stem and `conv3x3_batch2_full` on DIM 4: 2-block
MVINs at the rate of the command window, not of their rows), and the light B MVIN2s come after
the heavy A MVINs of their group.

A *profile* is (cumulative command fractions, cumulative work fractions) over a step's A/B
commands in stream order, piecewise linear; `profile_runs` cuts the commands a segment of the
stream holds into runs of even work.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

__all__ = ["Profile", "a_group_work", "profile_runs", "step_profile"]

Profile = tuple[list[float], list[float]]


def a_group_work(a_limits: np.ndarray, blocks_k: np.ndarray, group: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The load unit's work for one full k-group's A MVINs and for the last group's, per step,
    from the stage limits of all of a step's A MVINs (`unit_limits.channel_limits`: beats, rows,
    then requests, burst slots, command window).  Every group has one MVIN per row block, so its
    beats and local rows follow its k-blocks, the other stages its commands."""
    groups = -(-blocks_k // group)
    last_blocks = blocks_k - (groups - 1) * group
    per_block = np.maximum(blocks_k, 1)

    def work(blocks):
        share = blocks / per_block
        return np.maximum.reduce([a_limits[0] * share, a_limits[1] * share,
                                  *(a_limits[k] / groups for k in range(2, len(a_limits)))])
    return work(np.minimum(group, blocks_k)), work(last_blocks)


def step_profile(a_commands: float, b_commands: float, blocks_k: int, group: int,
                 a_full: float, a_last: float, b_work: float) -> Profile | None:
    """The profile of a step's A/B commands: group by group, its A MVINs (`a_full` of work, or
    `a_last` for the last group) and then its B MVIN2s (`b_work` spread over the k-blocks); None
    where every command has the same work."""
    groups = -(-blocks_k // group)
    commands, work = [0.0], [0.0]
    for n in range(groups):
        blocks = min(blocks_k, (n + 1) * group) - n * group
        for count, load_work in ((a_commands / groups, a_last if n == groups - 1 else a_full),
                                 (b_commands * blocks / blocks_k, b_work * blocks / blocks_k)):
            if count > 0:
                commands.append(commands[-1] + count)
                work.append(work[-1] + load_work)
    rates = [(w1 - w0) / (c1 - c0) for c0, c1, w0, w1
             in zip(commands, commands[1:], work, work[1:])]
    if not rates or max(rates) <= 1.01 * min(rates):
        return None
    return ([c / commands[-1] for c in commands], [w / work[-1] for w in work])


def profile_runs(profile: Profile, lo: float, hi: float, work: float, commands: float,
                 tail: int) -> list[tuple[float, float]]:
    """The (work, commands) runs of a stream's commands [lo, hi) (fractions of its `commands`,
    `work` in all): one run for all but the last `tail` commands (a queue's depth: what the
    front end waits for), then the runs of those, cut where the work per command changes."""
    fractions, works = profile

    def at(f: float) -> float:
        i = min(bisect_right(fractions, f), len(fractions) - 1)
        c0, c1 = fractions[i - 1], fractions[i]
        return works[i - 1] + (works[i] - works[i - 1]) * (f - c0) / (c1 - c0)

    cut = max(lo, hi - tail / commands)
    runs = []
    i = bisect_right(fractions, cut)
    at_cut = previous = at(cut)
    start = cut
    while start < hi:
        end = min(hi, fractions[i]) if i < len(fractions) else hi
        value = at(end)
        runs.append((work * (value - previous), commands * (end - start)))
        previous, start = value, end
        i += 1
    if cut > lo:
        runs.insert(0, (work * (at_cut - at(lo)), commands * (cut - lo)))
    return runs
