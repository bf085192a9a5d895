"""gemmini mode on the real tiler: the work it counts equals what the golden model does with the
exact program, the DMA arithmetic equals the DMA's, the timing follows the documented pipeline
formula, and the properties any model of the accelerator must have (bounds, monotonicity)."""

import itertools

import numpy as np
import pytest
from amaranth.hdl import Fragment

from gemmini_gen.config import Dataflow, preset
from gemmini_gen.golden.machine import GoldenMachine
from gemmini_gen.hw.dma.params import DMAParams
from gemmini_gen.hw.mesh_with_delays import MeshWithDelays
from gemmini_gen.perf import (ConvShape, GemminiModel, GemminiModelParams, Layer, Workload,
                              estimate, load_workload)
from gemmini_gen.perf.dma_traffic import BusGeometry, stream_costs
from gemmini_gen.perf.estimate import ModelError
from gemmini_gen.perf.gemmini_model import layer_work
from gemmini_gen.perf.load_profile import a_group_work, profile_runs, step_profile
from gemmini_gen.perf.fluid_queue import NEVER, QueueUnit
from gemmini_gen.perf.unit_limits import (STAGES, WRITE_TURNAROUND, MeshTiming, channel_limits,
                                          load_window, mesh_timing, read_responses)
from gemmini_gen.perf.step_costs import Transfers
from gemmini_gen.tiling import plan_matmul

CFG = preset("default")
# DIM 4 with 1 KiB memories: tiles of a few blocks, so every layer takes many steps.
CRAMPED = preset("small").replace(sp_capacity_kib=1, acc_capacity_kib=1, sp_banks=1,
                                  acc_banks=1)

LAYERS = [
    Layer.gemm("gemm", 37, 29, 51),
    Layer.from_conv("conv3x3", ConvShape.standard(
        ifmap_h=9, ifmap_w=7, filter_h=3, filter_w=3, channels=5, num_filters=11, pad_h=1,
        pad_w=1, stride_h=2, stride_w=1)),
    Layer.from_conv("pointwise", ConvShape.standard(
        ifmap_h=5, ifmap_w=6, filter_h=1, filter_w=1, channels=13, num_filters=7)),
    Layer.depthwise("depthwise", ConvShape.standard(
        ifmap_h=6, ifmap_w=6, filter_h=3, filter_w=3, channels=6, num_filters=2, pad_h=1,
        pad_w=1)),
    # SCALE-Sim geometry: the partial window at the edge (ceil rounding) becomes padding.
    Layer.from_conv("scalesim", ConvShape.scalesim(
        ifmap_h=10, ifmap_w=9, filter_h=3, filter_w=3, channels=3, num_filters=5, stride_h=2,
        stride_w=2)),
]


class RecordingMachine(GoldenMachine):
    """The golden model, noting every DRAM row transfer (address, rows, stride, bytes)."""

    def __init__(self, config):
        super().__init__(config)
        self.reads, self.writes = [], []

    def dram_read(self, index, inst, addr, rows, stride, row_bytes):
        self.reads.append((addr, rows, stride, row_bytes))
        return super().dram_read(index, inst, addr, rows, stride, row_bytes)

    def dram_write(self, index, inst, addr, data, stride):
        self.writes.append((addr, data.shape[0], stride, data.shape[1]))
        return super().dram_write(index, inst, addr, data, stride)


def dma_totals(params: DMAParams, transfers) -> tuple[int, int, int]:
    """Requests, beats and bursts the DMA issues for row transfers (its Python twins)."""
    requests = beats = bursts = 0
    for addr, rows, stride, nbytes in transfers:
        for r in range(rows):
            requests += 1
            beats += params.row_beats(addr + r * stride, nbytes)
            bursts += len(params.row_bursts(addr + r * stride, nbytes))
    return requests, beats, bursts


