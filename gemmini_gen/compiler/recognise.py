"""Find the accelerator's work in a graph: quantized GEMM-shaped operators in either ONNX form.

QOperator form: QLinearConv, QLinearMatMul, com.microsoft QGemm, MatMulInteger, ConvInteger and
com.microsoft QLinearGlobalAveragePool each become one accelerator layer.  QDQ form: a Conv, MatMul or
Gemm whose data inputs come from DequantizeLinear nodes and whose output reaches a single QuantizeLinear (optionally through Relu/Clip) becomes a layer with
the same arithmetic as the QLinear operator onnxruntime fuses it into (QLinearConv, QLinearMatMul, QGemm),
the int32 bias of the DequantizeLinear used as is.  A Relu/Clip between the operator and its
QuantizeLinear is moved after the quantization as a clamp of the codes, which is exact because
quantization is monotone: ``Q(clip(y, lo, hi)) == clip(Q(y), Q(lo), Q(hi))``.  A
``DequantizeLinear -> GlobalAveragePool -> QuantizeLinear`` of one 8-bit type becomes the global-average
layer onnxruntime fuses it into (QLinearGlobalAveragePool).

Each layer becomes an internal node (domain ``gemmini``, op ``Gemm``) with inputs [activation, weights,
bias or ""] and the layer's `GemmLayer` as payload; clamps become ``Lut`` nodes (see `rewrite`).

QDQ ``DequantizeLinear x2 -> Add -> QuantizeLinear`` follows onnxruntime's optimizer, which first moves
int8 activations to uint8 and then fuses the Add into QLinearAdd only if the three types still agree:
such Adds become ``QLinearAdd (QDQ)`` host nodes with that kernel's arithmetic; the others stay as
written and run in float, as in onnxruntime.
"""

from __future__ import annotations

import numpy as np

from . import ort_arith
from .errors import ModelError
from .gemm_layer import FloatOutput, GemmLayer, QuantOutput
from .geometry import Window
from .graph import INTERNAL_DOMAIN, Graph, Node
from .host_ops import QuantizedAdd
from .lut import Lut

__all__ = ["recognise_layers"]

_EIGHT_BIT = (np.dtype(np.int8), np.dtype(np.uint8))


def recognise_layers(graph: Graph) -> None:
    """Replace every quantized GEMM-shaped operator (both forms) by an accelerator-layer node, and
    every QDQ Add that onnxruntime fuses into QLinearAdd by that operator's arithmetic."""
    for node in list(graph.nodes):
        if node.domain == "" and node.op == "Add":
            _recognise_qdq_add(graph, node)
    for node in list(graph.nodes):
        builder = _QOPERATOR.get((node.domain, node.op))
        if builder is not None:
            layer, inputs = builder(graph, node)
            graph.replace_node(node, [_layer_node(layer, inputs, node.outputs[0])])
            graph.dtypes[node.outputs[0]] = layer.out_dtype()
        elif node.domain == "" and node.op in ("Conv", "MatMul", "Gemm"):
            _recognise_qdq(graph, node)
        elif node.domain == "" and node.op == "GlobalAveragePool":
            _recognise_qdq_average(graph, node)
    graph.remove_dead_nodes()


def _layer_node(layer: GemmLayer, inputs: list[str], output: str) -> Node:
    return Node("Gemm", layer.name, inputs, [output], domain=INTERNAL_DOMAIN, payload=layer,
                sources=layer.sources)


# ----------------------------------------------------------------------------------------------
# Constant quantization parameters
# ----------------------------------------------------------------------------------------------
def _const(graph: Graph, node: Node, index: int, role: str, default=None) -> np.ndarray | None:
    name = node.input(index)
    if not name:
        return default
    value = graph.constant(name)
    if value is None:
        raise ModelError(f"{node.label}: {role} {name!r} must be a constant (an initializer); "
                         f"bind graph inputs with constants=")
    return value


def _scalar(graph: Graph, node: Node, index: int, role: str, default=None) -> np.ndarray:
    value = _const(graph, node, index, role, default)
    if value is None or value.size != 1:
        raise ModelError(f"{node.label}: {role} must be a single value (per-tensor)")
    return value.reshape(())


