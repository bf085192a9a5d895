"""The explicit schedule's command order, measured the way the reservation station sees it: local
row ranges of loads, computes and stores, with distances counted in PRELOAD/COMPUTE pairs.

These are the properties that let loads, computes and stores overlap on the RTL (pipeline.py):
loads lead the computes that read them, never wait for computes still running, stores start
after the tile's computes have drained, and loads come spread out rather than in bursts."""

from dataclasses import dataclass, field

import pytest

from gemmini_gen import GemminiConfig
from gemmini_gen.isa import GARBAGE
from gemmini_gen.tiling import tiled_matmul_auto

EX = {"preload", "compute_preloaded", "compute_accumulated", "config_ex"}


@dataclass
class Order:
    """Distances (in pairs) between dependent commands of one program."""

    raw_leads: list = field(default_factory=list)      # load -> first compute reading it
    war_gaps: list = field(default_factory=list)       # last compute reading rows -> load
    store_gaps: list = field(default_factory=list)     # last compute writing rows -> store
    bursts: list = field(default_factory=list)         # non-EX commands between two pairs
    pairs: int = 0


def measure(tp, decoded) -> Order:
    cfg = tp.config
    d = cfg.dim
    order = Order()
    loaded, read_by, written_by = {}, {}, {}   # sp row -> load pos; sp row -> pair; acc row -> pair
    a_t = b_t = False
    ws = True
    latch = None
    burst = 0
    for inst in decoded:
        name = inst.name
        if name == "config_ex":
            ws, a_t, b_t = inst.dataflow == 1, inst.a_transpose, inst.b_transpose
        if name not in EX:
            burst += 1
        if name in ("mvin", "mvin2", "mvin3"):
            rows = [inst.local.row + b * d + r for b in range(-(-inst.cols // d))
                    for r in range(inst.rows)]
            for row in rows:
                if not inst.local.is_acc:
                    if row in read_by:
                        order.war_gaps.append(order.pairs - read_by.pop(row))
                    loaded[row] = order.pairs
        elif name == "mvout":
            rows = [inst.local.row + b * d + r for b in range(-(-inst.cols // d))
                    for r in range(inst.rows)]
            gaps = [order.pairs - written_by[r] for r in rows if r in written_by]
            if gaps and order.pairs < tp.plan.computes:       # the last tile's stores close
                order.store_gaps.append(min(gaps))
        elif name == "preload":
            latch = inst
        elif name.startswith("compute"):
            if order.pairs and burst:
                order.bursts.append(burst)
            burst = 0
            reads = [inst.a.row + r for r in range(inst.a_cols if a_t else inst.a_rows)]
            weights = latch if ws else inst
            if (name == "compute_preloaded" or not ws) and weights.bd != GARBAGE:
                count = weights.bd_cols if b_t else weights.bd_rows
                reads += [weights.bd.row + r for r in range(count)]
            for row in reads:
                if row in loaded:
                    load_pos = loaded.pop(row)
                    if load_pos > 0:                                 # not the prologue
                        order.raw_leads.append(order.pairs - load_pos)
                read_by[row] = order.pairs
            if latch.c != GARBAGE:
                for r in range(latch.c_rows):
                    written_by[latch.c.row + r] = order.pairs
            order.pairs += 1
    return order


CASES = [((512, 512, 512), "WS"), ((256, 192, 700), "WS"), ((1000, 64, 128), "WS"),
         ((300, 300, 300), "OS")]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{'x'.join(map(str, c[0]))}-{c[1]}")
def measured(request):
    (M, N, K), dataflow = request.param
    tp = tiled_matmul_auto(GemminiConfig(), M, N, K, bias="row", dataflow=dataflow,
                           activation="relu", scale=0.001)
    decoded = tp.program.decode(tp.config)
    return tp, decoded, measure(tp, decoded)


def test_preload_and_compute_are_never_separated(measured):
    _, commands, _ = measured
    for before, inst in zip(commands, commands[1:]):
        if inst.name.startswith("compute"):
            assert before.name == "preload"


def test_loads_lead_their_computes(measured):
    tp, _, order = measured
    assert tp.plan.steps > 1 and order.raw_leads
    # Every load after the first step's own is issued at least a reservation station's worth of
    # pairs before the first compute that reads it.
    assert min(order.raw_leads) >= tp.config.rs_entries_ex


def test_loads_never_wait_for_running_computes(measured):
    tp, _, order = measured
    # Rows a load overwrites were last read by a compute that has left the reservation station.
    assert min(order.war_gaps) >= tp.config.rs_entries_ex


def test_stores_wait_for_nothing(measured):
    tp, _, order = measured
    assert order.store_gaps and min(order.store_gaps) >= tp.config.rs_entries_ex


def test_loads_and_stores_are_spread_between_computes(measured):
    tp, _, order = measured
    # In steady state at most a few data movements sit between two computes: the load queue
    # never fills (8 entries) while the execute queue has nothing new.
    assert max(order.bursts) <= 3


def test_multi_block_moves(measured):
    tp, commands, _ = measured
    cfg = tp.config
    widest = max(inst.cols for inst in commands if inst.name in ("mvin", "mvin2", "mvout"))
    assert widest == cfg.dim * cfg.max_block_len
