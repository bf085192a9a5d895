"""The accumulator bank a step's bias loads and its computes share, for the `gemmini` schedule
(`pipeline_timing`): what the load unit loses while a step's computes run before its own bias is
in.

Both write the same accumulator bank and the execute unit's results go first, so the bias rows --
and the in-order load unit behind them -- wait for the computes' writes (`conv1x1_s2_b` on DIM 16:
the load unit blocked 100-130 cycles a step).  In WS only the pairs of the first k sweep can: it
writes every block of the C tile, each pair after the bias of its rows (the reservation station
orders them), so the later sweeps start after the last bias row (`dw5x5` on `small`: the RTL's load
unit busy 59 cycles longer in WS than in OS, the model had 440 more cycles lost to this in WS).
Where the stream gives some of the bias after the B the first pair needs and they are still out
when the sweep's first results come, the sweep writes the row blocks whose bias came before that B
without a gap while the next bias row, and the load unit, wait: the load unit loses that part of
the sweep instead (`bias_lockout`).
"""

from __future__ import annotations

import numpy as np

from ..config import GemminiConfig
from .bias_lockout import bias_before_first_b
from .fluid_queue import QueueUnit, StreamSpan
from .step_costs import StepCosts

__all__ = ["BiasConflict"]


class BiasConflict:
    """The charge of one layer's schedule: built once per layer from its plan, then asked once per
    piece of computes (`charge`), which moves the load unit and the step's bias span."""

    __slots__ = ("costs", "cfg", "ld_lag", "ex_lag", "load", "bias_spans", "compute_spans",
                 "write_share", "first_sweep", "locked_out")

    def __init__(self, costs: StepCosts, view, cfg: GemminiConfig, execute: np.ndarray,
                 lags: tuple[float, float], load: QueueUnit, spans: dict[str, list[StreamSpan]]):
        """`view`: the per-step fields of `costs` as lists (the schedule's); `execute`: each
        step's compute work; `lags`: (a load's, a pair's results') latency."""
        ws = costs.dataflow == "ws"
        self.costs, self.cfg, self.load = view, cfg, load
        self.ld_lag, self.ex_lag = lags
        self.bias_spans, self.compute_spans = spans["bias"], spans["compute"]
        # the share of the computes' cycles that write the accumulator (one row a cycle)
        results = costs.pairs if ws else costs.blocks_i * costs.blocks_j    # blocks written
        self.write_share = np.minimum(1.0, results * cfg.dim / np.maximum(execute, 1)).tolist()
        # WS: how long the first k sweep's pairs take
        self.first_sweep = ((costs.blocks_i * costs.blocks_j * execute / costs.pairs).tolist()
                            if ws else None)
        self.locked_out: set[int] = set()

    def charge(self, step: int, start: float, end: float) -> None:
        """The step's computes run [start, end): the load unit, and the step's bias, lose the
        cycles the computes write while its bias is still being loaded (the module docstring)."""
        bias = self.bias_spans[step]
        if bias.start is None or bias.end + self.ld_lag <= start or step in self.locked_out:
            return
        if self.first_sweep is not None:
            sweep = self.compute_spans[step].start
            if start == sweep and bias.end + self.ld_lag > start + self.ex_lag:
                before = bias_before_first_b(self.costs, self.cfg, step)
                if before is not None:
                    lost = self.first_sweep[step] / self.costs.blocks_j[step] * before
                    self.locked_out.add(step)
                    self.load.free += lost
                    bias.end += lost
                    return
            end = min(end, sweep + self.first_sweep[step])
        overlap = min(bias.end + self.ld_lag, end) - max(bias.start, start)
        if overlap > 0:
            lost = overlap * self.write_share[step]
            self.load.free += lost
            bias.end += lost
