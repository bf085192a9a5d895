"""`gemmini` mode: a model of our accelerator as built, on the project's tiler.

Each layer is lowered exactly as the project runs it (`layer_plan`: the tiler's `plan_matmul` /
`plan_conv`, the one source of truth for tiles, steps and command counts), its outer tile steps are
turned into work the hardware spends cycles on (`step_costs`: DMA requests, beats and bursts, local
rows, mesh blocks, bank conflicts, commands) and timed as the double-buffered pipeline of the
explicit schedule (`pipeline_timing`: per step the slowest of execute, next load, previous store and
command issue, plus the prologue and epilogue).  The timings the RTL alone knows are the free
parameters `GemminiModelParams`, which calibration fits (`calibration.fit_params`).

DRAM bytes, MACs and the array efficiency are the plan's own (exact: they equal the golden model's
counts); SRAM bytes are the local rows moved (equal to the golden model's row counters) times the
row width.  Work per unique layer shape is cached, so a network costs one plan per distinct layer.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

from ..config import GemminiConfig
from ..tiling import TilingError
from .estimate import Estimate, LayerEstimate, ModelError, check_dataflow
from .layer import Layer
from .layer_plan import LayerPlan, plan_layer
from .model_params import GemminiModelParams
from .pipeline_timing import LayerTiming, layer_timing
from .step_costs import StepCosts, step_costs
from .workload import Workload

__all__ = ["GemminiModel", "LayerWork", "clear_plan_cache", "layer_shape", "layer_work"]


#: Config fields the tiler never reads (tiling/: sizes, dtypes, features and the dataflow only):
#: design points that differ only in these share one plan per layer.
NOT_TILING = {"name": "design point", "dma_bus_bits": 64, "dma_max_bytes": 64,
              "max_in_flight": 1, "ld_queue_length": 1, "st_queue_length": 1,
              "ex_queue_length": 1, "rs_entries_ld": 1, "rs_entries_st": 1, "num_counters": 1,
              "spad_read_delay": 1, "acc_latency": 1, "tile_latency": 0, "mesh_output_delay": 1}


class LayerWork:
    """A layer's plan and plan-derived work (independent of the model parameters)."""

    __slots__ = ("lowered", "costs")

    def __init__(self, lowered: LayerPlan, config: GemminiConfig):
        self.lowered = lowered
        self.costs: StepCosts = step_costs(lowered, config)


@lru_cache(maxsize=4096)
def _cached_plan(shape: tuple, tiling_config: GemminiConfig, dataflow: str) -> LayerPlan:
    return plan_layer(Layer("layer", *shape), tiling_config, dataflow)


@lru_cache(maxsize=256)
def _tiling_config(config: GemminiConfig) -> GemminiConfig:
    """`config` with the fields the tiler never reads set to fixed values (the plans' cache key)."""
    return config.replace(**NOT_TILING)


@lru_cache(maxsize=4096)
def _cached_work(shape: tuple, config: GemminiConfig, dataflow: str) -> LayerWork:
    return LayerWork(_cached_plan(shape, _tiling_config(config), dataflow), config)


def layer_shape(layer: Layer) -> tuple:
    """Everything of a layer but its name, in `Layer`'s field order."""
    return (layer.kind, layer.M, layer.N, layer.K, layer.groups, layer.conv, layer.bias,
            layer.relu, layer.full_output)


def layer_work(layer: Layer, config: GemminiConfig, dataflow: str) -> LayerWork:
    """`LayerWork` of `layer`, cached by its shape (the name does not matter)."""
    try:
        return _cached_work(layer_shape(layer), config, dataflow)
    except TilingError as e:
        raise ModelError(f"{layer.name}: {e}") from None


@lru_cache(maxsize=4096)
def _cached_timing(shape: tuple, config: GemminiConfig, dataflow: str,
                   params: GemminiModelParams) -> LayerTiming:
    return layer_timing(_cached_work(shape, config, dataflow).costs, params, config)


def clear_plan_cache() -> None:
    """Forget every cached layer plan (for benchmarks of the uncached path)."""
    _tiling_config.cache_clear()
    _cached_plan.cache_clear()
    _cached_work.cache_clear()
    _cached_timing.cache_clear()


class GemminiModel:
    mode = "gemmini"

    def __init__(self, params: GemminiModelParams | None = None):
        """`params`: default the RTL-calibrated ones shipped with the package."""
        self.params = params or GemminiModelParams.shipped()

    def estimate(self, workload: Workload, config: GemminiConfig, *, dataflow: str | None = None,
                 rows: int | None = None, cols: int | None = None) -> Estimate:
        if rows not in (None, config.dim) or cols not in (None, config.dim):
            raise ModelError("gemmini mode models the config's DIM x DIM array; --rows/--cols "
                             "are for scalesim mode")
        supported = tuple(df for df, ok in (("ws", config.has_ws), ("os", config.has_os)) if ok)
        df = check_dataflow(dataflow or supported[0], supported, self.mode)
        layers = tuple(self.layer_estimate(layer, config, df) for layer in workload.layers)
        return Estimate(mode=self.mode, workload=workload.name, config=config, rows=config.dim,
                        cols=config.dim, dataflow=df, layers=layers, model=asdict(self.params))

    def layer_cycles(self, layer: Layer, config: GemminiConfig, dataflow: str) -> int:
        """Cycles of one layer (what calibration fits)."""
        layer_work(layer, config, dataflow)             # (names the layer in errors)
        return _cached_timing(layer_shape(layer), config, dataflow, self.params).cycles

    def layer_estimate(self, layer: Layer, config: GemminiConfig, dataflow: str
                       ) -> LayerEstimate:
        work = layer_work(layer, config, dataflow)
        plan, costs = work.lowered.plan, work.costs
        timing = _cached_timing(layer_shape(layer), config, dataflow, self.params)
        pes = config.dim * config.dim
        sram_read = (costs.sp_rows_read * config.sp_row_bytes
                     + costs.acc_rows_read * config.acc_row_bytes)
        sram_write = (costs.sp_rows_written * config.sp_row_bytes
                      + costs.acc_rows_written * config.acc_row_bytes)
        t = plan.tiles
        return LayerEstimate(
            name=layer.name, kind=layer.kind.value, M=layer.M, N=layer.N, K=layer.K,
            groups=layer.groups, macs=layer.macs, cycles=timing.cycles,
            utilization=layer.macs / (timing.cycles * pes),
            mapping_efficiency=plan.array_efficiency,
            compute_utilization=layer.macs / (timing.execute * pes),
            dram_read_bytes=plan.dram_bytes_read, dram_write_bytes=plan.dram_bytes_written,
            sram_read_bytes=sram_read, sram_write_bytes=sram_write,
            details={"tile_i": t.tile_i, "tile_j": t.tile_j, "tile_k": t.tile_k,
                     "steps": plan.steps, "order": plan.order, "commands": plan.total_commands,
                     "compute_cycles": timing.execute, "load_cycles": timing.load,
                     "store_cycles": timing.store, "issue_cycles": timing.issue,
                     "prologue_cycles": timing.prologue, "epilogue_cycles": timing.epilogue,
                     "bound": timing.bound})
