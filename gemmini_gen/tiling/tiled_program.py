"""`TiledProgram`: what every tiler returns -- the program, its memory layout, the host tensors it
reads and writes, and the tiling it chose.

```python
tp = tiled_matmul_auto(cfg, 64, 48, 80, bias="row", activation="relu", scale=0.05)
run = tp.run("golden", A=a, B=b, D=bias)      # writes the inputs into a copy of tp.memory, runs
run.output                                     # C as a numpy array (int8 here)
tp.inputs["A"].shape, tp.inputs["A"].dtype     # (64, 80), int8
tp.plan.tiles, tp.plan.counts                  # tiling and command counts
```
Ports convert between host tensors and the bytes of a region: a matmul operand is stored as is; a
convolution's input port performs the im2col on the host and its output port restores the layout
the caller asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..backend import Backend, RunResult, get_backend
from ..config import GemminiConfig
from ..isa import Program
from ..memory import Memory
from .errors import TilingError

__all__ = ["Port", "TiledProgram", "TiledRun"]


@dataclass(frozen=True)
class Port:
    """A host tensor of `shape` and `dtype`, held in memory region `region` as `stored_shape`
    (`encode` maps the tensor to the stored array, `decode` back; None = stored as is)."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    region: str
    stored_shape: tuple[int, ...]
    encode: Callable[[np.ndarray], np.ndarray] | None = None
    decode: Callable[[np.ndarray], np.ndarray] | None = None

    def check(self, array: Any) -> np.ndarray:
        """`array` as this port's dtype, if it is an integer array of the right shape whose values
        the dtype can hold."""
        array = np.asarray(array)
        if array.dtype.kind not in "iu":
            raise TilingError(f"input {self.name!r} must be an integer array, got {array.dtype}")
        if array.shape != self.shape:
            raise TilingError(f"input {self.name!r} must have shape {self.shape}, "
                              f"got {array.shape}")
        info = np.iinfo(self.dtype)
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise TilingError(f"input {self.name!r} has values outside the {self.dtype} range "
                              f"[{info.min}, {info.max}]")
        return array.astype(self.dtype, copy=False)

    def write(self, memory: Memory, array: Any) -> None:
        array = self.check(array)
        stored = self.encode(array) if self.encode else array
        memory.write_array(self.region, np.ascontiguousarray(stored, dtype=self.dtype))

    def read(self, memory: Memory) -> np.ndarray:
        stored = memory.read_array(self.region, self.stored_shape, self.dtype)
        return self.decode(stored) if self.decode else stored


@dataclass
class TiledRun:
    """The outputs of one run (by port name) and the backend's `RunResult`."""

    outputs: dict[str, np.ndarray]
    result: RunResult

    @property
    def output(self) -> np.ndarray:
        """The output, for programs with exactly one."""
        if len(self.outputs) != 1:
            raise TilingError(f"this program has outputs {', '.join(self.outputs)}: "
                              f"pick one from .outputs")
        return next(iter(self.outputs.values()))


@dataclass
class TiledProgram:
    """A program, the memory layout it runs against (regions zeroed, constants filled in), its
    input and output ports, and its plan (`MatmulPlan` or `StreamPlan`)."""

    config: GemminiConfig
    program: Program
    memory: Memory
    inputs: dict[str, Port]
    outputs: dict[str, Port]
    plan: Any
    kind: str = field(default="matmul")

    def load(self, **arrays: Any) -> Memory:
        """A copy of the layout with every input written (all inputs are required)."""
        unknown = sorted(set(arrays) - set(self.inputs))
        missing = [name for name in self.inputs if name not in arrays]
        if unknown:
            raise TilingError(f"unknown input(s) {', '.join(unknown)} (this {self.kind} takes "
                              f"{', '.join(self.inputs)})")
        if missing:
            raise TilingError(f"missing input(s) {', '.join(missing)}")
        memory = self.memory.copy()
        for name, port in self.inputs.items():
            port.write(memory, arrays[name])
        return memory

    def read(self, memory: Memory) -> dict[str, np.ndarray]:
        """Every output, read from a memory the program ran against."""
        return {name: port.read(memory) for name, port in self.outputs.items()}

    def run(self, backend: str | Backend = "golden", **arrays: Any) -> TiledRun:
        """Write the inputs, run the program on `backend` (a name or a backend built for this
        program's config) and read the outputs."""
        if isinstance(backend, str):
            backend = get_backend(backend, self.config)
        elif backend.config != self.config:
            raise TilingError(f"backend {backend.name!r} was built for config "
                              f"{backend.config.name!r}, this program for {self.config.name!r}")
        result = backend.run(self.program, self.load(**arrays))
        return TiledRun(self.read(result.memory), result)
