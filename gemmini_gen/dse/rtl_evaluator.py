"""The RTL as the expensive evaluator of multi-fidelity sweeps (`evaluator = "rtl"` in a spec).

Every layer of the workload runs as its exact program -- the tiler's, the same plan `gemmini` mode
models -- on the Verilated accelerator of the point's config, with seeded random operands; the
evaluator returns the cycle count the accelerator reports for each layer.  All layers of one
workload share one simulator start-up (`RtlBackend.run_many`) and one cached Verilator build per
config and memory size class, so the first point of a config pays for a build (a minute or two for
DIM 16) and the rest only simulate.

What the simulators print is discarded (a sweep's terminal shows its progress bar); a failing run
still raises the RTL backend's one-line error, which names the stuck unit or the illegal command.

The dataflow is the sweep's (`[model] dataflow`), else the one `gemmini` mode picks by default
(WS when the config has it), so the measured and the modelled cycles describe the same program.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..backend import get_backend
from ..config import GemminiConfig
from ..perf.calibration import layer_job
from ..perf.workload import Workload
from ..rtl.console import simulator_output_to

__all__ = ["evaluate"]


def evaluate(config: GemminiConfig, workload: Workload, *, dataflow: str | None = None
             ) -> list[int]:
    """Measured cycles of each layer of `workload` on the RTL of `config`."""
    df = (dataflow or ("ws" if config.has_ws else "os")).lower()
    jobs = [layer_job(layer, config, df, seed=index) for index, layer in enumerate(workload.layers)]
    with simulator_output_to(Path(os.devnull)):
        results = get_backend("rtl", config).run_many(jobs)
    return [int(result.cycles) for result in results]
