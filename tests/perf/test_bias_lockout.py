"""`bias_lockout.bias_before_first_b` reads the tiler's real command stream: for every step, the
share of its bias MVIN3s placed before its first B MVIN2 equals the count in the program the
tiler builds (`TilerCall.program`), and the steps it leaves out are the ones whose first pair
cannot start with bias commands still to come (no B loaded, or every bias command before it)."""

import pytest

from gemmini_gen.config import preset
from gemmini_gen.isa import format_named
from gemmini_gen.perf import ConvShape, Layer
from gemmini_gen.perf.bias_lockout import bias_before_first_b
from gemmini_gen.perf.calibration_layers import validation_layers
from gemmini_gen.perf.gemmini_model import layer_work
from gemmini_gen.perf.layer_plan import plan_layer

MVIN2, MVIN3 = format_named("mvin2").funct, format_named("mvin3").funct
PAIR_OPENERS = {format_named("preload").funct}


def _depthwise(name, kernel, stride=1):
    return Layer.depthwise(name, ConvShape.standard(
        ifmap_h=16, ifmap_w=16, filter_h=kernel, filter_w=kernel, channels=8, num_filters=1,
        pad_h=kernel // 2, pad_w=kernel // 2, stride_h=stride, stride_w=stride))


# Layers whose first step loads all of its k-blocks before its first pair (one k-group), so the
# commands of step 0's stream are all step 1's: depthwise layers with bias commands before and
# after the first pair's B, one whose B comes after its whole bias, and a GEMM that keeps B in
# place.
CASES = [(_depthwise("dw5x5", 5), "medium"), (_depthwise("dw3x3", 3), "small"),
         (_depthwise("dw3x3_s2", 3, 2), "small"), (_depthwise("dw3x3", 3), "default"),
         (Layer.gemm("gemm", 200, 130, 60), "medium")]


def stream_shares(layer, cfg):
    """Per step s >= 1, from the program: (bias MVIN3s before the first B MVIN2, MVIN3s, MVIN2s)
    among the commands of step s-1's stream (a command belongs to the step of the pair after
    it: the tiler places commands in the slots before a step's pairs)."""
    program = plan_layer(layer, cfg, "ws").call.program(cfg)
    costs = layer_work(layer, cfg, "ws").costs
    bounds = costs.pairs.cumsum()               # pairs issued by the end of each step
    pairs, waiting = 0, []
    counts = [[0, 0, 0] for _ in range(costs.steps)]
    for command in program.program.commands:
        if command.funct not in PAIR_OPENERS:
            waiting.append(command.funct)
            continue
        step = int((bounds <= pairs).sum())     # the step of this pair
        pairs += 1
        if step + 1 < costs.steps and pairs > 1:    # (before the first: step 0's own loads)
            entry = counts[step + 1]
            for funct in waiting:
                if funct == MVIN3:
                    entry[1] += 1
                    entry[0] += entry[2] == 0
                elif funct == MVIN2:
                    entry[2] += 1
        waiting = []
    return counts


@pytest.mark.parametrize("layer,preset_name", CASES, ids=[f"{l.name}-{p}" for l, p in CASES])
def test_bias_before_first_b_counts_the_program(layer, preset_name):
    cfg = preset(preset_name)
    costs = layer_work(layer, cfg, "ws").costs
    shares = [bias_before_first_b(costs, cfg, step) for step in range(costs.steps)]
    counts = stream_shares(layer, cfg)
    expected = [None] + [before / n_bias if n_b and 0 < before < n_bias else None
                         for before, n_bias, n_b in counts[1:]]
    assert shares == expected


def test_bias_before_first_b_finds_bias_behind_the_first_b():
    # The validation set's dw5x5 on DIM 8 (RTL waveforms: the lock-out) gives 26 of each step's
    # 32 bias commands before the B its first pair needs, every step after the first; its
    # conv1x1_b keeps B in place after the first step, so none of its steps has one.
    cfg = preset("medium")
    layers = {layer.name: layer for layer in validation_layers(cfg.dim)}
    dw = layer_work(layers["dw5x5"], cfg, "ws").costs
    assert [bias_before_first_b(dw, cfg, step) for step in range(dw.steps)] == (
        [None] + [26 / 32] * (dw.steps - 1))
    pw = layer_work(layers["conv1x1_b"], cfg, "ws").costs
    assert all(bias_before_first_b(pw, cfg, step) is None for step in range(pw.steps))
