"""Host fallback through onnxruntime for operators the compiler does not implement itself.

With ``allow_host_ops=True`` a node outside the accelerator's and the built-in host operators' reach runs
as a one-node onnxruntime session on the host, so its results are onnxruntime's by construction.  The
session is built at compile time; a node onnxruntime cannot build is reported as unsupported.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from .errors import CompilerError, UnsupportedOpError
from .graph import Graph, Node

__all__ = ["OrtNodeRunner"]


class OrtNodeRunner:
    def __init__(self, graph: Graph, node: Node) -> None:
        self.node = node
        self.feeds = [i for i in dict.fromkeys(node.inputs) if i and not graph.is_constant(i)]
        try:
            self.session = ort.InferenceSession(self._model(graph, node).SerializeToString(),
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise UnsupportedOpError(f"{node.label} cannot run on the host through onnxruntime: "
                                     f"{_first_line(exc)}") from None

    def _model(self, graph: Graph, node: Node) -> onnx.ModelProto:
        def info(name: str) -> onnx.ValueInfoProto:
            dtype = graph.dtypes.get(name)
            if dtype is None:
                raise UnsupportedOpError(f"{node.label} cannot run on the host: the type of {name!r} "
                                         f"is unknown")
            return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), None)

        attrs = {k: numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v
                 for k, v in node.attrs.items()}
        proto = helper.make_node(node.op, node.inputs, node.outputs, name=node.name, domain=node.domain,
                                 **attrs)
        inits = [numpy_helper.from_array(graph.constants[i], i)
                 for i in dict.fromkeys(node.inputs) if i and graph.is_constant(i)]
        body = helper.make_graph([proto], "host_fallback", [info(i) for i in self.feeds],
                                 [info(o) for o in node.outputs if o], inits)
        opsets = [helper.make_opsetid(domain, version) for domain, version in graph.opsets.items()]
        model = helper.make_model(body, opset_imports=opsets)
        model.ir_version = min(model.ir_version, 10)
        return model

    def __call__(self, values: dict[str, np.ndarray]) -> list[np.ndarray]:
        try:
            return self.session.run(None, {name: values[name] for name in self.feeds})
        except Exception as exc:                     # onnxruntime raises several exception types
            raise CompilerError(f"{self.node.label} failed in onnxruntime: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
