"""Where the stream puts a step's bias against the B its first pair needs, for the accumulator
lock-out of the `gemmini` schedule (`pipeline_timing`, weight stationary).

A step's bias MVIN3s and its computes write the same accumulator bank, and the execute unit's
results win every cycle.  In WS the step's first k sweep writes one accumulator row per cycle,
row block after row block in the order of the bias rows, each pair after the bias of its rows
(the reservation station orders them).  The explicit schedule (docs/tiling.md) spreads the next
step's bias MVIN3s evenly over the second half of a step and its A/B MVINs from a quarter of it,
so some bias commands can sit behind the B MVIN2 the first pair needs.  When the first pairs start
with those still out, the sweep writes the row blocks whose bias came before that B without a
gap, the next bias row waits for all of them, and the in-order load unit waits behind it: the
load unit loses the sweep (of the first column block) over the blocks whose bias came before
that B.  RTL waveforms (`waves=True`, cycles the load controller's `write_wait` is high, per
step) against that sweep: `dw5x5` on DIM 4 52 (the stream gives 32), `dw5x5` on DIM 8 224 (208:
26 of its 32 bias commands come before the B), `dw3x3` on DIM 4 47-51 (52), `dw3x3_s2` on DIM 4
12-16 (20-24).  Whether the first pairs start before the last of those bias commands is in is
a race of a few tens of cycles, which the schedule decides with its own timing: `dw3x3_s2` on
DIM 8 (the stream gives 128) shows no wait, and the schedule charges the lock-out only in `dw5x5`
on DIM 4 -- on DIM 8 its bias is in 27 cycles before its computes start, so the 224 cycles per
step are missing there.  `dw5x5` on DIM 16 waits 336 cycles on its steps that keep B in place
(the schedule's overlap charge, `bias_conflict.BiasConflict`, gives 303-386) and none on those that
load one (the stream gives 480).
"""

from __future__ import annotations

from ..config import GemminiConfig
from .step_costs import StepCosts

__all__ = ["bias_before_first_b"]


def bias_before_first_b(costs: StepCosts, cfg: GemminiConfig, step: int) -> float | None:
    """The share of step `step`'s bias MVIN3s the stream places before the B MVIN2 its first pair
    needs (the first B of its first k-group, after that group's A MVINs); None where no bias
    command comes after that B, none comes before it, or the step loads no B (B in place: its
    first pair needs only A's first row block) or no bias, and for step 0 (its bias loads
    first).  Step s's loads ride in step s-1's stream, placed as `tiling.pipeline` places them:
    command i of n spread over pairs [lo, hi) goes before pair lo + i * (hi - lo) // n, and the
    bias before the A/B MVINs of the same pair.  (`costs` may hold the per-step fields as lists:
    the schedule asks step by step, only where the lock-out can happen.)"""
    if step == 0:
        return None
    n_bias, n_a, n_b = (int(costs.bias.commands[step]), int(costs.a.commands[step]),
                        int(costs.b.commands[step]))
    if n_b == 0 or n_bias == 0:
        return None
    delay, pairs = cfg.rs_entries_ex, int(costs.pairs[step - 1])
    stores_end = pairs // 2
    if step >= 2 and costs.last_k[step - 2]:     # step s-1's stream stores step s-2's C tile
        stores_end = max(min(delay, pairs), stores_end)
    groups = -(-int(costs.blocks_k[step]) // cfg.max_block_len)
    ab_lo = min(delay, pairs // 4)
    slot_b = ab_lo + n_a // groups * (pairs - ab_lo) // (n_a + n_b)
    ahead, span = slot_b - stores_end, pairs - stores_end
    if ahead < 0:
        return None
    # bias command j sits before pair stores_end + j * span // n_bias
    before = n_bias if span <= 0 else min(n_bias, -(-(ahead + 1) * n_bias // span))
    return before / n_bias if before < n_bias else None