@pytest.mark.parametrize("config", [CRAMPED, preset("medium")], ids=["cramped4", "medium8"])
@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_counted_work_equals_the_golden_run(config, dataflow, layer):
    work = layer_work(layer, config, dataflow)
    tiled = work.lowered.call.program(config)
    assert sum(m for m, _, _ in tiled.plan.jobs) == layer.M * layer.groups
    rng = np.random.default_rng(7)
    memory = tiled.load(**{name: rng.integers(-3, 4, port.shape)
                           for name, port in tiled.inputs.items()})
    machine = RecordingMachine(config)
    machine.execute(tiled.program, memory)
    stats, costs = machine.stats, work.costs
    assert (costs.sp_rows_read, costs.sp_rows_written, costs.acc_rows_read,
            costs.acc_rows_written) == (stats.sp_rows_read, stats.sp_rows_written,
                                        stats.acc_rows_read, stats.acc_rows_written)
    dma = DMAParams.from_config(config)
    # A load with DRAM stride 0 (the broadcast bias row) reads its one DRAM row once (the RTL's
    # read counters agree: tests/perf/test_calibration_rtl.py).
    reads = [(addr, 1 if stride == 0 else rows, stride, nbytes)
             for addr, rows, stride, nbytes in machine.reads]
    assert costs.load_totals() == dma_totals(dma, reads)
    assert costs.store_totals() == dma_totals(dma, machine.writes)
    assert int(costs.commands.sum()) + 5 == len(tiled.program.commands)   # + the 5 configs
    est = GemminiModel().layer_estimate(layer, config, dataflow)
    assert (est.dram_read_bytes, est.dram_write_bytes) == (stats.dram_bytes_read,
                                                           stats.dram_bytes_written)
    assert est.sram_read_bytes == (stats.sp_rows_read * config.sp_row_bytes
                                   + stats.acc_rows_read * config.acc_row_bytes)


@pytest.mark.parametrize("bus,burst", [(1, 64), (8, 64), (16, 64), (64, 64), (16, 128),
                                       (32, 4096)])
def test_stream_costs_equal_the_dma_arithmetic(bus, burst):
    params = DMAParams(bus_bytes=bus, max_row_bytes=4096, burst_bytes=burst, max_in_flight=4)
    geo = BusGeometry(bus, burst)
    rng = np.random.default_rng(bus * burst)
    for pitch, piece in itertools.product((0, 7, 64, 147, 200, 4096 + 3), (16, 64)):
        offsets = rng.integers(0, 3 * burst, 6)
        lengths = rng.integers(0, 300, 6)
        first = rng.integers(0, 500, 6)
        rows = rng.integers(0, 70, 6)
        requests, beats, bursts = stream_costs(geo, pitch, piece, offsets, lengths, first, rows)
        for i in range(6):
            expected = dma_totals(params, [
                (first[i] * pitch + offsets[i] + p, rows[i], pitch, min(piece, lengths[i] - p))
                for p in range(0, lengths[i], piece)])
            assert (requests[i], beats[i], bursts[i]) == expected


def test_the_plan_is_the_tilers():
    layer = Layer.gemm("g", 512, 512, 512)
    est = GemminiModel().layer_estimate(layer, CFG, "ws")
    plan = plan_matmul(CFG, 512, 512, 512, bias="row")
    assert (est.details["tile_i"], est.details["tile_j"], est.details["tile_k"]) == \
        plan.tiles.as_tuple()
    assert est.details["steps"] == plan.steps and est.details["commands"] == plan.total_commands
    assert est.dram_read_bytes == plan.dram_bytes_read
    assert est.mapping_efficiency == plan.array_efficiency


def test_one_step_by_hand():
    # 16x16x16 on the default config with the first-principles parameters (latencies 40, read
    # and write overheads 2 and 3, no lags, 10 cycles per program): one step of one pair, every
    # operand a 16x16 block.  Loads, one after the other before the compute: the bias, one
    # 64-byte DRAM row broadcast (stride 0: read once) into 16 accumulator rows -> 16 cycles;
    # A and B, 16 rows of 16 B each (1 beat, 1 burst per row), each (16 * (40 + 2) + 16) / 16
    # in flight = 43 cycles.  The compute starts when B's last data is in (+ the read latency).
    # Stores: 16 rows of 16 B, (16 * (40 + 3) + 16) / 16 = 44, after the block's way through
    # the mesh and the accumulator; the program ends with the last write response.
    model = GemminiModel(params=GemminiModelParams())
    est = model.layer_estimate(Layer.gemm("g", 16, 16, 16), CFG, "ws")
    d = est.details
    assert (d["load_cycles"], d["store_cycles"], d["compute_cycles"], d["issue_cycles"]) == \
        (16 + 43 + 43, 44, 16, 6)
    mesh = mesh_timing(CFG)
    assert d["prologue_cycles"] == 102 + 40
    assert d["epilogue_cycles"] == mesh.latency_ws + 16 + CFG.acc_latency + 44 + 40 + 3
    assert est.cycles == d["prologue_cycles"] + 16 + d["epilogue_cycles"] + 10
    os_est = model.layer_estimate(Layer.gemm("g", 16, 16, 16), CFG, "os")
    assert os_est.details["epilogue_cycles"] - d["epilogue_cycles"] == \
        mesh.latency_os - mesh.latency_ws


