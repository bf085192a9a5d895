"""numpy implementations of the operators that run on the host.

Each function takes the node and its input arrays (None for an absent optional input) and returns the list
of output arrays.  Integer and elementwise float operators reproduce onnxruntime exactly (see `ort_arith`);
the float reductions (AveragePool, GlobalAveragePool, Softmax, BatchNormalization) and the float
Conv/MatMul/Gemm fallbacks follow the ONNX definitions in fp32 and agree with onnxruntime to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx

from . import ort_arith
from .errors import ModelError
from .geometry import Window, extract_windows
from .graph import Node

__all__ = ["HOST_OPS", "FALLBACK_FLOAT_OPS", "QuantizedAdd", "quant_param_shape", "quantize_output_dtype",
           "qlinear_add_mode"]

HostFn = Callable[[Node, list], list]


def _axis(axis: int, rank: int, node: Node) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ModelError(f"{node.label}: axis {axis} is out of range for a rank-{rank} tensor")
    return axis % max(rank, 1)


def quant_param_shape(param: np.ndarray, x_shape: tuple[int, ...], node: Node) -> np.ndarray:
    """Reshape a Q/DQ scale or zero point so it broadcasts against `x` (per tensor, per axis, blocked)."""
    param = np.asarray(param)
    if param.size == 1:
        return param.reshape(())
    axis = _axis(node.attrs.get("axis", 1), len(x_shape), node)
    block = node.attrs.get("block_size", 0)
    if block:
        if param.ndim != len(x_shape):
            raise ModelError(f"{node.label}: blocked scale must have the rank of the input")
        return np.repeat(param, block, axis=axis)[tuple(slice(0, n) for n in x_shape)]
    if param.ndim != 1 or param.shape[0] != x_shape[axis]:
        raise ModelError(f"{node.label}: per-axis scale/zero point of shape {param.shape} does not match "
                         f"axis {axis} of the input shape {x_shape}")
    shape = [1] * len(x_shape)
    shape[axis] = param.shape[0]
    return param.reshape(shape)


def quantize_linear(node: Node, inputs: list) -> list:
    x, scale, zp = (inputs + [None])[:3]
    dtype = quantize_output_dtype(node, zp)
    if zp is None:
        zp = np.zeros((), dtype)
    shape = x.shape
    return [ort_arith.quantize_linear(x, quant_param_shape(scale, shape, node),
                                      quant_param_shape(zp, shape, node), dtype)]


def quantize_output_dtype(node: Node, zp: np.ndarray | None) -> np.dtype:
    if zp is not None:
        return np.asarray(zp).dtype
    if "output_dtype" in node.attrs:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(node.attrs["output_dtype"]))
    return np.dtype(np.uint8)


def dequantize_linear(node: Node, inputs: list) -> list:
    x, scale, zp = (inputs + [None])[:3]
    zp = np.zeros((), np.int64) if zp is None else zp
    return [ort_arith.dequantize_linear(x, quant_param_shape(scale, x.shape, node),
                                        quant_param_shape(zp, x.shape, node))]


def relu(node: Node, inputs: list) -> list:
    x = inputs[0]
    return [np.maximum(x, np.zeros((), x.dtype))]


def clip(node: Node, inputs: list) -> list:
    x, lo, hi = (inputs + [None, None])[:3]
    if lo is not None:
        x = np.maximum(x, lo.astype(x.dtype))
    if hi is not None:
        x = np.minimum(x, hi.astype(x.dtype))
    return [x]


def add(node: Node, inputs: list) -> list:
    a, b = inputs
    if a.dtype != b.dtype:
        raise ModelError(f"{node.label}: operand dtypes differ ({a.dtype} and {b.dtype})")
    with np.errstate(over="ignore"):
        return [np.add(a, b, dtype=a.dtype)]


def qlinear_add_mode(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> str | None:
    """Which operand onnxruntime's broadcast loop hands to the QLinearAdd kernel as a scalar, if any."""
    out = np.broadcast_shapes(a_shape, b_shape)
    if int(np.prod(a_shape)) == 1 and int(np.prod(out)) > 1:
        return "a"
    if int(np.prod(b_shape)) == 1 and int(np.prod(out)) > 1:
        return "b"
    rank = len(out)
    a_full = (1,) * (rank - len(a_shape)) + tuple(a_shape)
    b_full = (1,) * (rank - len(b_shape)) + tuple(b_shape)
    for axis in reversed(range(rank)):
        if out[axis] == 1:
            continue
        if a_full[axis] == 1:
            return "a"
        if b_full[axis] == 1:
            return "b"
        return None
    return None


