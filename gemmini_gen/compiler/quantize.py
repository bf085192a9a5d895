"""Float models -> QDQ int8 models with onnxruntime's static post-training quantization.

`quantize` runs onnxruntime's pre-processing (shape inference and graph optimizations, which fold a
BatchNormalization that follows a Conv into the Conv's weights) and then `quantize_static` with MinMax
(or entropy/percentile) calibration over the samples the caller passes.  Defaults suit the accelerator:
int8 activations quantized symmetrically (zero point 0, so requantization runs on the accelerator), int8
symmetric weights, per-tensor or per-channel.  The result is a QDQ ModelProto for `compile_model`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import onnx

from .errors import InputError, ModelError
from .loader import ModelSource, bind_inputs, load_model

__all__ = ["quantize", "load_calibration"]

_METHODS = ("minmax", "entropy", "percentile")


def load_calibration(source: Mapping[str, np.ndarray] | str | Path) -> dict[str, np.ndarray]:
    """Calibration samples: a mapping or an .npz file of arrays with a leading sample axis."""
    if isinstance(source, Mapping):
        return {k: np.asarray(v) for k, v in source.items()}
    path = Path(source)
    if not path.is_file():
        raise InputError(f"calibration file {str(path)!r} does not exist")
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except Exception as exc:
        raise InputError(f"cannot read calibration file {str(path)!r}: {exc}") from None


def _batches(model: onnx.ModelProto, samples: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    initialized = {i.name for i in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in initialized]
    names = [vi.name for vi in inputs]
    for name in names:
        if name not in samples:
            raise InputError(f"calibration data has no array for input {name!r} (model inputs: "
                             f"{', '.join(names)})")
    extra = sorted(set(samples) - set(names))
    if extra:
        raise InputError(f"calibration data has an array {extra[0]!r} that is not a model input")
    counts = {samples[n].shape[0] if samples[n].ndim else 0 for n in names}
    if len(counts) != 1 or 0 in counts:
        raise InputError("calibration arrays must share a non-empty leading sample axis")
    total = counts.pop()
    batch = 1
    for vi in inputs:
        dims = vi.type.tensor_type.shape.dim
        expected = onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        if samples[vi.name].dtype != expected:
            raise InputError(f"calibration array {vi.name!r} has dtype {samples[vi.name].dtype}, the model "
                             f"expects {np.dtype(expected)}")
        if len(dims) != samples[vi.name].ndim:
            raise InputError(f"calibration array {vi.name!r} has shape {samples[vi.name].shape}; expected "
                             f"a leading sample axis followed by the model's {len(dims) - 1} other axes")
        if dims and dims[0].HasField("dim_value"):
            batch = dims[0].dim_value
    return [{n: samples[n][i:i + batch] for n in names} for i in range(0, total - batch + 1, batch)]


def _reader(batches: list[dict[str, np.ndarray]]):
    """An onnxruntime CalibrationDataReader over prepared batches."""
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._iter: Iterator = iter(batches)

        def get_next(self):
            return next(self._iter, None)

    return Reader()


def quantize(model: ModelSource, calibration: Mapping[str, np.ndarray] | str | Path, *,
             per_channel: bool = False, symmetric_activations: bool = True, activation_type: str = "int8",
             calibrate_method: str = "minmax", constants: Mapping[str, np.ndarray] | None = None,
             preprocess: bool = True) -> onnx.ModelProto:
    """Quantize a float model to QDQ form with onnxruntime static quantization.

    `calibration` maps each (non-constant) model input to samples stacked on a leading axis, or names an
    .npz file holding them.  `constants` binds graph inputs (e.g. weights given as inputs) first.
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if activation_type not in ("int8", "uint8"):
        raise ModelError(f"activation_type must be int8 or uint8, got {activation_type!r}")
    if calibrate_method not in _METHODS:
        raise ModelError(f"calibrate_method must be one of {', '.join(_METHODS)}, got {calibrate_method!r}")
    proto = load_model(model)
    if constants:
        proto = bind_inputs(proto, constants)
    batches = _batches(proto, load_calibration(calibration))
    reader = _reader(batches)
    method = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
              "percentile": CalibrationMethod.Percentile}[calibrate_method]
    with tempfile.TemporaryDirectory(prefix="gemmini-quantize-") as tmp:
        source = os.path.join(tmp, "float.onnx")
        onnx.save(proto, source)
        try:
            if preprocess:
                prepared = os.path.join(tmp, "prepared.onnx")
                quant_pre_process(source, prepared, skip_symbolic_shape=True)
                source = prepared
            target = os.path.join(tmp, "quantized.onnx")
            quantize_static(source, target, reader, quant_format=QuantFormat.QDQ, per_channel=per_channel,
                            activation_type=(QuantType.QInt8 if activation_type == "int8"
                                             else QuantType.QUInt8),
                            weight_type=QuantType.QInt8, calibrate_method=method,
                            extra_options={"ActivationSymmetric": symmetric_activations,
                                           "WeightSymmetric": True})
        except (InputError, ModelError):
            raise
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"onnxruntime quantization failed: {first}") from None
        return onnx.load(target)
