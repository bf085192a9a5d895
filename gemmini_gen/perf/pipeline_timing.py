"""Cycles of one tiled layer from its `StepCosts`: the double-buffered pipeline of the explicit
schedule (docs/tiling.md, "The explicit schedule").

While step s computes, the program issues the loads of step s+1 (into the other buffer slots) and
the stores of the C tile step s-1 finished, so in the steady state a step lasts as long as the
slowest of

    execute  E[s] = DIM * (pairs + bank-conflicting pairs) + step_overhead   (+ on a one-bank
                    accumulator, the bias rows of step s+1, which wait for the execute writes)
    load     L[s+1]                       store  T[s-1]                      issue  commands * c

with a DMA channel's time for a set of rows

    max(beats, local rows, (bursts * (latency + request_overhead) + beats) / max_in_flight)

(one beat and one local row per cycle; a burst holds one of `max_in_flight` slots from its request
to its last beat / response).  Nothing hides the first step's loads (prologue: L[0] plus the first
burst's latency) nor the end (epilogue: the last block's way through the mesh, `latency_ws/os` of
`MeshWithDelays` plus DIM rows and the accumulator write, then the last tile's stores and the last
write response):

    cycles = program_overhead + prologue + sum_s max(E[s], L[s+1], T[s-1], issue[s]) + epilogue
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from ..config import GemminiConfig
from .model_params import GemminiModelParams
from .step_costs import StepCosts

__all__ = ["LayerTiming", "MeshTiming", "layer_timing", "mesh_timing"]

BOUNDS = ("compute", "load", "store", "issue")


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


@dataclass(frozen=True)
class LayerTiming:
    cycles: int
    prologue: int
    steady: int
    epilogue: int
    execute: int          # sum of E: the compute phases alone
    load: int             # sum of L
    store: int            # sum of T
    issue: int
    bound: str            # the term that sets most of the steady-state cycles


def _channel(beats, rows, bursts, latency: int, params: GemminiModelParams,
             cfg: GemminiConfig) -> np.ndarray:
    in_flight = -(-(bursts * (latency + params.request_overhead) + beats) // cfg.max_in_flight)
    return np.maximum(np.maximum(beats, rows), in_flight)


def layer_timing(costs: StepCosts, params: GemminiModelParams, cfg: GemminiConfig
                 ) -> LayerTiming:
    mesh = mesh_timing(cfg)
    load = _channel(costs.load_beats, costs.load_rows, costs.load_bursts, params.read_latency,
                    params, cfg)
    store = _channel(costs.store_beats, costs.store_blocks, costs.store_bursts,
                     params.write_latency, params, cfg)
    execute = mesh.block_cycles * (costs.pairs + costs.conflict_pairs) + params.step_overhead
    issue = costs.commands * params.command_cycles

    next_load = np.append(load[1:], 0)
    last_store = np.insert(store[:-1], 0, 0)
    slot_execute = execute.copy()
    if cfg.acc_banks == 1:
        slot_execute[:-1] += costs.bias_rows[1:]
    terms = np.stack([slot_execute, next_load, last_store, issue])
    slots = terms.max(axis=0)
    steady = int(slots.sum())
    share = np.zeros(len(BOUNDS), dtype=np.int64)
    np.add.at(share, terms.argmax(axis=0), slots)

    latency = mesh.latency_ws if costs.dataflow == "ws" else mesh.latency_os
    prologue = int(load[0]) + params.read_latency + params.request_overhead
    epilogue = (latency + costs.dim + cfg.acc_latency + int(store[-1]) + params.write_latency
                + params.request_overhead)
    return LayerTiming(
        cycles=params.program_overhead + prologue + steady + epilogue, prologue=prologue,
        steady=steady, epilogue=epilogue, execute=int(execute.sum()), load=int(load.sum()),
        store=int(store.sum()), issue=int(issue.sum()), bound=BOUNDS[int(share.argmax())])
