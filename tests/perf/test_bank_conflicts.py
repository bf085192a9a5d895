"""`bank_conflicts.conflict_cycles` against the tiler's real programs: for every step, the cycles
the scratchpad bank conflicts add and the pairs they fall on (the first conflicting pair and one
past the last, in the step's order) equal what the PRELOAD/COMPUTE commands of the program the
tiler builds (`TilerCall.program`) give.  The schedule puts an output-stationary step's conflict
cycles on those pairs (RTL waveforms of `conv5x5_pad` on DIM 8 and 16: the execute unit's read
waits fall on exactly those pairs, 952 and 2,304 + 1,904 cycles, as counted here)."""

import pytest

from gemmini_gen.config import preset
from gemmini_gen.isa import format_named
from gemmini_gen.isa.decoder import decode
from gemmini_gen.perf import Layer
from gemmini_gen.perf.calibration_layers import validation_layers
from gemmini_gen.perf.gemmini_model import layer_work
from gemmini_gen.perf.layer_plan import plan_layer

PRELOAD = format_named("preload").funct
COMPUTES = {format_named("compute_preloaded").funct, format_named("compute_accumulated").funct}


def program_conflicts(layer, cfg, dataflow):
    """Per step, from the program: (conflict cycles, first conflicting pair, one past the last).
    A pair reads its COMPUTE's A operand and its second scratchpad operand: the COMPUTE's B (OS)
    or the B its PRELOAD loads into the mesh (WS); where both sit in one bank it takes the
    shorter operand's rows more."""
    program = plan_layer(layer, cfg, dataflow).call.program(cfg)
    costs = layer_work(layer, cfg, dataflow).costs
    bounds = costs.pairs.cumsum().tolist()
    found = [[0, None, 0] for _ in bounds]
    pair, preloaded = 0, None
    for command in program.program.commands:
        if command.funct == PRELOAD:
            fields = decode(command)
            preloaded = fields.bd, fields.bd_rows
            continue
        if command.funct not in COMPUTES:
            continue
        fields = decode(command)
        a = fields.a, fields.a_rows
        b = preloaded if dataflow == "ws" else (fields.bd, fields.bd_rows)
        step = sum(bound <= pair for bound in bounds)
        index = pair - (bounds[step - 1] if step else 0)
        pair += 1
        if a[0].is_garbage or b[0].is_garbage:
            continue
        if a[0].row // cfg.sp_bank_rows == b[0].row // cfg.sp_bank_rows:
            entry = found[step]
            entry[0] += min(a[1], b[1])
            entry[1] = index if entry[1] is None else entry[1]
            entry[2] = index + 1
    return [(n, first or 0, end) for n, first, end in found]


def _layers():
    medium, default = preset("medium"), preset("default")
    conv = {layer.name: layer for layer in validation_layers(16)}["conv5x5_pad"]
    deep = {layer.name: layer for layer in validation_layers(8)}["gemm_deep2"]
    edges = Layer.gemm("gemm_edges", 61, 150, 410)        # partial row, column and k blocks
    fc = Layer.gemm("fc_2rows", 2, 160, 192)                # two-row A blocks: two cycles each
    return [(conv, default, "os"), (deep, medium, "ws"), (deep, medium, "os"),
            (edges, medium, "os"), (edges, medium, "ws"), (fc, medium, "os"), (fc, medium, "ws")]


@pytest.mark.parametrize("layer,cfg,dataflow", _layers(),
                         ids=lambda v: getattr(v, "name", None) or str(v))
def test_conflicts_and_where_they_fall_match_the_program(layer, cfg, dataflow):
    costs = layer_work(layer, cfg, dataflow).costs
    model = list(zip(costs.conflict_cycles.tolist(), costs.conflict_first.tolist(),
                     costs.conflict_end.tolist()))
    assert model == program_conflicts(layer, cfg, dataflow)


def test_output_stationary_conflicts_fall_on_the_last_row_blocks():
    # conv5x5_pad on DIM 16 OS (RTL waveforms): steps 0 and 2 wait 2,304 and 1,904 cycles,
    # on their pairs from 256 on -- A's row blocks that reach B's bank -- none in steps 1 and 3.
    cfg = preset("default")
    conv = {layer.name: layer for layer in validation_layers(16)}["conv5x5_pad"]
    costs = layer_work(conv, cfg, "os").costs
    assert costs.conflict_cycles.tolist() == [2304, 0, 1904, 0]
    assert costs.conflict_first.tolist() == [256, 0, 256, 0]
    assert costs.conflict_end.tolist() == [400, 0, 375, 0]
