"""`scalesim` mode: SCALE-Sim v2/v3's reported figures, exactly, in closed form.

SCALE-Sim maps a GEMM C[M, N] = A[M, K] B[K, N] onto an R x C array as a spatial Sr x Sc problem
over T time steps:

    dataflow   Sr   Sc   T        (rows of the array hold Sr, columns Sc)
    os         M    N    K
    ws         K    N    M
    is         K    M    N

It cuts the problem into folds of R x C, runs them one after another and lets each fold drain before
the next starts.  Its demand matrices give every fold a fixed number of cycle lines:

    os: R + C + T - 2          ws, is: 2R + C + T - 2

and its COMPUTE_REPORT's "Total Cycles" is (folds * lines - 1) when the memories do not stall (the
default CALC interface bandwidth, SRAMs that hold the layer).  Mapping efficiency and compute
utilization are SCALE-Sim's per-fold averages; for compute utilization it divides each fold's MACs by
R * C * (the fold demand matrix's rows + columns - 1), i.e. by R + C + T - 2 cycles (os) or
2R + 2C + T - 3 (ws, is), which is not the fold's line count.  SRAM access counts reproduce its
DETAILED_ACCESS_REPORT, including the OS ofmap count that adds R + C per fold.  DRAM reads are the
compulsory traffic, which is what SCALE-Sim reports when the SRAMs hold the layer; DRAM writes are
the output once (OS) or, as SCALE-Sim keeps no partial sums on chip for WS/IS, every fold's partial
sums (= the ofmap SRAM writes).

Depthwise layers run as `groups` separate layers, as SCALE-Sim expands `DP` rows.  Everything is
vectorized over the layers of a workload with numpy (int64, exact).  Verified against SCALE-Sim 2.0.2
and 3.0.0 in tests/perf/test_scalesim_model.py.
"""

from __future__ import annotations

import numpy as np

from ..config import GemminiConfig
from .estimate import DATAFLOWS, Estimate, LayerEstimate, ModelError, check_dataflow
from .workload import Workload

__all__ = ["ScaleSimModel", "default_scalesim_dataflow", "scalesim_arrays"]

MODEL_INFO = {"reproduces": "SCALE-Sim 2.0.2 / 3.0.0 COMPUTE_REPORT 'Total Cycles' (no stalls: "
                            "CALC interface bandwidth, SRAMs that hold the layer)"}


def default_scalesim_dataflow(config: GemminiConfig) -> str:
    """The config's dataflow; BOTH means WS (what Gemmini's software picks by default)."""
    return "os" if config.dataflow.value == "OS" else "ws"


def scalesim_arrays(M: np.ndarray, N: np.ndarray, K: np.ndarray, rows: int, cols: int,
                    dataflow: str) -> dict[str, np.ndarray]:
    """SCALE-Sim's per-GEMM figures for arrays of shapes (one entry per GEMM)."""
    M, N, K = (np.asarray(x, dtype=np.int64) for x in (M, N, K))
    R, C = np.int64(rows), np.int64(cols)
    if dataflow == "os":
        Sr, Sc, T = M, N, K
    elif dataflow == "ws":
        Sr, Sc, T = K, N, M
    else:
        Sr, Sc, T = K, M, N
    row_folds = -(-Sr // R)
    col_folds = -(-Sc // C)
    folds = row_folds * col_folds
    if dataflow == "os":
        lines = R + C + T - 2
        util_window = R + C + T - 2
    else:
        lines = 2 * R + C + T - 2
        util_window = 2 * R + 2 * C + T - 3
    cycles = folds * lines - 1
    pes = R * C
    mapped = Sr * Sc
    out = {
        "cycles": cycles,
        "mapping_efficiency": mapped / (folds * pes),
        "compute_utilization": mapped * T / (pes * util_window * folds),
        "overall_utilization": M * N * K / (cycles * pes),
        "folds": folds,
    }
    if dataflow == "os":
        out["ifmap_sram_reads"] = col_folds * T * Sr
        out["filter_sram_reads"] = row_folds * T * Sc
        out["ofmap_sram_writes"] = Sr * Sc + folds * (R + C)
    elif dataflow == "ws":
        out["ifmap_sram_reads"] = col_folds * T * Sr
        out["filter_sram_reads"] = Sr * Sc
        out["ofmap_sram_writes"] = row_folds * T * Sc
    else:
        out["ifmap_sram_reads"] = Sr * Sc
        out["filter_sram_reads"] = col_folds * T * Sr
        out["ofmap_sram_writes"] = row_folds * T * Sc
    return out


class ScaleSimModel:
    """SCALE-Sim's compute model.  The array is `rows` x `cols` (default: the config's DIM)."""

    mode = "scalesim"

    def estimate(self, workload: Workload, config: GemminiConfig, *, dataflow: str | None = None,
                 rows: int | None = None, cols: int | None = None) -> Estimate:
        df = check_dataflow(dataflow or default_scalesim_dataflow(config), DATAFLOWS, self.mode)
        rows = config.dim if rows is None else rows
        cols = config.dim if cols is None else cols
        for label, value in (("rows", rows), ("cols", cols)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ModelError(f"array {label} must be a positive integer, got {value!r}")
        layers = workload.layers
        shape = np.array([(l.M, l.N, l.K, l.groups) for l in layers], dtype=np.int64)
        figures = scalesim_arrays(shape[:, 0], shape[:, 1], shape[:, 2], rows, cols, df)
        groups = shape[:, 3]
        word = config.input_bytes
        cycles = (figures["cycles"] * groups).tolist()
        map_eff = figures["mapping_efficiency"].tolist()
        comp_util = figures["compute_utilization"].tolist()
        util = figures["overall_utilization"].tolist()
        folds = (figures["folds"] * groups).tolist()
        ifmap_rd = (figures["ifmap_sram_reads"] * groups).tolist()
        filter_rd = (figures["filter_sram_reads"] * groups).tolist()
        ofmap_wr = (figures["ofmap_sram_writes"] * groups).tolist()
        results = []
        for i, layer in enumerate(layers):
            ifmap_dram = layer.input_elements()
            filter_dram = layer.weight_elements()
            # WS/IS fold the reduction over rows: every fold's partial sums go out to DRAM.
            ofmap_dram = layer.output_elements() if df == "os" else ofmap_wr[i]
            results.append(LayerEstimate(
                name=layer.name, kind=layer.kind.value, M=layer.M, N=layer.N, K=layer.K,
                groups=layer.groups, macs=layer.macs, cycles=cycles[i], utilization=util[i],
                mapping_efficiency=map_eff[i], compute_utilization=comp_util[i],
                dram_read_bytes=(ifmap_dram + filter_dram) * word,
                dram_write_bytes=ofmap_dram * word,
                sram_read_bytes=(ifmap_rd[i] + filter_rd[i]) * word,
                sram_write_bytes=ofmap_wr[i] * word,
                details={"folds": folds[i], "ifmap_sram_reads": ifmap_rd[i],
                         "filter_sram_reads": filter_rd[i], "ofmap_sram_writes": ofmap_wr[i],
                         "ifmap_dram_reads": ifmap_dram, "filter_dram_reads": filter_dram,
                         "ofmap_dram_writes": ofmap_dram},
            ))
        return Estimate(mode=self.mode, workload=workload.name, config=config, rows=rows,
                        cols=cols, dataflow=df, layers=tuple(results), model=MODEL_INFO)
