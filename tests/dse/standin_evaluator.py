"""Stand-in "expensive" evaluators for multi-fidelity tests that need no Verilator build.

`measure` reports, as the measured cycles of each layer, SCALE-Sim's compute cycles for the same
DIM x DIM array: an independent model, so the sweep's model-error plumbing has real differences to
report.  `broken` always fails, to check that a failing evaluation is recorded and the sweep goes on.
`area` stands in for an area model (`[area] model = "standin_evaluator:area"`): PEs plus memory.
"""

from gemmini_gen.perf import estimate


def measure(config, workload, *, dataflow=None):
    est = estimate(workload, config, mode="scalesim", dataflow=dataflow or "ws")
    return [layer.cycles for layer in est.layers]


def broken(config, workload, *, dataflow=None):
    raise RuntimeError("simulator crashed")


def area(config):
    return config.dim ** 2 + config.sp_capacity_kib / 4
