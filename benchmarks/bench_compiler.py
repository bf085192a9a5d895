"""ONNX compiler on the digits models: equality with onnxruntime, reference-executor speed, and the cost
of the two ways to requantize per-channel layers.

For each int8 model (and each float model quantized with `quantize`, per tensor and per channel) it
prints: how many of the 540 x 10 final int8 codes differ from a default onnxruntime session and from an
onnxruntime session with all graph optimizations disabled (QDQ then runs as float operators), the
accuracy, the accelerator's share of the MACs, compile time, and the reference executor's images/s
(best of --repeat runs over the whole test set as one batch).

Then, for the per-channel models, the store-side work of each `per_channel_requant` choice as counted
by the reference executor for DIM 16: mvout and CONFIG_STORE commands, DRAM row writes and bytes, and
the elements the host requantizes.

Then the digits CNN (int8 QDQ) on the accelerator: images/s through `BackendGemmExecutor` on the golden
backend for several batch sizes and configs (tiled programs built once, then reused), a per-layer table of
the golden model's instruction-level counts (computes, useful MACs, MAC slots of the issued computes and
their ratio), and with --rtl the same images on the RTL backend for each batch size: cycles per image,
wall and CPU time per image (simulator start-up included; CPU of this process and the simulators),
whether every output equals the golden model's, and per layer the program length, utilization from
cycles and cycles per image; then the per-channel CNN with its requantization on the host (full-width
read-out) or on the accelerator (one program per column scale).

    python benchmarks/bench_compiler.py [--repeat 20] [--data tests/data/onnx/digits]
                                        [--skip-reference] [--skip-golden] [--rtl] [--rtl-images 4]
                                        [--rtl-batches B[:I] ...] [--rtl-preset small]
                                        [--skip-rtl-per-channel]

BLAS runs single-threaded (OPENBLAS_NUM_THREADS=1 unless set): on the shared 2-core machine threaded
BLAS made the timings vary by 20x.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before numpy is imported

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

from gemmini_gen.backend import get_backend  # noqa: E402
from gemmini_gen.compiler import compile_model, quantize  # noqa: E402
from gemmini_gen.compiler.backend_executor import BackendGemmExecutor  # noqa: E402
from gemmini_gen.compiler.gemm_executor import ReferenceGemmExecutor  # noqa: E402
from gemmini_gen.compiler.run_report import RunReport  # noqa: E402
from gemmini_gen.config import preset  # noqa: E402
from gemmini_gen.tiling import tiled_matmul_auto  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _session(model: onnx.ModelProto, optimize: bool):
    options = ort.SessionOptions()
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _codes_output(model: onnx.ModelProto) -> tuple[onnx.ModelProto, str]:
    model = onnx.shape_inference.infer_shapes(model)
    dq = next(n for n in model.graph.node if n.output[0] == "logits")
    zp = next(i for i in model.graph.initializer if i.name == dq.input[2])
    model.graph.output.append(onnx.helper.make_tensor_value_info(dq.input[0], zp.data_type, ["N", 10]))
    return model, dq.input[0]


def _row(name: str, model: onnx.ModelProto, x, y, repeat: int, **options) -> None:
    model, codes = _codes_output(model)
    t0 = time.perf_counter()
    compiled = compile_model(model, **options)
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = compiled.run({"input": x})
        times.append(time.perf_counter() - t0)
    ours = result.outputs[codes].astype(np.int64)
    diffs = []
    for optimize in (True, False):
        theirs = _session(model, optimize).run([codes], {"input": x})[0].astype(np.int64)
        diffs.append(f"{int((ours != theirs).sum())}/{np.abs(ours - theirs).max()}")
    acc_macs = sum(s.macs for s in result.steps if s.on == "accelerator")
    accuracy = float((result.outputs["logits"].argmax(1) == y).mean())
    print(f"{name:40s} {diffs[0]:>9s} {diffs[1]:>9s} {accuracy:8.4f} {acc_macs / len(x):10.0f} "
          f"{compile_s * 1e3:8.1f} {len(x) / min(times):10.0f}")


def _store_costs(name: str, model: onnx.ModelProto, x) -> None:
    for mode in ("host", "accelerator"):
        compiled = compile_model(model, per_channel_requant=mode)
        result = compiled.run({"input": x})
        totals = {k: sum(s.counters.get(k, 0) for s in result.steps) for k in
                  ("mvout_commands", "config_store_commands", "dram_write_rows", "dram_write_bytes")}
        host_elems = sum(report.counters["dram_write_bytes"] // 4            # int32 outputs
                         for step, report in zip(compiled.steps, result.steps)
                         if step.layer is not None and step.layer.host_requant)
        print(f"{name:28s} {mode:12s} {totals['mvout_commands']:9d} {totals['config_store_commands']:9d} "
              f"{totals['dram_write_rows']:10d} {totals['dram_write_bytes']:10d} {host_elems:10d}")


def _accelerator_runs(compiled, executor, x, batch: int) -> RunReport:
    report = RunReport(compiled, executor.name)
    for start in range(0, len(x), batch):
        report.add(compiled.run({"input": x[start:start + batch]}, executor))
    return report


def _layer_table(report: RunReport, images: int, shapes: dict[str, str]) -> None:
    measured = report.total_cycles is not None
    print(f"{'layer':14s} {'M x N x K per run':>18s} {'programs':>8s} {'commands':>9s} {'computes':>9s} "
          f"{'useful MACs':>12s} {'MAC slots':>12s} {'util':>6s} {'cycles/img':>10s}"
          + (f" {'ex busy':>7s} {'ld busy':>7s} {'rd beats':>8s}" if measured else ""))
    for totals in report.layers:
        if totals.on != "accelerator":
            continue
        c = totals.counters
        computes = c.get("inst.compute_preloaded", 0) + c.get("inst.compute_accumulated", 0)
        commands = sum(v for k, v in c.items() if k.startswith("inst.")) // c["programs"]
        utilization, basis = report.utilization(totals)
        cycles = "-" if totals.cycles is None else f"{totals.cycles / images:.0f}"
        shape = shapes.get(totals.name, "")
        units = (f" {c['hw.status_execute'] / totals.cycles:7.1%} {c['hw.status_load'] / totals.cycles:7.1%} "
                 f"{c['hw.read_beats'] / totals.cycles:8.1%}" if measured else "")
        print(f"{totals.name:14s} {shape:>18s} {c['programs']:8d} {commands:9d} {computes:9d} "
              f"{c['macs_useful']:12d} {c['macs_array']:12d} {utilization:6.3f} {cycles:>10s}{units}  ({basis})")
    print("(commands: per program, as executed" + ("; ex/ld busy: cycles the execute / load controller "
          "was busy; rd beats: AXI read beats; all as a share of the layer's cycles)" if measured else ")"))


def _layer_shapes(compiled, x) -> dict[str, str]:
    """"M x N x K" of each accelerator layer for one run of `x`."""
    shapes = {}

    class Recorder(ReferenceGemmExecutor):
        def run(self, call):
            shapes[call.layer] = "x".join(map(str, call.shape))
            return super().run(call)

    compiled.run({"input": x}, Recorder(compiled.config))
    return shapes


def _golden(args, x) -> None:
    model = args.data / "digits_cnn_int8_qdq.onnx"
    print(f"\ndigits CNN int8 QDQ on the golden backend ({len(x)} images, best of {args.repeat} runs; "
          f"programs built in the first, untimed run)")
    print(f"{'config':10s} {'batch':>6s} {'images/s':>10s} {'programs/run':>12s}")
    for config_name in ("default", "medium", "small"):
        cfg = preset(config_name)
        compiled = compile_model(model, config=cfg)
        for batch in (540, 64, 1):
            if config_name == "small" and batch == 1:
                continue
            executor = BackendGemmExecutor(get_backend("golden", cfg))
            subset = x if batch > 1 else x[:54]
            _accelerator_runs(compiled, executor, subset, batch)          # build the programs
            times = []
            for _ in range(max(1, args.repeat // 4)):
                t0 = time.perf_counter()
                _accelerator_runs(compiled, executor, subset, batch)
                times.append(time.perf_counter() - t0)
            runs = -(-len(subset) // batch)
            print(f"{config_name:10s} {batch:6d} {len(subset) / min(times):10.0f} "
                  f"{executor.programs_run // (runs * (1 + len(times))):12d}")
    cfg = preset("default")
    compiled = compile_model(model, config=cfg)
    shapes = _layer_shapes(compiled, x[:64])
    print(f"\nper layer, default config, batch 64 ({len(x)} images; golden: no cycles, utilization = "
          f"useful MACs / MAC slots of the issued computes)")
    _layer_table(_accelerator_runs(compiled, BackendGemmExecutor(get_backend("golden", cfg)), x, 64), len(x),
                 shapes)


def _rtl_runs(specs: list[str], images: int) -> list[tuple[int, int]]:
    """(batch, images) for each --rtl-batches entry "B" (B-image batches over --rtl-images images)
    or "B:I" (over the first I images)."""
    runs = []
    for spec in specs:
        batch, _, count = spec.partition(":")
        try:
            run = int(batch), int(count) if count else images
        except ValueError:
            raise ValueError(f"--rtl-batches entry {spec!r} is not B or B:I") from None
        if not 1 <= run[0] <= run[1] <= images:
            raise ValueError(f"--rtl-batches entry {spec!r} needs 1 <= B <= I <= --rtl-images ({images})")
        runs.append(run)
    return runs


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the simulators)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rtl(args, x) -> None:
    cfg = preset(args.rtl_preset)
    model = args.data / "digits_cnn_int8_qdq.onnx"
    compiled = compile_model(model, config=cfg)
    images = x[:args.rtl_images]
    backend = get_backend("rtl", cfg, memory_bytes=1 << 20)
    t0 = time.perf_counter()
    tiled_matmul_auto(cfg, 4, 4, 4).run(backend, A=np.zeros((4, 4), np.int8), B=np.zeros((4, 4), np.int8))
    warmup_s = time.perf_counter() - t0                  # Verilator build (or cache lookup) + one run
    golden = compiled.run({"input": images}, BackendGemmExecutor(get_backend("golden", cfg))).outputs
    for batch, count in args.rtl_runs:
        executor = BackendGemmExecutor(backend)
        t0, cpu0 = time.perf_counter(), _cpu_seconds()
        report = RunReport(compiled, "rtl")
        outputs: dict[str, list[np.ndarray]] = {}
        for start in range(0, count, batch):
            result = compiled.run({"input": images[start:min(start + batch, count)]}, executor)
            report.add(result)
            for name, value in result.outputs.items():
                outputs.setdefault(name, []).append(value)
        wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
        same = all(np.array_equal(np.concatenate(parts), golden[name][:count])
                   for name, parts in outputs.items())
        shapes = _layer_shapes(compiled, images[:batch])
        print(f"\ndigits CNN int8 QDQ on the RTL backend, preset {args.rtl_preset} (DIM {cfg.dim}), "
              f"{count} images, batch {batch}: {report.total_cycles / count:.0f} cycles/image, "
              f"{wall / count:.2f} s wall/image, {cpu / count:.2f} s CPU/image (this process and the "
              f"simulators; {executor.programs_run} simulator runs, warm-up {warmup_s:.1f} s); every "
              f"output equal to golden: {same}")
        _layer_table(report, count, shapes)


def _rtl_per_channel(args, x, calibration) -> None:
    """Per-channel requantization on the RTL: full-width read-out + host requantization versus one
    program per distinct column scale."""
    cfg = preset(args.rtl_preset)
    model = quantize(args.data / "digits_cnn_fp32.onnx", {"input": calibration}, per_channel=True)
    images = x[:args.rtl_images]
    backend = get_backend("rtl", cfg, memory_bytes=1 << 20)
    print(f"\nper-channel digits CNN on the RTL backend, preset {args.rtl_preset}, {len(images)} images "
          f"in one batch")
    print(f"{'requant on':12s} {'cycles/image':>12s} {'programs':>9s} {'wall s/image':>12s}")
    for mode in ("host", "accelerator"):
        compiled = compile_model(model, per_channel_requant=mode, config=cfg)
        executor = BackendGemmExecutor(backend)
        t0 = time.perf_counter()
        report = RunReport(compiled, "rtl")
        report.add(compiled.run({"input": images}, executor))
        wall = time.perf_counter() - t0
        print(f"{mode:12s} {report.total_cycles / len(images):12.0f} {executor.programs_run:9d} "
              f"{wall / len(images):12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "onnx" / "digits")
    parser.add_argument("--skip-reference", action="store_true",
                        help="skip the onnxruntime comparison and per-channel sections")
    parser.add_argument("--skip-golden", action="store_true", help="skip the golden-backend section")
    parser.add_argument("--rtl", action="store_true", help="also run the RTL backend")
    parser.add_argument("--rtl-images", type=int, default=4)
    parser.add_argument("--rtl-batches", nargs="+", metavar="B[:I]",
                        help="RTL batch sizes, each over all --rtl-images images or the first I "
                             "(default: all images as one batch, then batch 1)")
    parser.add_argument("--rtl-preset", default="small")
    parser.add_argument("--skip-rtl-per-channel", action="store_true",
                        help="with --rtl, skip the per-channel requantization comparison")
    args = parser.parse_args()
    try:
        args.rtl_runs = _rtl_runs(args.rtl_batches or [str(args.rtl_images), "1"], args.rtl_images)
    except ValueError as e:
        parser.error(str(e))
    with np.load(args.data / "digits_test.npz") as data:
        x, y = data["x"], data["y"]
    with np.load(args.data / "digits_calib.npz") as data:
        calibration = data["x"]
    if not args.skip_reference:
        _reference(args, x, y, calibration)
    if not args.skip_golden:
        _golden(args, x)
    if args.rtl:
        _rtl(args, x)
        if not args.skip_rtl_per_channel:
            _rtl_per_channel(args, x, calibration)


def _reference(args, x, y, calibration) -> None:
    print(f"{'model':40s} {'!=ort':>9s} {'!=ort-noopt':>9s} {'accuracy':>8s} {'accMAC/img':>10s} "
          f"{'compile ms':>8s} {'images/s':>10s}")
    print("(!= columns: differing final int8 codes out of 5400 / largest difference in LSB)")
    per_channel = {}
    for net in ("cnn", "mlp", "mlp_mm"):
        for form in ("qdq", "qop", "qop_u8asym"):
            name = f"digits_{net}_int8_{form}"
            _row(name, onnx.load(str(args.data / f"{name}.onnx")), x, y, args.repeat)
        for pc in (False, True):
            quantized = quantize(args.data / f"digits_{net}_fp32.onnx", {"input": calibration},
                                 per_channel=pc)
            label = f"digits_{net}_fp32 -> quantize{' (per-ch)' if pc else ''}"
            _row(label, quantized, x, y, args.repeat)
            if pc:
                per_channel[f"digits_{net} per-channel"] = quantized

    print()
    print(f"{'model':28s} {'requant on':12s} {'mvouts':>9s} {'cfg_st':>9s} {'dram rows':>10s} "
          f"{'dram bytes':>10s} {'host elems':>10s}")
    for name, model in per_channel.items():
        _store_costs(name, model, x)


if __name__ == "__main__":
    main()
