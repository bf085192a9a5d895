"""`BackendGemmExecutor`: accelerator layers as tiled programs on any `Backend` (golden model, RTL).

Each `GemmCall` becomes one program built by the tiler and run on the backend:

* a convolution of rank 1 or 2 whose bias is one value per output channel runs as
  `tiled_conv_auto` on the call's input tensor (`GemmCall.conv_input`: the tiler's input port does the
  im2col, padding with the folded input zero point); a 1-D convolution is a 2-D one of height 1;
* everything else (matrix multiplications, convolutions whose folded bias is a full M x N matrix
  because the weights have zero points, convolutions of rank 3 and more) runs as
  `tiled_matmul_auto` on A and B, with the bias as a row (`(N,)`) or a matrix (`(M, N)`).

Residual adds the compiler placed on the accelerator (`resadd.ResaddCall`) run as `tiled_resadd`.

The read-out follows `GemmCall.requant`: one ACC_SCALE factor (int8 output, ReLU if asked), or full
width (raw int32).  The tiler has no per-column output scale (a MVOUT cannot start mid-block), so a
per-column requantization runs one program per distinct scale, on the columns that share it -- the
same arithmetic as one mvout per column, paid for with A being loaded once per program.  Backends
with `run_many` (the RTL backend: one simulator process) get all of a call's programs at once.

Programs depend only on shapes and options, so they are built once and kept (`cache_size` most
recent); a batch of images is one call per layer with M = images x pixels, so every batch of the
same size reuses the same programs, and the RTL backend reuses its one Verilator build per config.

A backend that rejects a command of a tiled program raises `BackendRunError` (a RuntimeError: a fault
of the tiler, backend or hardware, not of the input); a backend refusing to take a program at all
(`BackendError`, e.g. an RTL memory too small for it) and a layer no tiling fits are `CompilerError`s.

Per call the executor reports the backend's cycles (None on the golden model, which does not model
time) and counters: the program's execution statistics (`ExecStats.as_dict()`: executed commands by
mnemonic as ``inst.<name>``, DRAM bytes, local rows, ``macs_useful`` and ``macs_array``), the number
of programs, and -- when the backend measures time -- its hardware counters as ``hw.<name>``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..backend import Backend, BackendError, RunResult
from ..isa import IllegalInstruction
from ..tiling import TiledProgram, TilingError, tiled_conv_auto, tiled_matmul_auto, tiled_resadd
from .errors import CompilerError
from .gemm_executor import GemmCall, GemmResult, check_config, validate_call
from .resadd import ResaddCall

__all__ = ["BackendGemmExecutor", "BackendRunError"]


class BackendRunError(RuntimeError):
    """The backend rejected a command of a program the tiler built: a fault in the tiler, the backend
    or the hardware, not in the user's input (so not a `CompilerError`)."""


@dataclass
class _Job:
    """One program of a call: the tiled program, its input arrays, the output columns it computes
    (None: all of them) and how to turn its output into rows x columns."""

    program: TiledProgram
    inputs: dict[str, np.ndarray]
    columns: np.ndarray | None
    output_port: str