def test_short_loads_are_bound_by_the_command_window():
    # 8 broadcast bias MVIN3s of 4 local rows each (one request, one beat, one burst apiece):
    # the load controller holds 4 of them between request and write, each for its request, the
    # 40-cycle latency, a 2-cycle tail and its 4 rows -> (8 + 8 * 42 + 8 * 4) / 4 = 94 cycles,
    # more than their 32 row writes or (8 * (40 + 2) + 8) / 16 = 21.5 cycles of burst slots.
    ones = np.array([8])
    bias = Transfers(commands=ones, requests=ones, beats=ones, bursts=ones, rows=4 * ones)
    assert load_window() == 4
    limits = dict(zip(STAGES, channel_limits(bias, 40, 2, 16, (4, 2))[:, 0]))
    assert limits == {"beats": 8, "rows": 32, "requests": 16, "slots": 21.5, "window": 94}
    assert channel_limits(bias, 40, 2, 16).max() == 32        # without the window: the rows


def test_store_rows_are_bound_by_the_writers_w_channel():
    # 8 rows of 2 beats (one burst each): the writer holds two rows' beats and a row's beats
    # start 4 cycles after the row two ahead ended -> 3 cycles a row, (16 + 4 * 8) / 2 = 24, more
    # than the 16 beats or (8 * (40 + 2) + 16) / 16 = 22 cycles of burst slots; rows of 4 beats
    # keep the W channel busy (32 beats, max(4, (4 + 4) / 2) a row).
    eights = np.array([8])
    two_beats = Transfers(commands=eights, requests=eights, beats=2 * eights, bursts=eights,
                          rows=eights)
    limits = dict(zip(STAGES, channel_limits(two_beats, 40, 2, 16, None, WRITE_TURNAROUND)[:, 0]))
    assert limits == {"beats": 24, "rows": 8, "requests": 16, "slots": 22}
    four_beats = Transfers(commands=eights, requests=eights, beats=4 * eights, bursts=eights,
                           rows=eights)
    assert channel_limits(four_beats, 40, 2, 16, None, WRITE_TURNAROUND)[0, 0] == 32
    assert channel_limits(two_beats, 40, 2, 16)[0, 0] == 16     # without it: the beats


def test_read_responses_stall_for_their_rows_beyond_the_next_beats_less_one():
    # A: 2 MVINs of 4 requests, each request 7 local rows from 4 beats -> within a command 3
    # responses follow one of their own: 2 * 3 * (7 - 1 - 4) = 12 stall cycles; a bias MVIN3:
    # 1 request of 16 rows from 4 beats, nothing within.  As one stream, A/B of 2 + 2 MVINs
    # (B: 2 requests of 1 row, 1 beat) average their responses: 10 requests of 5.8 rows from 3.4
    # beats, (10 - 4) * (5.8 - 1 - 3.4) = 8.4.
    a = Transfers(commands=np.array([2]), requests=np.array([8]), beats=np.array([32]),
                  bursts=np.array([8]), rows=np.array([56]))
    bias = Transfers(commands=np.array([3]), requests=np.array([3]), beats=np.array([12]),
                     bursts=np.array([3]), rows=np.array([48]))
    b = Transfers(commands=np.array([2]), requests=np.array([2]), beats=np.array([2]),
                  bursts=np.array([2]), rows=np.array([2]))
    assert read_responses(a) == [(12.0, 2.0, 6.0, 4.0)]
    assert read_responses(bias) == [(0.0, 3.0, 15.0, 4.0)]
    assert read_responses(a, b) == [pytest.approx((8.4, 4.0, 4.8, 3.4))]


def test_a_narrow_last_k_group_is_bound_by_its_commands():
    # A step's A MVINs: 2 k-groups of 16 blocks and a last one of 5 (37 blocks, 3 MVINs a
    # group).  Of all of them: 1184 rows, 120 cycles of requests, 600 of the command window.
    # A full group takes its 16/37 of the rows (512), the last its third of the window (200),
    # more than its 5/37 of the rows (160).
    limits = np.array([[600.0], [1184.0], [120.0], [200.0], [600.0]])
    full, last = a_group_work(limits, np.array([37]), 16)
    assert (full[0], last[0]) == pytest.approx((512, 200))


