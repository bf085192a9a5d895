"""Results of a performance model, the model interface, and the registry of models ("modes").

A model turns `(Workload, GemminiConfig, options)` into an `Estimate`: one `LayerEstimate` per layer
plus network totals.  Two modes exist today:

* `scalesim` (`scalesim_model.ScaleSimModel`): SCALE-Sim v2/v3's reported compute cycles, mapping
  efficiency and compute utilization, exactly, for an R x C array and OS/WS/IS dataflow;
* `gemmini` (`gemmini_model.GemminiModel`): our accelerator as built (tiles, DMA, overlap); its
  parameters come from `GemminiModelParams`, which RTL calibration will fit.

More modes plug in with `register_model(name, factory)`; `get_model(name, **options)` builds one.
All fractions (utilization, efficiency) are in [0, 1]; byte counts are bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import ConfigError, GemminiConfig
from .workload import Workload

__all__ = ["Estimate", "LayerEstimate", "ModelError", "PerfModel", "estimate", "get_model",
           "model_names", "register_model"]

DATAFLOWS = ("os", "ws", "is")


class ModelError(ConfigError):
    """Options a model cannot honour (unknown mode, IS dataflow in gemmini mode, ...)."""


@dataclass(frozen=True)
class LayerEstimate:
    name: str
    kind: str
    M: int
    N: int
    K: int
    groups: int
    macs: int
    cycles: int
    utilization: float              # macs / (cycles * PEs)
    mapping_efficiency: float       # mapped PEs / PEs, averaged over folds (tiles)
    compute_utilization: float      # utilization of the compute phases alone (SCALE-Sim's)
    dram_read_bytes: int
    dram_write_bytes: int
    sram_read_bytes: int
    sram_write_bytes: int
    details: dict[str, Any] = field(default_factory=dict)   # mode-specific figures

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "name", "kind", "M", "N", "K", "groups", "macs", "cycles", "utilization",
            "mapping_efficiency", "compute_utilization", "dram_read_bytes", "dram_write_bytes",
            "sram_read_bytes", "sram_write_bytes")}
        out["details"] = dict(self.details)
        return out


@dataclass(frozen=True)
class Estimate:
    mode: str
    workload: str
    config: GemminiConfig
    rows: int
    cols: int
    dataflow: str
    layers: tuple[LayerEstimate, ...]
    model: dict[str, Any] = field(default_factory=dict)    # the model's parameters / provenance

    @property
    def total_cycles(self) -> int:
        return sum(layer.cycles for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def utilization(self) -> float:
        return self.total_macs / (self.total_cycles * self.rows * self.cols)

    @property
    def mapping_efficiency(self) -> float:
        """Cycle-weighted mean of the layers' mapping efficiencies."""
        return sum(layer.mapping_efficiency * layer.cycles for layer in self.layers) / \
            self.total_cycles

    def total(self, field_name: str) -> int:
        return sum(getattr(layer, field_name) for layer in self.layers)

    def totals(self) -> dict[str, Any]:
        return {"cycles": self.total_cycles, "macs": self.total_macs,
                "utilization": self.utilization, "mapping_efficiency": self.mapping_efficiency,
                **{f: self.total(f) for f in ("dram_read_bytes", "dram_write_bytes",
                                              "sram_read_bytes", "sram_write_bytes")}}

    def to_dict(self) -> dict[str, Any]:
        """The `gemmini-estimate --json` document."""
        return {
            "mode": self.mode, "workload": self.workload, "config": self.config.to_dict(),
            "config_hash": self.config.content_hash(), "rows": self.rows, "cols": self.cols,
            "dataflow": self.dataflow, "model": dict(self.model), "total_cycles": self.total_cycles,
            "totals": self.totals(), "layers": [layer.to_dict() for layer in self.layers],
        }


class PerfModel(Protocol):
    mode: str

    def estimate(self, workload: Workload, config: GemminiConfig, *, dataflow: str | None = None,
                 rows: int | None = None, cols: int | None = None) -> Estimate: ...


_MODELS: dict[str, Callable[..., PerfModel]] = {}


def register_model(mode: str, factory: Callable[..., PerfModel]) -> None:
    _MODELS[mode] = factory


def model_names() -> list[str]:
    _ensure_builtin_models()
    return sorted(_MODELS)


def get_model(mode: str, **options: Any) -> PerfModel:
    _ensure_builtin_models()
    try:
        factory = _MODELS[mode]
    except KeyError:
        raise ModelError(f"unknown model mode {mode!r} (choose from {', '.join(sorted(_MODELS))})"
                         ) from None
    return factory(**options)


def estimate(workload: Workload, config: GemminiConfig, *, mode: str = "gemmini",
             dataflow: str | None = None, rows: int | None = None, cols: int | None = None,
             **model_options: Any) -> Estimate:
    """Run one model on one workload: the one-call entry point."""
    return get_model(mode, **model_options).estimate(workload, config, dataflow=dataflow,
                                                     rows=rows, cols=cols)


def check_dataflow(dataflow: str, allowed: tuple[str, ...], mode: str) -> str:
    value = str(dataflow).lower()
    if value not in allowed:
        raise ModelError(f"{mode} mode supports dataflow {', '.join(allowed)}, got {dataflow!r}")
    return value


def _ensure_builtin_models() -> None:
    if "scalesim" not in _MODELS:
        from .gemmini_model import GemminiModel
        from .scalesim_model import ScaleSimModel
        register_model("scalesim", ScaleSimModel)
        register_model("gemmini", GemminiModel)