def _scale(value: np.ndarray, node: Node, role: str) -> np.ndarray:
    if value.dtype not in (np.float32, np.float16):
        raise ModelError(f"{node.label}: {role} must be float32 or float16, got {value.dtype}")
    value = value.astype(np.float32)
    if not np.all(np.isfinite(value)) or np.any(value <= 0):
        raise ModelError(f"{node.label}: {role} must be finite and positive")
    return value


def _per_channel(value: np.ndarray, n: int | None, node: Node, role: str) -> np.ndarray:
    """() for a per-tensor parameter, (N,) for a per-output-channel one."""
    if value.size == 1:
        return value.reshape(())
    if value.ndim != 1 or (n is not None and value.shape[0] != n):
        raise ModelError(f"{node.label}: {role} of shape {value.shape} is neither per-tensor nor "
                         f"per output channel")
    return value


def _dtype_of(value: np.ndarray, node: Node, role: str) -> np.dtype:
    if value.dtype not in _EIGHT_BIT:
        raise ModelError(f"{node.label}: {role} must be int8 or uint8, got {value.dtype}")
    return value.dtype


def _weight_columns(graph: Graph, node: Node, index: int, axis: int) -> int | None:
    w = graph.constant(node.input(index))
    return None if w is None else w.shape[axis]


def _window(graph: Graph, node: Node, weights: str) -> Window:
    kernel = node.attrs.get("kernel_shape")
    if kernel is None:
        w = graph.constant(weights)
        if w is None:
            raise ModelError(f"{node.label}: kernel_shape is required when the weights are not constant")
        kernel = w.shape[2:]
    return Window.from_attrs(node.attrs, tuple(kernel), node.label)


# ----------------------------------------------------------------------------------------------
# QOperator form
# ----------------------------------------------------------------------------------------------
def _qlinear_conv(graph: Graph, node: Node) -> tuple[GemmLayer, list[str]]:
    x_scale = _scale(_scalar(graph, node, 1, "x_scale"), node, "x_scale")
    x_zp = _scalar(graph, node, 2, "x_zero_point")
    oc = _weight_columns(graph, node, 3, 0)
    w_scale = _per_channel(_scale(_const(graph, node, 4, "w_scale"), node, "w_scale"), oc, node, "w_scale")
    w_zp = _per_channel(_const(graph, node, 5, "w_zero_point"), oc, node, "w_zero_point")
    y_scale = _scale(_scalar(graph, node, 6, "y_scale"), node, "y_scale")
    y_zp = _scalar(graph, node, 7, "y_zero_point")
    out = QuantOutput(_dtype_of(y_zp, node, "y_zero_point"), int(y_zp),
                      ort_arith.output_multiplier(x_scale, w_scale, divisor=y_scale))
    layer = GemmLayer(node.name, node.op, (node.name,), "conv", _dtype_of(x_zp, node, "x_zero_point"),
                      int(x_zp), w_zp.astype(np.int64), out, window=_window(graph, node, node.input(3)),
                      group=int(node.attrs.get("group", 1)))
    return layer, [node.input(0), node.input(3), node.input(8)]


def _qlinear_matmul(graph: Graph, node: Node) -> tuple[GemmLayer, list[str]]:
    a_scale = _scale(_scalar(graph, node, 1, "a_scale"), node, "a_scale")
    a_zp = _scalar(graph, node, 2, "a_zero_point")
    n = _weight_columns(graph, node, 3, -1)
    b_scale = _per_channel(_scale(_const(graph, node, 4, "b_scale"), node, "b_scale"), n, node, "b_scale")
    b_zp = _per_channel(_const(graph, node, 5, "b_zero_point"), n, node, "b_zero_point")
    y_scale = _scale(_scalar(graph, node, 6, "y_scale"), node, "y_scale")
    y_zp = _scalar(graph, node, 7, "y_zero_point")
    out = QuantOutput(_dtype_of(y_zp, node, "y_zero_point"), int(y_zp),
                      ort_arith.output_multiplier(a_scale, b_scale, divisor=y_scale))
    layer = GemmLayer(node.name, node.op, (node.name,), "matmul", _dtype_of(a_zp, node, "a_zero_point"),
                      int(a_zp), b_zp.astype(np.int64), out)
    return layer, [node.input(0), node.input(3), ""]