def test_a_stream_is_cut_into_runs_of_its_profile():
    # 2 k-groups of 2 A MVINs (40 cycles of work each) then 1 B MVIN2 (10 each): the commands
    # are spread evenly over the pairs, their work is not.
    profile = step_profile(4, 2, 2, 1, 40.0, 40.0, 20.0)
    commands, work = profile
    assert commands == pytest.approx([0, 1 / 3, 1 / 2, 5 / 6, 1])
    assert work == pytest.approx([0, 0.4, 0.5, 0.9, 1])
    assert step_profile(4, 0, 2, 1, 40.0, 40.0, 0.0) is None      # even: no profile
    # A queue of 3 entries waits for the last 3 of its commands: one run for the first three,
    # then the runs of the last three, cut where the work per command changes.
    runs = profile_runs(profile, 0.0, 1.0, work=100, commands=6, tail=3)
    assert [r[1] for r in runs] == pytest.approx([3, 2, 1])
    assert [r[0] for r in runs] == pytest.approx([50, 40, 10])
    # the first half alone: group 0
    [(a_work, a_commands), (b_work, b_commands)] = profile_runs(profile, 0.0, 0.5, 100, 6, 8)
    assert (a_work, a_commands, b_work, b_commands) == pytest.approx((40, 2, 10, 1))


def test_queue_entries_free_as_commands_complete():
    # A queue of 2 entries; 3 commands given at once, done at 10, 20 and 30, complete 5 cycles
    # later.  The front end passes the last of them once all but 2 are complete (the first, at
    # 15); the next command enters once all but 1 are (the second, at 25) -- and while the load
    # queue has no entry, every command behind the next load waits with it.
    unit = QueueUnit("load", capacity=2, lag=5)
    assert unit.run(issued=0, work=30, commands=3, first=NEVER, last=NEVER) == (0, 30)
    assert unit.close_segment() == 15
    assert unit.next_entry() == 25
    assert QueueUnit("load", capacity=2, lag=5).next_entry() == NEVER      # an empty queue


@pytest.mark.parametrize("config", [
    preset("small"), preset("medium").replace(tile_latency=1, mesh_output_delay=2),
    preset("small").replace(tile_rows=2, tile_cols=2, mesh_rows=2, mesh_cols=2)])
def test_mesh_timing_is_the_built_arrays(config):
    mesh = MeshWithDelays(config, cells="inline")
    Fragment.get(mesh, None)
    assert mesh_timing(config) == MeshTiming(mesh.latency_ws, mesh.latency_os, mesh.block_cycles)


def test_design_points_share_plans_but_not_timing():
    layer = Layer.gemm("g", 300, 200, 500)
    narrow = layer_work(layer, CFG.replace(dma_bus_bits=64, max_in_flight=4), "ws")
    wide = layer_work(layer, CFG, "ws")
    assert narrow.lowered is wide.lowered                   # one plan: the tiler ignores the bus
    assert (narrow.costs.a.beats > wide.costs.a.beats).any()
    assert GemminiModel().layer_cycles(layer, CFG.replace(dma_bus_bits=64, max_in_flight=4),
                                       "ws") > GemminiModel().layer_cycles(layer, CFG, "ws")


def test_scratchpad_bank_conflicts():
    layer = Layer.gemm("g", 64, 64, 64)
    one_bank = CFG.replace(sp_banks=1)
    for dataflow, extra in (("os", 64), ("ws", 16)):     # pairs / preloaded pairs per step
        free = GemminiModel().layer_estimate(layer, CFG, dataflow).details["compute_cycles"]
        shared = GemminiModel().layer_estimate(layer, one_bank, dataflow)
        assert free == 64 * 16
        assert shared.details["compute_cycles"] == free + extra * 16


@pytest.mark.parametrize("name", ["resnet18", "digits_cnn"])
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_bounds(name, dataflow):
    wl = load_workload(name)
    est = estimate(wl, CFG, mode="gemmini", dataflow=dataflow)
    for layer, source in zip(est.layers, wl.layers):
        assert layer.cycles * 256 >= layer.macs             # never faster than the peak
        assert 0 < layer.utilization <= layer.compute_utilization <= 1
        assert 0 < layer.mapping_efficiency <= 1
        # At least the compulsory traffic (int8: one byte per element).
        assert layer.dram_read_bytes >= source.input_elements() + source.weight_elements()
        assert layer.dram_write_bytes == source.output_elements()
        assert layer.details["bound"] in ("compute", "load", "store", "issue")
        assert layer.cycles >= layer.details["compute_cycles"]
    assert est.dataflow == dataflow


