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

    python benchmarks/bench_compiler.py [--repeat 20] [--data tests/data/onnx/digits]

BLAS runs single-threaded (OPENBLAS_NUM_THREADS=1 unless set): on the shared 2-core machine threaded
BLAS made the timings vary by 20x.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before numpy is imported

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

from gemmini_gen.compiler import compile_model, quantize  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "onnx" / "digits")
    args = parser.parse_args()
    with np.load(args.data / "digits_test.npz") as data:
        x, y = data["x"], data["y"]
    with np.load(args.data / "digits_calib.npz") as data:
        calibration = data["x"]

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
