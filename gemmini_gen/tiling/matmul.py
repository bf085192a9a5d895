"""`tiled_matmul_auto`: Gemmini's tiled matmul as a `TiledProgram`, and `plan_matmul`, its plan
without building any command.

    C[M,N] = act(ACC_SCALE(A[M,K] @ B[K,N] + D))      or, full_output=True,      A @ B + D

Ports: "A" (M x K, or K x M with a_transpose) and "B" (K x N, or N x K with b_transpose) of the
input dtype; "D" when there is a bias: M x N (`bias="matrix"`) or N (`bias="row"`, broadcast to
every row) of the accumulator dtype, or of the input dtype with `bias_dtype="elem"`; output "C"
(M x N) of the input dtype, or of the accumulator dtype with `full_output`.
"""

from __future__ import annotations

import numpy as np

from ..config import GemminiConfig
from ..isa import Program
from ..memory import Memory
from .gemm_program import build_gemm
from .gemm_spec import GemmJob, GemmSpec, check_dims, make_gemm_spec
from .plan import MatmulPlan, plan_gemm
from .tiled_program import Port, TiledProgram

__all__ = ["plan_matmul", "tiled_matmul_auto"]


def _spec(cfg: GemminiConfig, M: int, N: int, K: int, options: dict) -> GemmSpec:
    check_dims(M=M, N=N, K=K)
    return make_gemm_spec(cfg, a_stride=M if options.get("a_transpose") else K,
                          b_stride=K if options.get("b_transpose") else N, d_stride=N,
                          c_stride=N, **options)


def plan_matmul(cfg: GemminiConfig, M: int, N: int, K: int, **options) -> MatmulPlan:
    """The tiling, command counts and traffic `tiled_matmul_auto(cfg, M, N, K, **options)` would
    produce (same keyword options, except `name`), without building the program."""
    return plan_gemm(cfg, _spec(cfg, M, N, K, options), [(M, N, K)])


def tiled_matmul_auto(cfg: GemminiConfig, M: int, N: int, K: int, *, bias: str | None = None,
                      bias_dtype: str = "acc", activation: str = "none", scale: float = 1.0,
                      a_transpose: bool = False, b_transpose: bool = False,
                      full_output: bool = False, a_scale: float = 1.0, b_scale: float = 1.0,
                      dataflow: str | None = None, use_loop_ws: bool = False, tiles=None,
                      name: str | None = None) -> TiledProgram:
    """A program computing C = act(scale(A @ B + D)) for an M x K by K x N product.

    `dataflow`: "WS" or "OS" (default WS when the config has it).  `tiles`: (tile_i, tile_j,
    tile_k) in DIM blocks instead of the heuristic.  `use_loop_ws`: one LOOP_WS per outer tile
    (golden backend only; the RTL takes the default explicit commands).  `a_scale`/`b_scale`:
    MVIN scale factors of A and B.  Bad shapes or options raise `TilingError`.
    """
    spec = _spec(cfg, M, N, K, dict(
        bias=bias, bias_dtype=bias_dtype, activation=activation, scale=scale,
        a_transpose=a_transpose, b_transpose=b_transpose, full_output=full_output,
        a_scale=a_scale, b_scale=b_scale, dataflow=dataflow, use_loop_ws=use_loop_ws,
        tiles=tiles))
    elem, acc_dtype = np.dtype(cfg.input_dtype), np.dtype(cfg.acc_dtype)
    d_dtype = elem if spec.bias_elem else acc_dtype
    c_dtype = acc_dtype if spec.full_output else elem
    shapes = {"A": (K, M) if spec.a_transpose else (M, K),
              "B": (N, K) if spec.b_transpose else (K, N),
              "D": (M, N) if bias == "matrix" else (N,), "C": (M, N)}
    dtypes = {"A": elem, "B": elem, "D": d_dtype, "C": c_dtype}
    names = ["A", "B"] + (["D"] if bias else []) + ["C"]

    memory = Memory()
    regions = {n: memory.alloc(n, int(np.prod(shapes[n])) * dtypes[n].itemsize) for n in names}
    job = GemmJob(M, N, K, regions["A"].base, regions["B"].base,
                  regions["D"].base if bias else 0, regions["C"].base)
    commands, plan = build_gemm(cfg, spec, [job])
    t = plan.tiles
    program = Program(commands, memory.regions, name=name or f"matmul_{M}x{N}x{K}",
                      comment=f"{spec.dataflow}, tiles {t.tile_i}x{t.tile_j}x{t.tile_k} blocks, "
                              f"{'LOOP_WS' if spec.use_loop_ws else 'explicit'}")
    ports = {n: Port(n, shapes[n], dtypes[n], n, shapes[n]) for n in names}
    return TiledProgram(cfg, program, memory, {n: ports[n] for n in names if n != "C"},
                        {"C": ports["C"]}, plan, kind="matmul")
