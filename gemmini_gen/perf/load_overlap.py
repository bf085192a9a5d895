"""Interleaved loads in the load unit, for the `gemmini` schedule (`pipeline_timing`): how long a
segment's A/B and bias MVINs take together.

The stream interleaves a step's A/B MVINs with the next step's bias MVIN3s, and the load unit's
pipelined stages (`unit_limits.channel_limits`) serve both, so their times do not simply add; the
R-channel stalls of the mix (`unit_limits.read_responses`) are what they do not share.  Only
different kinds overlap: a segment can hold the A/B MVINs of two steps (in WS a step's later
k-groups and the next step's A), which run one after the other, as the loads of one stream do.
"""

from __future__ import annotations

from .unit_limits import SLOTS, WINDOW

__all__ = ["overlap_loads"]


def overlap_loads(pieces: list, work_of: dict, load_limits: dict, responses: dict) -> list:
    """A segment's A/B and bias MVINs are interleaved in the load unit's pipeline, so each
    of its stages serves both: together they take the slowest stage of their summed stage
    limits -- less than their separate times added where they are bound by different stages
    (a bias by its command window, A by its burst slots) -- except that the read data stalls
    (R channel, every burst in flight) while a response waits for its local rows to be
    written (`unit_limits.read_responses`: within a command, and across the mix's
    commands, interleaved at random), which the burst slots of the mix pay for, and the
    command window for the stalls across commands: a response waiting behind another
    command's rows keeps its command in the window (`conv1x1_s2_b` on DIM 16, loads only:
    slot-bound A and window-bound bias do not overlap on the RTL).  Scales the load
    pieces' work.  `pieces` are a segment's (kind, step, work, commands, runs); `work_of`,
    `load_limits` and `responses` the schedule's tables by kind and step: a stream's whole
    work, its stage limits (`unit_limits.channel_limits`) and its read responses
    (`unit_limits.read_responses`).

    Pieces of one kind do not overlap each other: the mix takes at least the summed work of
    its A/B pieces and that of its bias pieces.  Two A/B pieces (of two steps) are the same
    commands through the same stages, and each piece's work, k-group by k-group
    (`load_profile`), can exceed what the step's stage limits give (a narrow last k-group is
    bound by its commands, the others by their rows), so summed limits would overlap them
    where the RTL runs them back to back: `conv5x5_pad` on DIM 8 WS (`waves=True`), the 32
    MVINs of step 0's third k-group and step 1's A took 1,685 cycles, the two alone 1,690,
    the summed limits 1,410."""
    loads = [p for p in pieces if (p[0] == "ab" or p[0] == "bias") and p[2] > 0]
    if len(loads) < 2:
        return pieces
    ab_work = bias_work = 0.0
    for kind, _, work, _, _ in loads:
        if kind == "ab":
            ab_work += work
        else:
            bias_work += work
    if not ab_work or not bias_work:    # one kind: its pieces run one after the other
        return pieces
    alone = max(ab_work, bias_work)
    separate = 0.0
    together = None
    shares = []
    for kind, step, work, _, _ in loads:
        separate += work
        share = work / work_of[kind][step]
        shares.append(share)
        limits = load_limits[kind][step]
        if together is None:
            together = [limit * share for limit in limits]
        else:
            together = [t + limit * share for t, limit in zip(together, limits)]
    if max(together) >= separate:   # no overlap, whatever the stalls
        return pieces
    mix = []                # (commands, local rows per response less one, beats)
    stall = mix_commands = 0.0      # stall: cycles the R channel stalls
    for (kind, step, _, _, _), share in zip(loads, shares):
        within, n, rows, beats = responses[kind][step]
        mix.append((share * n, rows, beats))
        mix_commands += share * n
        stall += share * within
    cross = 0.0             # a command's last response, followed by any command's first
    for n, rows, _ in mix:
        for n_next, _, beats in mix:
            if rows > beats:
                cross += n * n_next * (rows - beats)
    if cross:
        cross /= mix_commands
        together[WINDOW] += cross
    together[SLOTS] += stall + cross
    factor = min(1.0, max(max(together), alone) / separate)
    if factor == 1.0:
        return pieces
    return [(kind, step, work * factor, commands,
             runs and [(w * factor, c) for w, c in runs])
            if kind == "ab" or kind == "bias" else (kind, step, work, commands, runs)
            for kind, step, work, commands, runs in pieces]
