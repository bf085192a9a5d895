"""Layer cycle counts measured on the RTL: running them, and keeping them with what they measured.

A `Measurement` is one layer's exact program (the tiler's, as `gemmini` mode lowers the layer) run
on the RTL backend of a preset: its cycles and the harness counters, with fingerprints of what
produced them -- the program's bytes and the RTL's sources (`rtl.build.source_fingerprint`) -- so
a stored measurement can be told stale when the tiler or the hardware changed.

    results = measure_layers(layers, preset("small_ws"), "ws", memory_bytes=1 << 20)
    save_measurements(path, measurements);  load_measurements(path)

The package ships the measurements its calibration used (`params/rtl_measurements.json`), so the
parameters can be refitted and the reported errors recomputed without a simulator.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..backend import RunResult, get_backend
from ..config import GemminiConfig, preset
from .calibration import layer_job
from .estimate import ModelError
from .gemmini_model import layer_work
from .layer import Layer, LayerError
from .model_params import read_json_object

__all__ = ["FORMAT", "Measurement", "load_measurements", "measure_layers",
           "program_fingerprint", "save_measurements"]

FORMAT = 1


@dataclass(frozen=True)
class Measurement:
    """`layer` (of calibration set `set`) ran on preset `preset` with `dataflow` in `cycles`."""

    preset: str
    dataflow: str
    set: str                        # "calibration" or "validation"
    layer: Layer
    cycles: int
    program: str                    # program_fingerprint of what ran
    rtl: str                        # source fingerprint of the RTL that ran it
    read_latency: int
    write_latency: int
    counters: dict = field(default_factory=dict, compare=False)

    @property
    def config(self) -> GemminiConfig:
        return preset(self.preset)

    def to_dict(self) -> dict:
        return {"preset": self.preset, "dataflow": self.dataflow, "set": self.set,
                "layer": self.layer.to_dict(), "cycles": self.cycles, "program": self.program,
                "rtl": self.rtl, "read_latency": self.read_latency,
                "write_latency": self.write_latency, "counters": dict(self.counters)}

    @classmethod
    def from_dict(cls, data: dict) -> "Measurement":
        return cls(data["preset"], data["dataflow"], data["set"], Layer.from_dict(data["layer"]),
                   data["cycles"], data["program"], data["rtl"], data["read_latency"],
                   data["write_latency"], data.get("counters", {}))


def program_fingerprint(layer: Layer, config: GemminiConfig, dataflow: str) -> str:
    """Hash of the program `gemmini` mode lowers `layer` to (commands and memory layout)."""
    tiled = layer_work(layer, config, dataflow).lowered.call.program(config)
    return hashlib.sha256(tiled.program.to_bytes()).hexdigest()[:16]


def measure_layers(layers: Sequence[Layer], config: GemminiConfig, dataflow: str, *,
                   seed: int = 0, **backend_options) -> list[RunResult]:
    """Run every layer's exact program with random operands on the RTL backend, in one simulator
    process (`run_many`); the results in layer order."""
    jobs = [layer_job(layer, config, dataflow, [seed, index])
            for index, layer in enumerate(layers)]
    return get_backend("rtl", config, **backend_options).run_many(jobs)


def save_measurements(path: str | Path, measurements: Sequence[Measurement]) -> None:
    Path(path).write_text(json.dumps(
        {"format": FORMAT, "measurements": [m.to_dict() for m in measurements]}, indent=1)
        + "\n")


def load_measurements(path: str | Path) -> list[Measurement]:
    data = read_json_object(path, "measurements")
    if data.get("format") != FORMAT:
        raise ModelError(f"{path}: not a measurements file of format {FORMAT}")
    try:
        return [Measurement.from_dict(entry) for entry in data["measurements"]]
    except (KeyError, TypeError, LayerError) as e:
        raise ModelError(f"{path}: malformed measurement: {e}") from None