class BackendGemmExecutor:
    """A `GemmExecutor` running every call as tiled programs on `backend` (see the module docstring).

    `dataflow` ("WS"/"OS", default: WS if the config has it) is passed to the tiler; `cache_size`
    bounds the number of built programs kept for reuse.
    """

    def __init__(self, backend: Backend, *, dataflow: str | None = None, cache_size: int = 64) -> None:
        self.backend = backend
        self.config = backend.config
        self.name = backend.name
        check_config(self.config)
        self.dataflow = dataflow
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, TiledProgram] = OrderedDict()
        self.programs_built = 0
        self.programs_run = 0

    # ------------------------------------------------------------------------------------------
    def run(self, call: GemmCall) -> GemmResult:
        validate_call(call)
        m, n, _ = call.shape
        jobs = [self._job(call, columns) for columns in self._column_groups(call)]
        results = self._execute(call, jobs)
        full_width = call.requant.full_width
        out = np.empty((m, n), np.dtype(self.config.acc_dtype) if full_width else np.int8)
        for job, result in zip(jobs, results):
            y = job.program.outputs[job.output_port].read(result.memory).reshape(m, -1)
            if job.columns is None:
                out[:] = y
            else:
                out[:, job.columns] = y
        return GemmResult(out, _total_cycles(results), _counters(results))

    def run_resadd(self, call: ResaddCall) -> GemmResult:
        m, n = call.a.shape
        s = call.scales
        try:
            program = self._program(("resadd", m, n, s.a_scale, s.b_scale, s.scale),
                                    lambda: tiled_resadd(self.config, m, n, a_scale=s.a_scale,
                                                         b_scale=s.b_scale, scale=s.scale,
                                                         name=_program_name(call.layer)))
        except TilingError as e:
            raise CompilerError(f"accelerator layer {call.layer!r} does not fit config "
                                f"{self.config.name!r}: {e}") from None
        job = _Job(program, {"A": call.a, "B": call.b}, None, "C")
        results = self._execute(call, [job])
        out = program.outputs["C"].read(results[0].memory)
        return GemmResult(out, _total_cycles(results), _counters(results))

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _column_groups(call: GemmCall) -> list[np.ndarray | None]:
        """None (one program for every column) or, per distinct per-column scale, its columns."""
        if not call.requant.per_column:
            return [None]
        bits = call.requant.scale.view(np.uint32)
        return [np.flatnonzero(bits == value) for value in np.unique(bits)]

    def _job(self, call: GemmCall, columns: np.ndarray | None) -> _Job:
        requant = call.requant
        b = call.b if columns is None else call.b[:, columns]
        bias = call.bias if columns is None or call.bias is None else call.bias[..., columns]
        scale = 1.0 if requant.full_width else float(
            requant.scale if columns is None else requant.scale[columns[0]])
        options = dict(activation="relu" if requant.relu else "none", scale=scale,
                       full_output=requant.full_width, dataflow=self.dataflow)
        try:
            if call.conv is not None and call.conv_input is not None and len(call.conv.kernel) <= 2 \
                    and (bias is None or bias.ndim == 1):
                return self._conv_job(call, b, bias, columns, options)
            return self._matmul_job(call, b, bias, columns, options)
        except TilingError as e:
            raise CompilerError(f"accelerator layer {call.layer!r} (M, N, K = {call.shape}) does not "
                                f"fit config {self.config.name!r}: {e}") from None

    def _matmul_job(self, call, b, bias, columns, options) -> _Job:
        m, _, k = call.shape
        n = b.shape[1]
        kind = None if bias is None else ("row" if bias.ndim == 1 else "matrix")
        program = self._program(("matmul", m, n, k, kind, *options.items()),
                                lambda: tiled_matmul_auto(self.config, m, n, k, bias=kind,
                                                          name=_program_name(call.layer), **options))
        inputs = {"A": call.a, "B": b} | ({} if bias is None else {"D": bias})
        return _Job(program, inputs, columns, "C")

    def _conv_job(self, call, b, bias, columns, options) -> _Job:
        geometry, x = call.conv, call.conv_input
        kernel, strides, dilations = geometry.kernel, geometry.strides, geometry.dilations
        begin, end = geometry.pads_begin, geometry.pads_end
        if len(kernel) == 1:                       # a 1-D convolution is a 2-D one of height 1
            x = x[:, :, None, :]
            kernel, strides, dilations = (1, *kernel), (1, *strides), (1, *dilations)
            begin, end = (0, *begin), (0, *end)
        n = b.shape[1]
        weight = np.ascontiguousarray(b.T.reshape(n, x.shape[1], *kernel))
        conv = dict(layout="NCHW", output_layout="NHWC", stride=tuple(strides),
                    padding=(begin[0], begin[1], end[0], end[1]), dilation=tuple(dilations),
                    bias=bias is not None, pad_value=int(geometry.pad_value))
        program = self._program(("conv", x.shape, weight.shape, *conv.items(), *options.items()),
                                lambda: tiled_conv_auto(self.config, x.shape, weight.shape,
                                                        name=_program_name(call.layer), **conv,
                                                        **options))
        assert int(np.prod(program.outputs["output"].shape[:-1])) == call.shape[0], \
            f"{call.layer}: the tiler's convolution has a different output size than the im2col"
        inputs = {"input": x, "weight": weight} | ({} if bias is None else {"bias": bias})
        return _Job(program, inputs, columns, "output")

    def _program(self, key: tuple, build) -> TiledProgram:
        program = self._cache.get(key)
        if program is None:
            program = build()
            self.programs_built += 1
            self._cache[key] = program
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return program

    def _execute(self, call: GemmCall | ResaddCall, jobs: list[_Job]) -> list[RunResult]:
        memories = [job.program.load(**job.inputs) for job in jobs]
        pairs = [(job.program.program, memory) for job, memory in zip(jobs, memories)]
        try:
            run_many = getattr(self.backend, "run_many", None)
            if run_many is not None and len(pairs) > 1:
                results = list(run_many(pairs))
            else:
                results = [self.backend.run(program, memory) for program, memory in pairs]
        except BackendError as e:
            raise CompilerError(f"accelerator layer {call.layer!r} cannot run on backend "
                                f"{self.name!r}: {e}") from None
        except IllegalInstruction as e:
            raise BackendRunError(f"accelerator layer {call.layer!r} on backend {self.name!r}: "
                                  f"{e}") from e
        self.programs_run += len(pairs)
        return results


def _program_name(layer: str) -> str:
    """A program name made of the characters program text allows."""
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "_" for c in layer).strip("_")
    return cleaned or "layer"


def _total_cycles(results: list[RunResult]) -> int | None:
    cycles = [r.cycles for r in results]
    return None if any(c is None for c in cycles) else sum(cycles)


def _counters(results: list[RunResult]) -> dict[str, int]:
    totals: dict[str, int] = {"programs": len(results)}
    for result in results:
        items = list(result.stats.as_dict().items())
        if result.cycles is not None:
            items += [(f"hw.{name}", value) for name, value in result.counters.items()
                      if isinstance(value, int)]
        for name, value in items:
            totals[name] = totals.get(name, 0) + value
    return totals
