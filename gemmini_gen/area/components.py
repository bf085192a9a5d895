"""The accelerator's components, each built from a config exactly as the accelerator builds it.

* `mesh`: `MeshWithDelays` (the array, its operand buffers, skew and de-skew);
* `scratchpad`: `Scratchpad` with the accelerator's clients (reads ex_a, ex_p, ex_x, store;
  writes ex, load);
* `accumulator`: `Accumulator` (reads store; writes ex, load), with its DIM fp32 scalers;
* `dma_reader`, `dma_writer`: `DMAReader` / `DMAWriter` for `DMAParams.from_config`;
* `control`: the `Accelerator` with the datapath above left out (front end, reservation
  station, load/execute/store controllers, counters, glue).

`control` needs `gemmini_gen.hw.accelerator`; where it cannot be imported the component reports
`ComponentUnavailable`.  The accelerator's memories and DMAs carry 1-bit tags, as built here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amaranth.hdl import unsigned
from amaranth.lib import wiring

from ..config import GemminiConfig

__all__ = ["COMPONENTS", "ComponentUnavailable", "Design", "build_component"]

TAG = unsigned(1)
SP_READS, SP_WRITES = ("ex_a", "ex_p", "ex_x", "store"), ("ex", "load")
ACC_READS, ACC_WRITES = ("store",), ("ex", "load")
#: The accelerator's submodules that are other components (left out of `control`).
DATAPATH_MODULES = ("top.spad", "top.acc", "top.reader", "top.writer", "top.execute.mesh")


class ComponentUnavailable(RuntimeError):
    """A component this version cannot build (one line: why)."""


@dataclass(frozen=True)
class Design:
    """What to synthesize: the top component and the modules to leave out as black boxes."""

    top: wiring.Component
    blackboxes: tuple[str, ...] = ()


def _mesh(cfg: GemminiConfig) -> Design:
    from ..hw.mesh_with_delays import MeshWithDelays
    return Design(MeshWithDelays(cfg))


def _scratchpad(cfg: GemminiConfig) -> Design:
    from ..hw.scratchpad import Scratchpad
    return Design(Scratchpad(cfg, read_clients=SP_READS, write_clients=SP_WRITES,
                             tag_shape=TAG))


def _accumulator(cfg: GemminiConfig) -> Design:
    from ..hw.accumulator import Accumulator
    return Design(Accumulator(cfg, read_clients=ACC_READS, write_clients=ACC_WRITES,
                              tag_shape=TAG))


def _dma_reader(cfg: GemminiConfig) -> Design:
    from ..hw.dma import DMAParams, DMAReader
    return Design(DMAReader(DMAParams.from_config(cfg), TAG))


def _dma_writer(cfg: GemminiConfig) -> Design:
    from ..hw.dma import DMAParams, DMAWriter
    return Design(DMAWriter(DMAParams.from_config(cfg), TAG))


def _control(cfg: GemminiConfig) -> Design:
    try:
        from ..hw.accelerator import Accelerator
    except ImportError as e:
        raise ComponentUnavailable(f"control needs the Accelerator (gemmini_gen.hw.accelerator),"
                                   f" which cannot be imported: {e}") from None
    return Design(Accelerator(cfg), blackboxes=DATAPATH_MODULES)


_BUILDERS: dict[str, Callable[[GemminiConfig], Design]] = {
    "mesh": _mesh, "scratchpad": _scratchpad, "accumulator": _accumulator,
    "dma_reader": _dma_reader, "dma_writer": _dma_writer, "control": _control,
}
COMPONENTS: tuple[str, ...] = tuple(_BUILDERS)


def build_component(name: str, cfg: GemminiConfig) -> Design:
    """The design of component `name` for `cfg` (ValueError for an unknown name)."""
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown component {name!r} (choose from {', '.join(COMPONENTS)})"
                         ) from None
    return builder(cfg)
