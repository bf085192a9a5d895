"""`GemminiModelParams`: the free parameters of the `gemmini` performance model (cycles).

Everything the model can derive from the config, the tiler's plan and the hardware units is derived
(tile sizes, command counts, DMA beats and bursts, the mesh's fill/drain latency, bank placement).
What is left are the timings the RTL alone knows: the memory system's latencies and the control
overheads.  Calibration (`gemmini_gen.perf.calibration`) fits them to RTL cycle counts and saves
them as JSON (`save`); `GemminiModel(params=GemminiModelParams.load(path))`,
`gemmini-estimate --params` and a sweep spec's `[model] params` read them back.

The defaults are first principles, checked where a measurement exists: the DMA benchmark
(BENCHMARKS.md, "DMA and AXI memory model") reads 64-byte rows 5 bytes off alignment -- two bursts
and five beats per row -- at 11.63 B/cycle with 16 bursts in flight and a 40-cycle memory, i.e. a
burst holds its in-flight slot for about 40 + 2 cycles plus its beats.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .estimate import ModelError

__all__ = ["FITTABLE", "GemminiModelParams"]

PROVISIONAL = "provisional: uncalibrated first-principles defaults"


@dataclass(frozen=True)
class GemminiModelParams:
    """Free parameters of the gemmini model, in cycles."""

    read_latency: int = 40          # read burst request (AR) -> first data beat (R)
    write_latency: int = 40         # write burst's last beat (W) -> its response (B)
    request_overhead: int = 2       # handshake cycles a burst holds its in-flight slot beyond
                                    # the latency and its beats
    command_cycles: int = 1         # front-end cycles per command (decode, reservation station)
    step_overhead: int = 0          # cycles per outer tile step not hidden by double buffering
    program_overhead: int = 16      # per program: configuration commands, start and final fence
    calibration: str = PROVISIONAL

    def __post_init__(self) -> None:
        for name in FITTABLE:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ModelError(f"gemmini model parameter {name} must be a non-negative "
                                 f"integer, got {value!r}")
        if not isinstance(self.calibration, str):
            raise ModelError(f"gemmini model parameter calibration must be a string, got "
                             f"{self.calibration!r}")

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
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelError(f"{path}: unknown gemmini model parameter(s): {', '.join(unknown)}")
        for key, value in data.items():
            wanted, label = (str, "a string") if key == "calibration" else (int, "an integer")
            if isinstance(value, bool) or not isinstance(value, wanted):
                raise ModelError(f"{path}: {key} must be {label}, got {value!r}")
        try:
            return cls(**data)
        except ModelError as e:
            raise ModelError(f"{path}: {e}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    def as_dict(self) -> dict:
        return asdict(self)


#: The parameters calibration may fit (every integer field).
FITTABLE = tuple(f.name for f in fields(GemminiModelParams) if f.name != "calibration")
