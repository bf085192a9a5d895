"""Build the commands of a tiled GEMM program: the configuration header, then either the explicit
pipelined schedule (`pipeline.py`, the default: the RTL rejects LOOP_WS) or one LOOP_WS per outer
tile (Gemmini's `tiled_matmul_outer`, for the golden backend).  Both compute the same result.
"""

from __future__ import annotations

from typing import Sequence

from ..config import GemminiConfig
from ..isa import Command, config_ex, config_ld, config_st, loop_ws
from .gemm_commands import GemmEmitter
from .gemm_spec import GemmJob, GemmSpec
from .pipeline import explicit_schedule
from .plan import MatmulPlan, plan_gemm
from .steps import Step

__all__ = ["build_gemm", "gemm_header"]


def gemm_header(cfg: GemminiConfig, spec: GemmSpec) -> list[Command]:
    """CONFIG_EX (dataflow, transposes), a load state per operand (row pitch in bytes, MVIN scale,
    block stride DIM; state 2 = the bias, shrunk when elem-width) and CONFIG_STORE (output pitch,
    activation, scale)."""
    d, es = cfg.dim, cfg.input_bytes
    dsz = es if spec.bias_elem else cfg.acc_bytes
    csz = cfg.acc_bytes if spec.full_output else es
    commands = [
        config_ex(spec.dataflow, a_transpose=spec.a_transpose, b_transpose=spec.b_transpose),
        config_ld(spec.a_stride * es, spec.a_scale, block_stride=d, id=0),
        config_ld(spec.b_stride * es, spec.b_scale, block_stride=d, id=1),
    ]
    if spec.bias:
        commands.append(config_ld(spec.d_stride * dsz, 1.0, spec.bias_elem, block_stride=d, id=2))
    commands.append(config_st(spec.c_stride * csz, act=spec.activation, scale=spec.scale))
    return commands


def _loop_schedule(cfg: GemminiConfig, spec: GemmSpec, jobs: Sequence[GemmJob],
                   steps: Sequence[Step]) -> list[Command]:
    """One LOOP_WS per step: D only on a C tile's first step, C only on its last, accumulating
    onto the bias or the earlier K steps (ISA.md section 8, rules 5 and 6)."""
    d, es = cfg.dim, cfg.input_bytes
    dsz = es if spec.bias_elem else cfg.acc_bytes
    csz = cfg.acc_bytes if spec.full_output else es
    out: list[Command] = []
    for step in steps:
        job = jobs[step.job]
        bi, bj, bk = -(-step.rows // d), -(-step.cols // d), -(-step.depth // d)
        a_row, a_col = (step.k_start, step.row0) if spec.a_transpose else (step.row0, step.k_start)
        b_row, b_col = (step.col0, step.k_start) if spec.b_transpose else (step.k_start, step.col0)
        bias = spec.bias is not None and step.first_k
        out.extend(loop_ws(
            bi, bj, bk, bi * d - step.rows, bj * d - step.cols, bk * d - step.depth,
            a=job.a + (a_row * spec.a_stride + a_col) * es,
            b=job.b + (b_row * spec.b_stride + b_col) * es,
            d=job.d + (step.row0 * spec.d_stride + step.col0) * dsz if bias else 0,
            c=job.c + (step.row0 * spec.c_stride + step.col0) * csz if step.last_k else 0,
            a_stride=spec.a_stride, b_stride=spec.b_stride, d_stride=spec.d_stride,
            c_stride=spec.c_stride, a_transpose=spec.a_transpose, b_transpose=spec.b_transpose,
            full_c=spec.full_output, low_d=spec.bias_elem,
            ex_accumulate=spec.bias is not None or not step.first_k, act=spec.activation))
    return out


def build_gemm(cfg: GemminiConfig, spec: GemmSpec,
               jobs: Sequence[GemmJob]) -> tuple[list[Command], MatmulPlan]:
    """The commands of a program running `jobs` with `spec`, and its plan."""
    plan = plan_gemm(cfg, spec, [job.shape for job in jobs])
    steps = [step_plan.step for step_plan in plan.step_plans]
    if spec.use_loop_ws:
        body = _loop_schedule(cfg, spec, jobs, steps)
    else:
        body = explicit_schedule(cfg, GemmEmitter(cfg, spec, jobs), steps)
    return gemm_header(cfg, spec) + body, plan