def _qgemm(graph: Graph, node: Node) -> tuple[GemmLayer, list[str]]:
    trans_b = bool(node.attrs.get("transB", 0))
    alpha = np.float32(node.attrs.get("alpha", 1.0))
    a_scale = _scale(_scalar(graph, node, 1, "a_scale"), node, "a_scale")
    a_zp = _scalar(graph, node, 2, "a_zero_point")
    n = _weight_columns(graph, node, 3, 0 if trans_b else 1)
    b_scale = _per_channel(_scale(_const(graph, node, 4, "b_scale"), node, "b_scale"), n, node, "b_scale")
    b_zp = _per_channel(_const(graph, node, 5, "b_zero_point"), n, node, "b_zero_point")
    if node.input(7) and node.input(8):
        y_scale = _scale(_scalar(graph, node, 7, "y_scale"), node, "y_scale")
        y_zp = _scalar(graph, node, 8, "y_zero_point")
        out = QuantOutput(_dtype_of(y_zp, node, "y_zero_point"), int(y_zp),
                          ort_arith.output_multiplier(alpha, a_scale, b_scale, divisor=y_scale))
    elif not node.input(7) and not node.input(8):
        out = FloatOutput(ort_arith.output_multiplier(alpha, a_scale, b_scale))
    else:
        raise ModelError(f"{node.label}: y_scale and y_zero_point must be given together")
    layer = GemmLayer(node.name, node.op, (node.name,), "matmul", _dtype_of(a_zp, node, "a_zero_point"),
                      int(a_zp), b_zp.astype(np.int64), out, trans_a=bool(node.attrs.get("transA", 0)),
                      trans_b=trans_b)
    return layer, [node.input(0), node.input(3), node.input(6)]


def _integer_zero_point(graph: Graph, node: Node, index: int, role: str, data: str) -> np.ndarray:
    dtype = graph.dtypes.get(data, np.dtype(np.uint8))
    return _const(graph, node, index, role, default=np.zeros((), dtype))


def _matmul_integer(graph: Graph, node: Node) -> tuple[GemmLayer, list[str]]:
    a_zp = _integer_zero_point(graph, node, 2, "a_zero_point", node.input(0))
    if a_zp.size != 1:
        raise ModelError(f"{node.label}: per-row a_zero_point is not supported")
    b_zp = _integer_zero_point(graph, node, 3, "b_zero_point", node.input(1))
    b_zp = _per_channel(b_zp, _weight_columns(graph, node, 1, -1), node, "b_zero_point")
    layer = GemmLayer(node.name, node.op, (node.name,), "matmul", _dtype_of(a_zp, node, "a_zero_point"),
                      int(a_zp.reshape(())), b_zp.astype(np.int64), None)
    return layer, [node.input(0), node.input(1), ""]


def _conv_integer(graph: Graph, node: Node) -> tuple[GemmLayer, list[str]]:
    x_zp = _integer_zero_point(graph, node, 2, "x_zero_point", node.input(0))
    if x_zp.size != 1:
        raise ModelError(f"{node.label}: x_zero_point must be a single value")
    w_zp = _integer_zero_point(graph, node, 3, "w_zero_point", node.input(1))
    w_zp = _per_channel(w_zp, _weight_columns(graph, node, 1, 0), node, "w_zero_point")
    layer = GemmLayer(node.name, node.op, (node.name,), "conv", _dtype_of(x_zp, node, "x_zero_point"),
                      int(x_zp.reshape(())), w_zp.astype(np.int64), None,
                      window=_window(graph, node, node.input(1)),
                      group=int(node.attrs.get("group", 1)))
    return layer, [node.input(0), node.input(1), ""]


