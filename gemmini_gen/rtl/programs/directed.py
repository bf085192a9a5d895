"""The directed programs: name -> `fn(cfg, seed) -> ProgramCase | None` (None = not applicable to
the config), and `directed_cases(cfg)` to build all that apply."""

from __future__ import annotations

from ...config import GemminiConfig
from .case import ProgramCase
from .directed_compute import COMPUTE_PROGRAMS
from .directed_movement import MOVEMENT_PROGRAMS
from .directed_tiled import TILED_PROGRAMS

__all__ = ["DIRECTED", "directed_cases"]

DIRECTED = {**MOVEMENT_PROGRAMS, **COMPUTE_PROGRAMS, **TILED_PROGRAMS}


def directed_cases(cfg: GemminiConfig, seed: int = 0,
                   names: list[str] | None = None) -> list[ProgramCase]:
    """Every directed program that applies to `cfg` (or those in `names`), built with `seed`."""
    out = []
    for name in names or DIRECTED:
        case = DIRECTED[name](cfg, seed)
        if case is not None:
            out.append(case)
    return out
