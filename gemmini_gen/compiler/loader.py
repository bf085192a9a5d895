"""Front end: read and validate an ONNX model and build the compiler's `Graph`.

Checks, each failing with a one-line `ModelError`: the file parses, `onnx.checker` accepts it, the default
ONNX domain is at opset 13 or later, shape inference succeeds, every node input is produced somewhere and
the graph is acyclic.  `bind_inputs` turns graph inputs into constants (the compiler needs quantization
parameters, and usually weights, to be constants); Constant nodes are folded into `Graph.constants`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import ModelError
from .graph import Graph, Node, ValueInfo

__all__ = ["MIN_OPSET", "ModelSource", "load_model", "bind_inputs", "build_graph"]

MIN_OPSET = 13

ModelSource = str | Path | bytes | onnx.ModelProto

# com.microsoft operators whose output has the element type of their first input.
_SAME_TYPE_CONTRIB = {"QLinearAdd", "QLinearMul", "QLinearAveragePool", "QLinearGlobalAveragePool",
                      "QLinearLeakyRelu", "QLinearSigmoid", "QLinearSoftmax", "QLinearConcat"}


def load_model(source: ModelSource) -> onnx.ModelProto:
    """Read a model (path, serialized bytes or ModelProto), check it and run strict shape inference."""
    if isinstance(source, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(source)
    elif isinstance(source, bytes):
        model = _parse(lambda: onnx.load_from_string(source), "the model bytes")
    else:
        path = Path(source)
        if not path.is_file():
            raise ModelError(f"model file {str(path)!r} does not exist")
        model = _parse(lambda: onnx.load(str(path)), repr(str(path)))
    try:
        onnx.checker.check_model(model)
    except Exception as exc:                          # checker raises several exception types
        raise ModelError(f"invalid ONNX model: {_first_line(exc)}") from None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None or opset < MIN_OPSET:
        raise ModelError(f"the model uses opset {opset} of the default ONNX domain; "
                         f"opset >= {MIN_OPSET} is required")
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:
        raise ModelError(f"shape inference failed: {_first_line(exc)}") from None


def _parse(read, what: str) -> onnx.ModelProto:
    try:
        model = read()
    except Exception as exc:
        raise ModelError(f"cannot parse {what} as an ONNX model: {_first_line(exc)}") from None
    if not model.graph.node:
        raise ModelError(f"{what} is not an ONNX model with a graph (no nodes)")
    return model


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _np_dtype(elem_type: int) -> np.dtype | None:
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    except Exception:
        return None


def _value_info(vi: onnx.ValueInfoProto) -> ValueInfo:
    tensor = vi.type.tensor_type
    dtype = _np_dtype(tensor.elem_type)
    if not vi.type.HasField("tensor_type") or dtype is None:
        raise ModelError(f"graph input/output {vi.name!r} is not a tensor of a supported element type")
    shape = None
    if tensor.HasField("shape"):
        shape = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                      for d in tensor.shape.dim)
    return ValueInfo(vi.name, dtype, shape)


def _attributes(node: onnx.NodeProto) -> dict[str, Any]:
    attrs = {}
    for attr in node.attribute:
        value = onnx.helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, onnx.TensorProto):
            value = numpy_helper.to_array(value)
        attrs[attr.name] = value
    return attrs


def _constant_value(node: Node) -> np.ndarray:
    if len(node.attrs) != 1:
        raise ModelError(f"Constant node {node.name!r} must have exactly one value attribute")
    key, value = next(iter(node.attrs.items()))
    if key == "value":
        return np.asarray(value)
    kinds = {"value_float": np.float32, "value_floats": np.float32, "value_int": np.int64,
             "value_ints": np.int64}
    if key not in kinds:
        raise ModelError(f"Constant node {node.name!r}: attribute {key!r} is not supported")
    return np.asarray(value, dtype=kinds[key])


def bind_inputs(model: onnx.ModelProto, constants: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """A copy of `model` in which the named graph inputs are initializers with the given values."""
    bound = onnx.ModelProto()
    bound.CopyFrom(model)
    g = bound.graph
    initialized = {i.name for i in g.initializer}
    declared = {vi.name: _value_info(vi) for vi in g.input if vi.name not in initialized}
    for name, value in constants.items():
        if name not in declared:
            raise ModelError(f"cannot bind constant {name!r}: it is not an input of the model "
                             f"(inputs: {', '.join(declared) or 'none'})")
        value = np.asarray(value)
        vi = declared[name]
        if value.dtype != vi.dtype or (vi.shape is not None and (len(vi.shape) != value.ndim or any(
                isinstance(d, int) and d != s for d, s in zip(vi.shape, value.shape)))):
            raise ModelError(f"constant {name!r} ({value.dtype}, shape {value.shape}) does not match the "
                             f"model's input {vi.describe()}")
        g.initializer.append(numpy_helper.from_array(value, name))
    kept = [vi for vi in g.input if vi.name not in constants]
    del g.input[:]
    g.input.extend(kept)
    return bound


def build_graph(model: onnx.ModelProto) -> Graph:
    """Turn a checked, shape-inferred model into a `Graph`."""
    g = model.graph
    values: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    inputs = [_value_info(vi) for vi in g.input if vi.name not in values]
    outputs = [_value_info(vi) for vi in g.output]

    dtypes: dict[str, np.dtype] = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        dtype = _np_dtype(vi.type.tensor_type.elem_type) if vi.type.HasField("tensor_type") else None
        if dtype is not None:
            dtypes[vi.name] = dtype
    nodes = []
    for index, proto in enumerate(g.node):
        node = Node(proto.op_type, proto.name or f"{proto.op_type}_{index}", list(proto.input),
                    list(proto.output), _attributes(proto), proto.domain)
        if node.op == "Constant" and node.domain in ("", "ai.onnx"):
            values[node.outputs[0]] = _constant_value(node)
            continue
        nodes.append(node)
    dtypes.update({name: value.dtype for name, value in values.items()})
    for node in nodes:                  # contrib operators onnx shape inference does not know
        if node.domain == "com.microsoft" and node.op in _SAME_TYPE_CONTRIB and node.inputs[0] in dtypes:
            dtypes.setdefault(node.outputs[0], dtypes[node.inputs[0]])
    opsets = {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}
    graph = Graph(nodes, values, inputs, outputs, dtypes, opsets)
    graph.toposort()
    return graph
