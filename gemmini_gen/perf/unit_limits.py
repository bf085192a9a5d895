"""What the accelerator's units need for a set of commands, and the fixed timings of the hardware
as built that the `gemmini` schedule (`pipeline_timing`) reads: the mesh's latencies, the load
controller's command window and the DMA writer's W channel.

`channel_limits` gives, per step, the cycles each pipelined stage of a DMA unit (load or store)
needs for a stream of commands (`Transfers`): a set of commands takes its slowest stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from ..config import GemminiConfig
from .step_costs import Transfers

__all__ = ["ISSUE_TO_FEED", "MeshTiming", "STAGES", "WRITE_ROW_BUFFER", "WRITE_TURNAROUND",
           "channel_limits", "load_window", "mesh_timing", "read_responses"]

#: The stages `channel_limits` bounds a DMA unit by (rows of its result, in this order).
STAGES = ("beats", "rows", "requests", "slots", "window")
SLOTS = STAGES.index("slots")
WINDOW = STAGES.index("window")
#: The DMA writer's W channel (`hw.dma.writer`): it holds the beats of two rows (one being sent,
#: one waiting) and takes the next row's request when one has left; that row's AW reaches the
#: memory 3 cycles later and its W beats wait for it, so a row's beats start 1 + 3 cycles after
#: the row two ahead of it ended.  RTL waveforms (`conv1x1_s2` and `conv3x3_batch2_full` on DIM 8,
#: full-width output): two-beat rows every 3 cycles, not 2.75 (the burst slots) -- the store
#: unit ran 10 % slower than modelled; one-beat rows every 2 or 3 (`dw3x3_nobias` on DIM 4).
WRITE_ROW_BUFFER = 2
WRITE_TURNAROUND = 4
#: Cycles from the reservation station's issue of a PRELOAD/COMPUTE pair to the execute
#: controller feeding its first beat into the array (its operand readers' stage), on DIM 4, 8
#: and 16 alike (RTL waveforms, round 8).  A pair's execute-queue entry lives that much longer
#: than its feed and results: `dw5x5` on DIM 8, issue to completion 58-80 cycles in OS (median
#: 66), the mesh + DIM + accumulator latency plus one block 52.
ISSUE_TO_FEED = 8


@dataclass(frozen=True)
class MeshTiming:
    """The array's timing as built (`MeshWithDelays`): cycles from a block's last beat to its
    first result row, per dataflow, and the steady-state cycles per block."""

    latency_ws: int
    latency_os: int
    block_cycles: int


@lru_cache(maxsize=256)
def mesh_timing(cfg: GemminiConfig) -> MeshTiming:
    """`MeshWithDelays`'s timing properties for `cfg`.  They depend on the config alone, so they
    are evaluated on a view holding just the config: building the component without elaborating
    it would draw Amaranth's UnusedElaboratable warnings (the tests compare with a real one)."""
    from ..hw.mesh_with_delays import MeshWithDelays      # Amaranth: imported on first use
    view = SimpleNamespace(config=cfg)
    view.pipeline_depth = MeshWithDelays.pipeline_depth.fget(view)
    return MeshTiming(MeshWithDelays.latency_ws.fget(view), MeshWithDelays.latency_os.fget(view),
                      MeshWithDelays.block_cycles.fget(view))


@lru_cache(maxsize=1)
def load_window() -> int:
    """Load micro-ops the load controller holds between its request and write stages."""
    from ..hw.ctrl.load import UOP_BUFFER               # Amaranth: imported on first use
    return UOP_BUFFER


def channel_limits(t: Transfers, latency: float, overhead: float, in_flight: int,
                   window: tuple[int, float] | None = None,
                   turnaround: float | None = None) -> np.ndarray:
    """Cycles each stage of a DMA unit needs for each step's `t` (rows: `STAGES`, bus beats,
    local rows, request issue, burst slots and, with `window`, the command window; columns:
    steps).  The stages are pipelined, so a set of commands takes its slowest stage.  `window` =
    (commands, tail) bounds a load unit that holds only that many commands between requesting
    their first row and writing their last: each takes its requests, the read latency, `tail`
    and the local rows of its last DRAM row (all of them for a broadcast bias row).  With
    `turnaround` (the store unit's DMA writer) the bus beats stage is its W channel: the writer
    holds `WRITE_ROW_BUFFER` rows' beats and takes a row only when one has left, and a row's
    beats start `turnaround` cycles after the row that many ahead of it ended, so a row of b beats
    takes max(b, (b + turnaround) / 2) cycles."""
    slots = (t.bursts * (latency + overhead) + t.beats) / in_flight
    beats = t.beats
    if turnaround is not None:
        beats = np.maximum(beats, (beats + turnaround * t.requests) / WRITE_ROW_BUFFER)
    limits = [beats, t.rows, t.requests + t.commands, slots]
    if window is not None:
        depth, tail = window
        last_rows = t.rows * t.commands / np.maximum(t.requests, 1)
        limits.append((t.requests + t.commands * (latency + tail) + last_rows) / depth)
    return np.stack(limits).astype(float)


def read_responses(*streams: Transfers) -> list[tuple[float, float, float, float]]:
    """Per step, what the read responses of `streams` (given interleaved, as one stream) hold
    the R channel for (`pipeline_timing`'s `overlap_loads`): (the stall cycles of the responses
    within their commands, the commands, local rows per response less one, beats per response).

    A response waits at the load unit while its local rows are written, and the R channel stalls
    behind it for all but one of those rows beyond the beats of the response that follows: within
    a command that is a response of the same stream, across commands one of any stream of the
    mix.  Loads-only RTL programs on DIM 4 (a layer's MVINs without its computes; the harness's
    `read_stalled` counter): A/B streams alone stall R for requests x (rows - beats - 1) cycles
    (`dw5x5` 510 against 512, `conv3x3` 532 against 520, `dw3x3`'s 3-row, 2-beat A rows 7 in 512
    requests), `dw3x3`'s A + bias mix for 237 against 247 (the rule, commands interleaved at
    random).  On DIM 8 the rule gives twice the counter's stalls of a mix (`dw3x3` 2,945 against
    1,306), but times the mix better than the full rows beyond the beats did."""
    first, *others = streams
    requests, commands = first.requests.astype(float), first.commands.astype(float)
    rows, beats = first.rows.astype(float), first.beats.astype(float)
    for t in others:
        requests += t.requests
        commands += t.commands
        rows += t.rows
        beats += t.beats
    per = np.maximum(requests, 1)
    rows /= per
    beats /= per
    rows -= 1
    within = (requests - commands) * np.maximum(rows - beats, 0)
    return list(zip(within.tolist(), commands.tolist(), rows.tolist(), beats.tolist()))