class QuantizedAdd:
    """onnxruntime's QLinearAdd on 8-bit codes, optionally evaluated on codes shifted by +128.

    The shift reproduces onnxruntime's QDQ optimizer, which turns int8 activations (QuantizeLinear ->
    DequantizeLinear pairs) into uint8 ones before fusing ``DQ, DQ -> Add -> Q`` into QLinearAdd: the
    kernel then sees codes and zero points + 128, which rounds differently from int8 codes.
    """

    def __init__(self, a_scale, a_zp, b_scale, b_zp, c_scale, c_zp, dtype: np.dtype, offset: int = 0):
        self.params = tuple(float(v) for v in (a_scale, a_zp + offset, b_scale, b_zp + offset, c_scale,
                                               c_zp + offset))
        self.dtype = np.dtype(dtype)
        self.offset = offset
        self.kernel_dtype = np.dtype(np.uint8) if offset else self.dtype
        self._tables: dict[str | None, np.ndarray] = {}

    def table(self, mode: str | None) -> np.ndarray:
        """Every result, in this add's dtype, indexed ``[a - qmin, b - qmin]``, for broadcast `mode`
        (None, or "a"/"b" when onnxruntime hands that operand to the kernel as a scalar)."""
        if mode not in self._tables:
            out = ort_arith.qlinear_add_table(*self.params, self.kernel_dtype, scalar=mode)
            self._tables[mode] = (out.astype(np.int16) - self.offset).astype(self.dtype) if self.offset else out
        return self._tables[mode]

    def apply(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        table = self.table(qlinear_add_mode(a.shape, b.shape))
        lowest = np.iinfo(self.dtype).min
        a_idx, b_idx = np.broadcast_arrays(a.astype(np.int64) - lowest, b.astype(np.int64) - lowest)
        return table[a_idx, b_idx]


def qlinear_add(node: Node, inputs: list) -> list:
    a, a_scale, a_zp, b, b_scale, b_zp, c_scale, c_zp = (inputs + [None] * 8)[:8]
    zps = [0 if zp is None else int(zp.reshape(-1)[0]) for zp in (a_zp, b_zp, c_zp)]
    add = QuantizedAdd(a_scale.item(), zps[0], b_scale.item(), zps[1], c_scale.item(), zps[2], a.dtype)
    return [add.apply(a, b)]


def _pool_window(node: Node, x: np.ndarray) -> tuple[Window, object]:
    kernel = tuple(node.attrs.get("kernel_shape", ()))
    if not kernel or x.ndim != len(kernel) + 2:
        raise ModelError(f"{node.label}: kernel_shape {kernel} does not fit an input of rank {x.ndim}")
    window = Window.from_attrs(node.attrs, kernel, node.label)
    return window, window.resolve(x.shape[2:], node.label)


def max_pool(node: Node, inputs: list) -> list:
    x = inputs[0]
    window, resolved = _pool_window(node, x)
    lowest = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
    wins = extract_windows(x, window, resolved, lowest)
    return [wins.max(axis=tuple(range(-window.rank, 0))).astype(x.dtype)]


def average_pool(node: Node, inputs: list) -> list:
    x = inputs[0]
    window, resolved = _pool_window(node, x)
    kernel_axes = tuple(range(-window.rank, 0))
    total = extract_windows(x, window, resolved, 0).sum(axis=kernel_axes, dtype=np.float32)
    pad_counts = 1 if node.attrs.get("count_include_pad", 0) else 0
    ones = np.ones((1, 1) + x.shape[2:], np.float32)
    count = extract_windows(ones, window, resolved, pad_counts, overhang_value=0).sum(axis=kernel_axes)
    return [(total / count).astype(x.dtype)]


def global_average_pool(node: Node, inputs: list) -> list:
    x = inputs[0]
    return [x.mean(axis=tuple(range(2, x.ndim)), keepdims=True, dtype=np.float32).astype(x.dtype)]


def flatten(node: Node, inputs: list) -> list:
    x = inputs[0]
    axis = node.attrs.get("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    if not 0 <= axis <= x.ndim:
        raise ModelError(f"{node.label}: axis {node.attrs.get('axis')} is out of range")
    return [x.reshape(int(np.prod(x.shape[:axis])), int(np.prod(x.shape[axis:])))]


def reshape(node: Node, inputs: list) -> list:
    x, shape = inputs
    target = [int(d) for d in shape]
    if not node.attrs.get("allowzero", 0):
        target = [x.shape[i] if d == 0 else d for i, d in enumerate(target)]
    try:
        return [x.reshape(target)]
    except ValueError:
        target = tuple(int(d) for d in shape)
        raise ModelError(f"{node.label}: cannot reshape {x.shape} to {target}") from None


def transpose(node: Node, inputs: list) -> list:
    x = inputs[0]
    perm = node.attrs.get("perm", list(reversed(range(x.ndim))))
    return [np.transpose(x, perm)]


def softmax(node: Node, inputs: list) -> list:
    x = inputs[0]
    axis = _axis(node.attrs.get("axis", -1), x.ndim, node)
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return [(e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)]


def batch_normalization(node: Node, inputs: list) -> list:
    x, scale, bias, mean, var = inputs[:5]
    if node.attrs.get("training_mode", 0):
        raise ModelError(f"{node.label}: training_mode BatchNormalization is not supported")
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = np.float32(node.attrs.get("epsilon", 1e-5))
    inv = (scale / np.sqrt(var + eps)).reshape(shape)
    return [((x - mean.reshape(shape)) * inv + bias.reshape(shape)).astype(x.dtype)]


def identity(node: Node, inputs: list) -> list:
    return [inputs[0]]


# ----------------------------------------------------------------------------------------------
# Float GEMM-shaped fallbacks (only with allow_host_ops: the accelerator computes integers only)
# ----------------------------------------------------------------------------------------------
def conv_float(node: Node, inputs: list) -> list:
    x, w, b = (inputs + [None])[:3]
    group = node.attrs.get("group", 1)
    window = Window.from_attrs(node.attrs, tuple(w.shape[2:]), node.label)
    resolved = window.resolve(x.shape[2:], node.label)
    wins = extract_windows(x, window, resolved, 0)        # N, C, *O, *k
    n, oc, cg = x.shape[0], w.shape[0], w.shape[1]
    out = []
    for g in range(group):
        xg = wins[:, g * cg:(g + 1) * cg]
        wg = w[g * (oc // group):(g + 1) * (oc // group)]
        xg = np.moveaxis(xg, 1, 1 + window.rank).reshape(n, *resolved.out_shape, -1)
        out.append(xg @ wg.reshape(wg.shape[0], -1).T)
    y = np.moveaxis(np.concatenate(out, axis=-1), -1, 1)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * window.rank)
    return [y.astype(np.float32)]


def matmul_float(node: Node, inputs: list) -> list:
    return [np.matmul(inputs[0], inputs[1]).astype(inputs[0].dtype)]


def gemm_float(node: Node, inputs: list) -> list:
    a, b, c = (inputs + [None])[:3]
    a = a.T if node.attrs.get("transA", 0) else a
    b = b.T if node.attrs.get("transB", 0) else b
    y = np.float32(node.attrs.get("alpha", 1.0)) * (a @ b)
    if c is not None:
        y = y + np.float32(node.attrs.get("beta", 1.0)) * c
    return [y.astype(a.dtype)]


HOST_OPS: dict[tuple[str, str], HostFn] = {
    ("", "QuantizeLinear"): quantize_linear,
    ("", "DequantizeLinear"): dequantize_linear,
    ("", "Relu"): relu,
    ("", "Clip"): clip,
    ("", "Add"): add,
    ("com.microsoft", "QLinearAdd"): qlinear_add,
    ("", "MaxPool"): max_pool,
    ("", "AveragePool"): average_pool,
    ("", "GlobalAveragePool"): global_average_pool,
    ("", "Flatten"): flatten,
    ("", "Reshape"): reshape,
    ("", "Transpose"): transpose,
    ("", "Softmax"): softmax,
    ("", "BatchNormalization"): batch_normalization,
    ("", "Identity"): identity,
}

# Float versions of the accelerator's GEMM-shaped operators: host work that needs allow_host_ops.
FALLBACK_FLOAT_OPS: dict[tuple[str, str], HostFn] = {
    ("", "Conv"): conv_float,
    ("", "MatMul"): matmul_float,
    ("", "Gemm"): gemm_float,
}
