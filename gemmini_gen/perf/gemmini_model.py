"""`gemmini` mode: a model of our accelerator as built -- PROVISIONAL, not yet calibrated.

First-principles model of one layer on a DIM x DIM Gemmini running the LOOP_WS schedule (ISA.md
section 8) with double-buffered outer tiles:

* Tiles.  A `Tiler` picks tile_I x tile_J x tile_K DIM-blocks (default: `choose_tiles`, our copy of
  the `tiled_matmul_auto` policy).  WS convolutions run as Gemmini's conv loop does: one K-block
  group per kernel pixel, ceil(C / DIM) blocks each, so K-blocks = kh * kw * ceil(C / DIM).  That
  loop is WS-only, so an OS convolution is modelled as a software im2col plus a GEMM.
* Compute.  WS: each (k, j) weight block is preloaded in DIM cycles (overlapped with the previous
  block's rows, so it only costs extra when the tile has fewer than DIM rows); every A row then takes
  one cycle: cycles = Kb * Nb * M + Kb * Nb * tiles_i * (DIM - min(DIM, M)).  OS is the mirror image
  with K streaming.  Each outer tile adds `tile_overhead` cycles; each layer pays the mesh fill and
  drain (2 DIM + pipeline latencies) and `layer_overhead`.
* DMA.  A DRAM row moves in pieces of one mvin row (MAX_BLOCK_LEN DIM-blocks) or one mvout row (one
  block), each split into `dma_max_bytes` bus requests of ceil(bytes / bus_bytes) beats.  A channel
  is limited by one beat per cycle and by `max_in_flight` outstanding requests of `read_latency` /
  `write_latency` cycles.  A is reloaded for every J-tile, B for every I-tile (loop order i, j, k); WS convolutions
  load the input feature map, not its im2col copy.  Output is written once as input-width elements.
* Overlap.  Loads, compute and stores of different tiles overlap: cycles = fill + first tile's load
  + max(compute, loads, stores) + last tile's store.

The latencies and overheads are `GemminiModelParams`; calibration against RTL cycle counters (later)
fits them and saves them with `GemminiModelParams.save`, so `GemminiModel(params=...)` picks them up.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..config import GemminiConfig
from .estimate import Estimate, LayerEstimate, ModelError, check_dataflow
from .layer import Layer, LayerKind
from .tiling_estimate import Tiler, choose_tiles
from .workload import Workload

__all__ = ["GemminiModel", "GemminiModelParams"]


@dataclass(frozen=True)
class GemminiModelParams:
    """Free parameters of the gemmini model (cycles).  Defaults are first-principles guesses."""

    read_latency: int = 40          # DRAM read request -> data
    write_latency: int = 20         # DRAM write request -> acknowledgement
    tile_overhead: int = 16         # per outer tile: LOOP_WS configuration and issue
    layer_overhead: int = 64        # per layer: config commands, final fence
    calibration: str = "provisional: uncalibrated first-principles defaults"

    @classmethod
    def load(cls, path: str | Path) -> "GemminiModelParams":
        try:
            data = json.loads(Path(path).read_text())
        except OSError as e:
            raise ModelError(f"cannot read model parameters {path}: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise ModelError(f"{path}: malformed JSON: {e.msg} (line {e.lineno})") from None
        if not isinstance(data, dict):
            raise ModelError(f"{path}: expected a JSON object of gemmini model parameters")
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ModelError(f"{path}: unknown gemmini model parameter(s): {', '.join(unknown)}")
        for key, value in data.items():
            wanted, label = (str, "a string") if known[key] == "str" else (int, "an integer")
            if isinstance(value, bool) or not isinstance(value, wanted):
                raise ModelError(f"{path}: {key} must be {label}, got {value!r}")
        return cls(**data)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")


@dataclass(frozen=True)
class _Stream:
    """One DMA stream: `rows` rows of `row_bytes` contiguous bytes, moved `repeats` times in
    pieces of at most `piece` bytes (one mvin/mvout row each)."""

    rows: int
    row_bytes: int
    piece: int
    repeats: int = 1

    def units(self, unit: int) -> int:
        """Bus beats (unit = bus bytes) or bus requests (unit = dma_max_bytes) to move it."""
        full, rest = divmod(self.row_bytes, self.piece)
        per_row = full * -(-self.piece // unit) + -(-rest // unit)
        return self.rows * self.repeats * per_row

    def bytes(self) -> int:
        return self.rows * self.row_bytes * self.repeats


class GemminiModel:
    mode = "gemmini"

    def __init__(self, params: GemminiModelParams | None = None, tiler: Tiler | None = None):
        self.params = params or GemminiModelParams()
        self.tiler = tiler or choose_tiles

    def estimate(self, workload: Workload, config: GemminiConfig, *, dataflow: str | None = None,
                 rows: int | None = None, cols: int | None = None) -> Estimate:
        if rows not in (None, config.dim) or cols not in (None, config.dim):
            raise ModelError("gemmini mode models the config's DIM x DIM array; --rows/--cols "
                             "are for scalesim mode")
        supported = tuple(df for df, ok in (("ws", config.has_ws), ("os", config.has_os)) if ok)
        df = check_dataflow(dataflow or supported[0], supported, self.mode)
        layers = tuple(self._layer(layer, config, df) for layer in workload.layers)
        return Estimate(mode=self.mode, workload=workload.name, config=config, rows=config.dim,
                        cols=config.dim, dataflow=df, layers=layers, model=asdict(self.params))

    # ------------------------------------------------------------------------------------------
    def _layer(self, layer: Layer, cfg: GemminiConfig, df: str) -> LayerEstimate:
        p, dim, es, acc = self.params, cfg.dim, cfg.input_bytes, cfg.acc_bytes
        M, N, K = layer.M, layer.N, layer.K
        # Gemmini's conv loop is WS-only: an OS convolution is a software im2col plus a GEMM.
        conv = layer.conv if layer.kind is LayerKind.CONV and df == "ws" else None
        mb, nb = -(-M // dim), -(-N // dim)
        kb = conv.filter_h * conv.filter_w * -(-conv.channels // dim) if conv else -(-K // dim)
        k_padded = kb * dim
        plan = self.tiler(cfg, mb, nb, kb)
        tiles_i, tiles_j = -(-mb // plan.tile_i), -(-nb // plan.tile_j)
        tiles = plan.count(mb, nb, kb)

        if df == "ws":
            compute = kb * nb * M + kb * nb * tiles_i * (dim - min(dim, M))
            mapped = K * N / (k_padded * nb * dim)
        else:
            compute = mb * nb * K + mb * nb * (dim - min(dim, K))
            mapped = M * N / (mb * dim * nb * dim)
        fill = 2 * dim + cfg.spad_read_delay + cfg.acc_latency + cfg.mesh_output_delay + \
            cfg.tile_latency * (cfg.mesh_rows + cfg.mesh_cols)
        compute_total = compute + tiles * p.tile_overhead

        # One mvin row moves up to MAX_BLOCK_LEN DIM-blocks (<= 64 bytes); one mvout row one block.
        mvin_piece = cfg.max_block_len * cfg.sp_row_bytes
        # A in DRAM: rows of one pixel's channels (NHWC conv), single elements (depthwise:
        # channels are interleaved), or rows of K (GEMM, im2col'd conv).
        if conv:
            a_elems, a_row = layer.input_elements(), conv.channels
        elif layer.kind is LayerKind.DEPTHWISE:
            a_elems, a_row = layer.input_elements() // layer.groups, 1
        else:
            a_elems, a_row = M * K, K
        loads = [_Stream(a_elems // a_row, a_row * es, mvin_piece, tiles_j),
                 _Stream(K, N * es, mvin_piece, tiles_i)]
        stores = [_Stream(M, N * es, cfg.sp_row_bytes)]
        load_cycles = self._channel(loads, cfg, p.read_latency)
        store_cycles = self._channel(stores, cfg, p.write_latency)
        first_load = load_cycles // tiles + p.read_latency
        last_store = store_cycles // (tiles_i * tiles_j) + p.write_latency
        steady = max(compute_total, load_cycles, store_cycles)
        bound = ("compute", "load", "store")[[compute_total, load_cycles,
                                              store_cycles].index(steady)]
        one = p.layer_overhead + fill + first_load + steady + last_store

        g = layer.groups
        cycles = g * one
        dram_read = g * sum(t.bytes() for t in loads)
        dram_write = g * sum(t.bytes() for t in stores)
        a_rows_fed = (kb * nb * M) if df == "ws" else (mb * nb * K)
        b_rows_fed = (kb * nb * tiles_i * dim) if df == "ws" else (mb * nb * K)
        acc_rows = (kb * nb * M) if df == "ws" else (mb * nb * dim)
        sram_read = g * ((a_rows_fed + b_rows_fed) * dim * es + (acc_rows + M * nb) * dim * acc)
        sram_write = dram_read + g * acc_rows * dim * acc
        pes = dim * dim
        return LayerEstimate(
            name=layer.name, kind=layer.kind.value, M=M, N=N, K=K, groups=g, macs=layer.macs,
            cycles=cycles, utilization=layer.macs / (cycles * pes), mapping_efficiency=mapped,
            compute_utilization=layer.macs / (g * compute * pes), dram_read_bytes=dram_read,
            dram_write_bytes=dram_write, sram_read_bytes=sram_read, sram_write_bytes=sram_write,
            details={"tile_i": plan.tile_i, "tile_j": plan.tile_j, "tile_k": plan.tile_k,
                     "tiles": tiles, "compute_cycles": g * compute_total,
                     "load_cycles": g * load_cycles, "store_cycles": g * store_cycles,
                     "bound": bound})

    @staticmethod
    def _channel(streams: list[_Stream], cfg: GemminiConfig, latency: int) -> int:
        """Cycles one DMA channel needs: one beat per cycle, at most `max_in_flight` bus
        requests (of <= dma_max_bytes) waiting `latency` cycles each."""
        beats = sum(s.units(cfg.bus_bytes) for s in streams)
        requests = sum(s.units(cfg.dma_max_bytes) for s in streams)
        return max(beats, -(-requests * latency // cfg.max_in_flight))
