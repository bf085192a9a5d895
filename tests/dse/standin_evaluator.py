"""Stand-in "expensive" evaluators for multi-fidelity tests (the RTL evaluator comes later).

`measure` reports, as the measured cycles of each layer, SCALE-Sim's compute cycles for the same
DIM x DIM array: an independent model, so the sweep's model-error plumbing has real differences to
report.  `broken` always fails, to check that a failing evaluation is recorded and the sweep goes on.
"""

from gemmini_gen.perf import estimate


def measure(config, workload):
    est = estimate(workload, config, mode="scalesim", dataflow="ws")
    return [layer.cycles for layer in est.layers]


def broken(config, workload):
    raise RuntimeError("simulator crashed")
