"""`MatmulPlan`: the tiling of a GEMM program and its exact command and traffic counts, computed
from the shapes alone (no commands are built), for the performance model and for reports.

The counts come from the same step enumeration the program builder walks (`steps.iter_steps`) with
one closed formula per step, so they equal the built program's counts (`Program.counts()`) and the
golden model's statistics exactly; the tests check that.  `MatmulPlan.step_plans` keeps the
per-step figures (one `StepPlan` per outer tile) for models that follow the pipeline tile by tile.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from ..config import GemminiConfig
from .gemm_spec import GemmSpec
from .steps import Step, choose_order, iter_steps
from .tile_choice import choose_tiles
from .tiles import TileShape, tile_acc_rows, tile_sp_rows

__all__ = ["MatmulPlan", "StepPlan", "plan_gemm"]

LOOP_WS_COMMANDS = ("loop_ws_config_bounds", "loop_ws_config_addrs_ab", "loop_ws_config_addrs_dc",
                    "loop_ws_config_strides_ab", "loop_ws_config_strides_dc", "loop_ws")


@dataclass(frozen=True)
class StepPlan:
    """One outer tile (`steps.Step`: position, extents, buffers, reuse) and the work done for it:
    the commands that move its data and compute it, by mnemonic (LOOP_WS expanded), and its DRAM
    traffic.  In the explicit program a step's loads are issued during the step before it and its
    stores during the step after it; they are counted here, with the step whose data they move."""

    step: Step
    counts: dict[str, int] = field(compare=False)
    dram_bytes_read: int = 0
    dram_bytes_written: int = 0


@dataclass(frozen=True)
class MatmulPlan:
    """How a tiled GEMM program is cut and what it does.

    `counts`: commands in the program by mnemonic.  `executed`: commands the accelerator executes
    (LOOP_WS expanded; equals the golden model's `ExecStats.instructions`).  `dram_bytes_*`: DMA
    traffic.  `macs`: useful multiply-accumulates (sum of M*N*K); `computes`: COMPUTE commands
    executed, each DIM**3 MACs of array time.  `sp_rows`/`acc_rows`: one buffer's footprint at
    the full tile size (at most half of each memory).  `step_plans`: per outer tile, in order.
    """

    dim: int
    dataflow: str
    tiles: TileShape
    order: str                                   # "ij" (row of C tiles first) or "ji"
    use_loop_ws: bool
    jobs: tuple[tuple[int, int, int], ...]       # (M, N, K) of each GEMM job
    grids: tuple[tuple[int, int, int], ...]      # outer tiles (I0, J0, K0) of each job
    steps: int
    counts: dict[str, int] = field(compare=False)
    executed: dict[str, int] = field(compare=False)
    dram_bytes_read: int = 0
    dram_bytes_written: int = 0
    macs: int = 0
    computes: int = 0
    sp_rows: int = 0
    acc_rows: int = 0
    step_plans: tuple[StepPlan, ...] = field(default=(), compare=False, repr=False)

    @property
    def total_commands(self) -> int:
        return sum(self.counts.values())

    @property
    def array_efficiency(self) -> float:
        """Useful MACs over the MACs the array spends on the computes (edge tiles waste some)."""
        return self.macs / (self.computes * self.dim ** 3) if self.computes else 0.0


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def plan_gemm(cfg: GemminiConfig, spec: GemmSpec,
              shapes: Sequence[tuple[int, int, int]]) -> MatmulPlan:
    """The plan of a program running the GEMM jobs `shapes` (M, N, K) with `spec`."""
    d = cfg.dim
    if spec.tiles is not None:
        tiles = spec.tiles
    else:
        tiles = choose_tiles(cfg, *(max(_ceil(s[axis], d) for s in shapes) for axis in (0, 1, 2)))
    order = "ij" if spec.use_loop_ws else choose_order(d, shapes, tiles)
    es = cfg.input_bytes
    dsz = es if spec.bias_elem else cfg.acc_bytes
    csz = cfg.acc_bytes if spec.full_output else es
    g = cfg.max_block_len
    g_bias = g if spec.bias_elem else cfg.max_block_len_acc
    g_out = 1 if spec.full_output else g

    counts: Counter[str] = Counter({"config_ex": 1, "config_ld": 3 if spec.bias else 2,
                                    "config_st": 1})
    executed: Counter[str] = Counter(counts)
    explicit = not spec.use_loop_ws
    read = written = computes = 0
    step_plans = []
    for step in iter_steps(d, shapes, tiles, order):
        bi, bj, bk = _ceil(step.rows, d), _ceil(step.cols, d), _ceil(step.depth, d)
        n: Counter[str] = Counter()
        step_read = step_written = 0
        if step.load_a or not explicit:
            n["mvin"] += (bk * _ceil(bi, g) if spec.a_transpose else bi * _ceil(bk, g)) \
                if explicit else bi * bk
            step_read += step.rows * step.depth * es
        if step.load_b or not explicit:
            n["mvin2"] += (bj * _ceil(bk, g) if spec.b_transpose else bk * _ceil(bj, g)) \
                if explicit else bk * bj
            step_read += step.depth * step.cols * es
        if spec.bias and step.first_k:
            n["mvin3"] += bi * _ceil(bj, g_bias) if explicit else bi * bj
            step_read += step.rows * step.cols * dsz
        pairs = bi * bj * bk
        preloaded = bk * bj if spec.is_ws else bi * bj
        n["preload"] += pairs
        n["compute_preloaded"] += preloaded
        n["compute_accumulated"] += pairs - preloaded
        computes += pairs
        if step.last_k:
            n["mvout"] += bi * _ceil(bj, g_out) if explicit else bi * bj
            step_written += step.rows * step.cols * csz
        read += step_read
        written += step_written
        step_plans.append(StepPlan(step, {k: v for k, v in n.items() if v}, step_read,
                                   step_written))
        executed.update(n)
        if explicit:
            counts.update(n)
        else:
            counts.update(LOOP_WS_COMMANDS)
            executed.update(LOOP_WS_COMMANDS)
    return MatmulPlan(
        dim=d, dataflow=spec.dataflow, tiles=tiles, order=order, use_loop_ws=spec.use_loop_ws,
        jobs=tuple(tuple(s) for s in shapes),
        grids=tuple((_ceil(m, tiles.tile_i * d), _ceil(nn, tiles.tile_j * d),
                     _ceil(k, tiles.tile_k * d)) for m, nn, k in shapes),
        steps=len(step_plans), counts={k: v for k, v in counts.items() if v},
        executed={k: v for k, v in executed.items() if v}, dram_bytes_read=read,
        dram_bytes_written=written, macs=sum(m * nn * k for m, nn, k in shapes),
        computes=computes, sp_rows=tile_sp_rows(d, *tiles.as_tuple()),
        acc_rows=tile_acc_rows(d, tiles.tile_i, tiles.tile_j), step_plans=tuple(step_plans))
