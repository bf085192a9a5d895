"""`GemminiModelParams`: the free parameters of the `gemmini` performance model (cycles).

Everything the model can derive from the config, the tiler's plan and the hardware units is derived
(tile sizes, command counts, DMA beats and bursts, the mesh's fill/drain latency, bank placement,
queue sizes).  What is left are the timings the RTL alone knows: the memory system's latencies, how
long a burst holds its in-flight slot, when a load or store counts as complete, and the fixed cost
of a program.  Calibration (`gemmini_gen.perf.calibration`, `benchmarks/calibrate.py`) fits them
to RTL cycle counts and saves them as JSON (`save`) -- all but the write path's (`MEASURED`),
which the RTL's waveforms give exactly: a write burst's response (B) comes the memory's write
latency after its last beat and 2 + beats + that latency after its address (AW), and its in-flight
slot takes the next AW one cycle after B (DIM 4, 8 and 16, one-, two- and four-beat bursts), so
`write_latency` is the memory's and `write_overhead` 3.

`GemminiModelParams.shipped()` are the parameters fitted to the RTL (40-cycle memory) and shipped
with the package (`params/gemmini_rtl.json`, with its provenance: git revision, date, design
points, RTL source hash, errors); the `gemmini` mode uses them by default.  `GemminiModelParams()`
are the first-principles values, `load(path)` reads a calibration file (`gemmini-estimate
--params`, a sweep spec's `[model] params`).  For a memory of another latency replace
`read_latency` / `write_latency` (`dataclasses.replace`) and keep the rest.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

from .estimate import ModelError

__all__ = ["CALIBRATED", "FITTABLE", "GemminiModelParams", "MEASURED", "SHIPPED"]

PROVISIONAL = "provisional: uncalibrated first-principles defaults"
#: The calibration file shipped with the package.
SHIPPED = Path(__file__).resolve().parent / "params" / "gemmini_rtl.json"


@dataclass(frozen=True)
class GemminiModelParams:
    """Free parameters of the gemmini model, in cycles (non-negative numbers)."""

    read_latency: float = 40        # read burst request (AR) -> first data beat (R)
    write_latency: float = 40       # write burst's last beat (W) -> its response (B)
    read_overhead: float = 2        # cycles a read burst holds its in-flight slot beyond the
                                    # latency and its beats
    write_overhead: float = 3       # the same for a write burst (measured: `MEASURED`)
    load_lag: float = 0             # a load is complete this long after its last data arrived
                                    # (and holds its slot of the load unit's command window)
    store_lag: float = 0            # a store is complete this long after the store unit's work
    program_overhead: float = 10    # per program: configuration commands, start and end
    calibration: str = PROVISIONAL

    def __post_init__(self) -> None:
        for name in FITTABLE:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise ModelError(f"gemmini model parameter {name} must be a non-negative "
                                 f"number, got {value!r}")
        if not isinstance(self.calibration, str):
            raise ModelError(f"gemmini model parameter calibration must be a string, got "
                             f"{self.calibration!r}")

    @classmethod
    def shipped(cls) -> "GemminiModelParams":
        """The RTL-calibrated parameters shipped with the package."""
        return _shipped(SHIPPED)

    @classmethod
    def load(cls, path: str | Path) -> "GemminiModelParams":
        """Parameters from a JSON file written by `save` (its "provenance" object is not a
        parameter: `load_provenance` reads it)."""
        data = read_json_object(path, "model parameters")
        params = {k: v for k, v in data.items() if k != "provenance"}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ModelError(f"{path}: unknown gemmini model parameter(s): {', '.join(unknown)}")
        for key, value in params.items():
            wanted, label = ((str, "a string") if key == "calibration"
                             else ((int, float), "a number"))
            if isinstance(value, bool) or not isinstance(value, wanted):
                raise ModelError(f"{path}: {key} must be {label}, got {value!r}")
        try:
            return cls(**params)
        except ModelError as e:
            raise ModelError(f"{path}: {e}") from None

    @staticmethod
    def load_provenance(path: str | Path = SHIPPED) -> dict:
        """The "provenance" object of a calibration file ({} if it has none)."""
        provenance = read_json_object(path, "model parameters").get("provenance", {})
        if not isinstance(provenance, dict):
            raise ModelError(f"{path}: provenance must be a JSON object")
        return provenance

    def save(self, path: str | Path, provenance: dict | None = None) -> None:
        data = asdict(self)
        if provenance is not None:
            data["provenance"] = provenance
        Path(path).write_text(json.dumps(data, indent=2) + "\n")

    def as_dict(self) -> dict:
        return asdict(self)


def read_json_object(path: str | Path, what: str) -> dict:
    """The JSON object in `path` (a `ModelError` naming the file and `what` it should hold
    otherwise)."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ModelError(f"cannot read {what} {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}: malformed JSON: {e.msg} (line {e.lineno})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object of {what}")
    return data


@lru_cache(maxsize=4)
def _shipped(path: Path) -> GemminiModelParams:
    return GemminiModelParams.load(path)


#: The parameters calibration may fit (every numeric field).
FITTABLE = tuple(f.name for f in fields(GemminiModelParams) if f.name != "calibration")
#: The parameters the RTL calibration takes as measured, not fitted: the memory's write latency
#: and the write burst's slot overhead (the module docstring).
MEASURED = ("write_latency", "write_overhead")
#: The parameters the RTL calibration fits.
CALIBRATED = tuple(name for name in FITTABLE if name not in MEASURED)