def test_memory_system_monotonic():
    wl = load_workload("resnet18")
    base = preset("small")          # DIM 4, 64-bit bus: memory matters here
    cycles = [estimate(wl, base.replace(dma_bus_bits=b), mode="gemmini").total_cycles
              for b in (32, 64, 128)]
    assert cycles[0] > cycles[1] >= cycles[2]
    in_flight = [estimate(wl, base.replace(max_in_flight=n), mode="gemmini").total_cycles
                 for n in (1, 4, 16)]
    assert in_flight[0] > in_flight[1] >= in_flight[2]
    slow = GemminiModelParams(read_latency=400)
    assert GemminiModel(params=slow).estimate(wl, base).total_cycles > cycles[1]
    long_bursts = GemminiModelParams(read_overhead=30)
    assert GemminiModel(params=long_bursts).estimate(wl, base).total_cycles > \
        GemminiModel(params=GemminiModelParams()).estimate(wl, base).total_cycles


def test_params_round_trip(tmp_path):
    params = GemminiModelParams(read_latency=55, calibration="test fit")
    path = tmp_path / "cal.json"
    params.save(path)
    assert GemminiModelParams.load(path) == params
    for text, message in [('{"read_latency": 1, "bogus": 2}', "unknown gemmini model parameter"),
                          ('{"read_latency": "fast"}', "read_latency must be a number"),
                          ('{"store_lag": -1}', "store_lag must be a non-negative"),
                          ('{"load_lag": true}', "load_lag must be a number"),
                          ("[1]", "expected a JSON object"), ("{", "malformed JSON")]:
        path.write_text(text)
        with pytest.raises(ModelError, match=message):
            GemminiModelParams.load(path)
    with pytest.raises(ModelError, match="cannot read model parameters"):
        GemminiModelParams.load(tmp_path / "missing.json")
    est = estimate(load_workload("digits_cnn"), CFG, mode="gemmini", params=params)
    assert est.model["calibration"] == "test fit" and est.model["read_latency"] == 55


def test_dataflow_and_array_options():
    wl = load_workload("digits_cnn")
    os_only = CFG.replace(dataflow=Dataflow.OS)
    assert estimate(wl, os_only, mode="gemmini").dataflow == "os"
    assert estimate(wl, CFG, mode="gemmini").dataflow == "ws"
    with pytest.raises(ModelError, match="supports dataflow os"):
        estimate(wl, os_only, mode="gemmini", dataflow="ws")
    with pytest.raises(ModelError, match="dataflow"):
        estimate(wl, CFG, mode="gemmini", dataflow="is")
    with pytest.raises(ModelError, match="--rows/--cols"):
        estimate(wl, CFG, mode="gemmini", rows=8, cols=8)


def test_a_config_too_small_for_any_tile_is_a_model_error():
    cramped = CFG.replace(mesh_rows=32, mesh_cols=32, sp_capacity_kib=4, acc_capacity_kib=4,
                          sp_banks=1, acc_banks=1)
    with pytest.raises(ModelError, match="^fc: no tiling fits"):
        estimate(Workload("w", (Layer.gemm("fc", 5, 5, 5),)), cramped, mode="gemmini")


def test_depthwise_runs_all_channels_in_one_program():
    shape = ConvShape.standard(ifmap_h=14, ifmap_w=14, filter_h=3, filter_w=3, channels=32,
                               num_filters=1, pad_h=1, pad_w=1)
    work = layer_work(Layer.depthwise("dw", shape), CFG, "ws")
    assert len(work.lowered.plan.jobs) == 32 and work.lowered.plan.jobs[0] == (196, 1, 9)
    one = GemminiModel().layer_estimate(Layer.depthwise("dw", shape), CFG, "ws")
    single = GemminiModel().layer_estimate(
        Layer.depthwise("dw1", ConvShape.standard(ifmap_h=14, ifmap_w=14, filter_h=3, filter_w=3,
                                                  channels=1, num_filters=1, pad_h=1, pad_w=1)),
        CFG, "ws")
    # One pipeline across the groups: cheaper than 32 separate programs.
    assert one.cycles < 32 * single.cycles
    assert one.dram_read_bytes == 32 * single.dram_read_bytes