def _qlinear_global_average(graph: Graph, node: Node) -> tuple[GemmLayer, list[str]]:
    x_dtype = graph.dtypes.get(node.input(0), np.dtype(np.uint8))
    x_scale = _scale(_scalar(graph, node, 1, "x_scale"), node, "x_scale")
    x_zp = _scalar(graph, node, 2, "x_zero_point", default=np.zeros((), x_dtype))
    y_scale = _scale(_scalar(graph, node, 3, "y_scale"), node, "y_scale")
    y_zp = _scalar(graph, node, 4, "y_zero_point", default=np.zeros((), x_dtype))
    layer = _average_layer(node.name, node.op, (node.name,), _dtype_of(x_zp, node, "x_zero_point"),
                           x_zp, x_scale, _dtype_of(y_zp, node, "y_zero_point"), y_zp, y_scale,
                           bool(node.attrs.get("channels_last", 0)))
    return layer, [node.input(0), "", ""]


def _average_layer(name, op, sources, x_dtype, x_zp, x_scale, y_dtype, y_zp, y_scale,
                   channels_last: bool) -> GemmLayer:
    ratio = (np.float32(x_scale) / np.float32(y_scale)).astype(np.float32)
    return GemmLayer(name, op, sources, "average", x_dtype, int(x_zp), np.zeros((), np.int64),
                     QuantOutput(y_dtype, int(y_zp), ratio.reshape(())),
                     average_scales=(float(x_scale), float(y_scale)), channels_last=channels_last)


_QOPERATOR = {
    ("com.microsoft", "QLinearGlobalAveragePool"): _qlinear_global_average,
    ("", "QLinearConv"): _qlinear_conv,
    ("", "QLinearMatMul"): _qlinear_matmul,
    ("com.microsoft", "QGemm"): _qgemm,
    ("", "MatMulInteger"): _matmul_integer,
    ("", "ConvInteger"): _conv_integer,
}


# ----------------------------------------------------------------------------------------------
# QDQ form
# ----------------------------------------------------------------------------------------------
def _dq_params(graph: Graph, name: str) -> tuple[Node, np.ndarray, np.ndarray] | None:
    """The DequantizeLinear producing `name` and its constant (scale, zero point), if that is what it is."""
    dq = graph.producer(name) if name else None
    if dq is None or dq.op != "DequantizeLinear" or dq.domain != "" or dq.attrs.get("block_size", 0):
        return None
    scale = graph.constant(dq.input(1))
    if scale is None or scale.dtype != np.float32 or np.any(scale <= 0):
        return None
    data_dtype = graph.dtypes.get(dq.input(0))
    zp = graph.constant(dq.input(2)) if dq.input(2) else np.zeros((), data_dtype or np.uint8)
    if zp is None:
        return None
    return dq, scale, zp


def _weight_axis_ok(dq: Node, scale: np.ndarray, rank: int | None, want_axis: int) -> bool:
    if scale.size == 1:
        return True
    axis = dq.attrs.get("axis", 1)
    return rank is not None and scale.ndim == 1 and axis % rank == want_axis % rank


def _output_chain(graph: Graph, name: str) -> tuple[list[Node], Node] | None:
    """Relu/Clip nodes then the single QuantizeLinear that `name` flows into, if it does."""
    chain: list[Node] = []
    while True:
        nxt = graph.sole_consumer(name)
        if nxt is None or nxt.domain != "" or nxt.input(0) != name:
            return None
        if nxt.op == "QuantizeLinear":
            scale, zp = graph.constant(nxt.input(1)), graph.constant(nxt.input(2))
            if scale is None or scale.size != 1 or float(scale.reshape(-1)[0]) <= 0:
                return None
            if nxt.input(2) and (zp is None or zp.size != 1):
                return None
            if (zp.dtype if zp is not None else np.dtype(np.uint8)) not in _EIGHT_BIT:
                return None
            return chain, nxt
        if nxt.op == "Relu" or (nxt.op == "Clip" and all(graph.is_constant(i) for i in nxt.inputs[1:] if i)):
            chain.append(nxt)
            name = nxt.outputs[0]
            continue
        return None


def _recognise_qdq(graph: Graph, node: Node) -> None:
    x = _dq_params(graph, node.input(0))
    w = _dq_params(graph, node.input(1))
    path = _output_chain(graph, node.outputs[0])
    if x is None or w is None or path is None or x[1].size != 1 or x[2].size != 1:
        return
    x_dq, x_scale, x_zp = x
    w_dq, w_scale, w_zp = w
    x_dtype, w_dtype = graph.dtypes.get(x_dq.input(0)), graph.dtypes.get(w_dq.input(0))
    if x_dtype not in _EIGHT_BIT or w_dtype not in _EIGHT_BIT:
        return
    w_value = graph.constant(w_dq.input(0))
    rank = None if w_value is None else w_value.ndim
    trans_b = bool(node.attrs.get("transB", 0))
    out_axis = {"Conv": 0, "MatMul": -1, "Gemm": 0 if trans_b else 1}[node.op]
    if not _weight_axis_ok(w_dq, w_scale, rank, out_axis):
        return
    bias_name = ""
    if node.input(2):
        bias = _dq_params(graph, node.input(2))
        if bias is None or graph.dtypes.get(bias[0].input(0)) != np.int32 or np.any(bias[2] != 0):
            return
        bias_name = bias[0].input(0)
    if node.op == "Gemm" and node.input(2) and (node.attrs.get("beta", 1.0) != 1.0
                                                 or node.attrs.get("alpha", 1.0) != 1.0):
        return      # the int32 bias would be scaled by alpha/beta; onnxruntime keeps this in float too
    chain, q = path
    y_scale = graph.constant(q.input(1)).astype(np.float32).reshape(())
    y_zp = graph.constant(q.input(2)).reshape(()) if q.input(2) else np.zeros((), np.uint8)
    n = None if w_value is None else w_value.shape[out_axis]
    w_scale = _per_channel(w_scale, n, node, "weight scale")
    factors = (np.float32(node.attrs.get("alpha", 1.0)),) if node.op == "Gemm" else ()
    out = QuantOutput(y_zp.dtype, int(y_zp),
                      ort_arith.output_multiplier(*factors, x_scale.reshape(()), w_scale, divisor=y_scale))
    sources = (x_dq.name, w_dq.name, node.name) + tuple(c.name for c in chain) + (q.name,)
    common = dict(name=node.name, op=f"{node.op} (QDQ)", sources=sources, a_dtype=x_dtype,
                  a_zero_point=int(x_zp.reshape(())),
                  w_zero_point=_per_channel(w_zp, n, node, "weight zero point").astype(np.int64), output=out)
    if node.op == "Conv":
        layer = GemmLayer(kind="conv", window=_window(graph, node, w_dq.input(0)),
                          group=int(node.attrs.get("group", 1)), **common)
    else:
        layer = GemmLayer(kind="matmul", trans_a=bool(node.attrs.get("transA", 0)), trans_b=trans_b, **common)
    result = q.outputs[0]
    new_nodes = [_layer_node(layer, [x_dq.input(0), w_dq.input(0), bias_name],
                             graph.fresh_name(result) if chain else result)]
    graph.dtypes[new_nodes[0].outputs[0]] = layer.out_dtype()
    if chain:
        new_nodes.append(_clamp_node(graph, chain, new_nodes[0].outputs[0], result, y_scale, y_zp))
    for victim in chain + [q]:
        graph.remove_node(victim)
    graph.replace_node(node, new_nodes)


def _recognise_qdq_average(graph: Graph, node: Node) -> None:
    """``DQ -> GlobalAveragePool -> Q`` on one 8-bit type, which onnxruntime fuses into
    QLinearGlobalAveragePool (integer sum, MLAS requantization) -- as for the Add, only if the input
    and output types still agree after its int8 -> uint8 activation conversion."""
    x = _dq_params(graph, node.input(0))
    path = _output_chain(graph, node.outputs[0])
    if x is None or path is None or path[0] or x[1].size != 1 or x[2].size != 1:
        return
    dq, x_scale, x_zp = x
    q = path[1]
    x_dtype = graph.dtypes.get(dq.input(0))
    y_zp = graph.constant(q.input(2)).reshape(()) if q.input(2) else np.zeros((), np.uint8)
    if x_dtype not in _EIGHT_BIT or y_zp.dtype != x_dtype:
        return
    if x_dtype == np.int8 and _runs_as_uint8(graph, dq) != _q_pair_converts(graph, q):
        return                  # uint8 input, int8 output after the conversion: stays in float
    y_scale = graph.constant(q.input(1)).astype(np.float32).reshape(())
    layer = _average_layer(node.name, f"{node.op} (QDQ)", (dq.name, node.name, q.name), x_dtype,
                           x_zp.reshape(()), x_scale.reshape(()), x_dtype, y_zp, y_scale, False)
    graph.remove_node(q)
    graph.replace_node(node, [_layer_node(layer, [dq.input(0), "", ""], q.outputs[0])])
    graph.dtypes[q.outputs[0]] = x_dtype


def _clamp_node(graph: Graph, chain: list[Node], source: str, result: str, y_scale: np.ndarray,
                y_zp: np.ndarray) -> Node:
    """The Relu/Clip chain, moved after quantization: a clamp of the codes to [Q(lo), Q(hi)]."""
    dtype = y_zp.dtype
    codes = np.arange(np.iinfo(dtype).min, np.iinfo(dtype).max + 1).astype(dtype)
    table = codes.copy()
    for node in chain:
        bounds = [graph.constant(i) for i in node.inputs[1:3]] if node.op == "Clip" else [np.float32(0)]
        bounds = (bounds + [None, None])[:2]
        lo, hi = (None if b is None else ort_arith.quantize_linear(b, y_scale, y_zp, dtype) for b in bounds)
        if lo is not None or hi is not None:
            table = np.clip(table, lo, hi)
    graph.dtypes[source] = dtype
    lut = Lut(table.astype(dtype), dtype)
    return Node("Lut", chain[0].name, [source], [result], domain=INTERNAL_DOMAIN, payload=lut,
                sources=tuple(n.name for n in chain))


def _runs_as_uint8(graph: Graph, dq: Node) -> bool:
    """Whether onnxruntime's QDQ optimizer moves this int8 DequantizeLinear to uint8: it converts every
    int8 QuantizeLinear whose readers are all DequantizeLinear nodes, together with those readers."""
    q = graph.producer(dq.input(0))
    return q is not None and q.op == "QuantizeLinear" and _q_pair_converts(graph, q)


def _q_pair_converts(graph: Graph, q: Node) -> bool:
    readers = graph.consumers(q.outputs[0])
    return (not graph.is_output(q.outputs[0]) and bool(readers)
            and all(r.op == "DequantizeLinear" and r.domain == "" for r in readers))


def _recognise_qdq_add(graph: Graph, node: Node) -> None:
    """``DQ(a), DQ(b) -> Add -> Q`` as onnxruntime runs it: fused into QLinearAdd when the three 8-bit
    types agree after its int8 -> uint8 activation conversion, else (left alone) in float."""
    a, b = _dq_params(graph, node.input(0)), _dq_params(graph, node.input(1))
    path = _output_chain(graph, node.outputs[0])
    if a is None or b is None or path is None or path[0]:
        return
    q = path[1]
    if any(p.size != 1 for p in (a[1], a[2], b[1], b[2])):
        return
    dtype = graph.dtypes.get(a[0].input(0))
    y_zp = graph.constant(q.input(2)) if q.input(2) else np.zeros((), np.uint8)
    if dtype not in _EIGHT_BIT or graph.dtypes.get(b[0].input(0)) != dtype or y_zp.dtype != dtype:
        return
    if dtype == np.int8:
        kinds = {_runs_as_uint8(graph, a[0]), _runs_as_uint8(graph, b[0]), _q_pair_converts(graph, q)}
        if len(kinds) != 1:
            return                              # mixed int8/uint8 after conversion: stays in float
        offset = 128 if kinds.pop() else 0
    else:
        offset = 0
    y_scale = graph.constant(q.input(1)).reshape(())
    add = QuantizedAdd(a[1].reshape(()), int(a[2].reshape(())), b[1].reshape(()), int(b[2].reshape(())),
                       y_scale, int(y_zp.reshape(())), dtype, offset)
    fused = Node("QLinearAdd (QDQ)", node.name, [a[0].input(0), b[0].input(0)], [q.outputs[0]],
                 domain=INTERNAL_DOMAIN, payload=add, sources=(a[0].name, b[0].name, node.name, q.name))
    graph.remove_node(q)
    graph.replace_node(node, [fused])
