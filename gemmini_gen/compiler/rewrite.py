"""Exact graph rewrites that move work into the integer domain and into accelerator layers.

0. `fold_constants`: host operators on constants only (e.g. the DequantizeLinear of a bias that a float
   Add consumes) are evaluated once at compile time, with the same implementation.
1. `sink_layout_ops`: layout operators (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity) commute
   with every elementwise operator whose parameters are per tensor, and MaxPool commutes with every
   monotone non-decreasing one (DequantizeLinear/QuantizeLinear with a positive scale, Relu, Clip, a
   monotone table): ``max(f(a), f(b)) == f(max(a, b))``, padding never wins a max.  Moving them after such
   operators makes the elementwise chains between two quantized tensors contiguous; MaxPool then runs on
   int8 codes instead of floats.
2. `collapse_chains`: ``DequantizeLinear -> (Relu | Clip | Identity)* -> QuantizeLinear`` on an 8-bit
   tensor becomes a 256-entry `Lut`, computed by running the chain's own host implementations on every code.
3. `fuse_tables`: a table that is the identity or ``max(q, zp)`` and is the only reader of an accelerator
   layer's 8-bit output is folded into that layer (dropped, or turned into the layer's ReLU).
"""

from __future__ import annotations

import numpy as np

from .errors import ModelError
from .gemm_layer import GemmLayer, QuantOutput
from .graph import INTERNAL_DOMAIN, Graph, Node
from .host_ops import HOST_OPS
from .lut import Lut

__all__ = ["fold_constants", "sink_layout_ops", "collapse_chains", "fuse_tables", "optimise"]

_LAYOUT_OPS = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity"}
_EIGHT_BIT = (np.dtype(np.int8), np.dtype(np.uint8))


def optimise(graph: Graph) -> None:
    fold_constants(graph)
    sink_layout_ops(graph)
    collapse_chains(graph)
    fuse_tables(graph)
    graph.remove_dead_nodes()


def fold_constants(graph: Graph) -> None:
    """Evaluate host operators whose inputs are all constants (e.g. DequantizeLinear of a bias) once."""
    for node in list(graph.nodes):
        fn = HOST_OPS.get((node.domain, node.op))
        if fn is None or not all(graph.is_constant(i) for i in node.inputs if i) or len(node.outputs) != 1:
            continue
        try:
            value = fn(node, [graph.constant(i) for i in node.inputs])[0]
        except (ModelError, ValueError, TypeError, IndexError):
            continue                        # leave it to fail at run time like any other node
        graph.constants[node.outputs[0]] = value
        graph.dtypes[node.outputs[0]] = value.dtype
        graph.remove_node(node)


def _per_tensor_positive(graph: Graph, node: Node) -> bool:
    scale = graph.constant(node.input(1))
    zp = graph.constant(node.input(2)) if node.input(2) else np.zeros(())
    if scale is None or zp is None or scale.size != 1 or zp.size != 1:
        return False
    return float(scale.reshape(-1)[0]) > 0


def _elementwise(graph: Graph, node: Node) -> tuple[bool, bool]:
    """(is a per-tensor elementwise unary operator, is it monotone non-decreasing)."""
    if node.domain == INTERNAL_DOMAIN and node.op == "Lut":
        return True, node.payload.is_monotone()
    if node.domain != "":
        return False, False
    if node.op in ("QuantizeLinear", "DequantizeLinear"):
        ok = _per_tensor_positive(graph, node) and not node.attrs.get("block_size", 0)
        return ok, ok
    if node.op == "Clip":
        ok = all(graph.is_constant(i) for i in node.inputs[1:] if i)
        return ok, ok
    if node.op in ("Relu", "Identity"):
        return True, True
    return False, False


def _movable(graph: Graph, node: Node) -> bool:
    if node.domain != "" or len([o for o in node.outputs if o]) != 1:
        return False
    return node.op in _LAYOUT_OPS or node.op == "MaxPool"


def sink_layout_ops(graph: Graph) -> None:
    changed = True
    while changed:
        changed = False
        for layout in list(graph.nodes):
            if not _movable(graph, layout):
                continue
            nxt = graph.sole_consumer(layout.outputs[0])
            if nxt is None or nxt.input(0) != layout.outputs[0]:
                continue
            elementwise, monotone = _elementwise(graph, nxt)
            if not elementwise or (layout.op == "MaxPool" and not monotone):
                continue
            _swap(graph, layout, nxt)
            changed = True


def _swap(graph: Graph, layout: Node, elementwise: Node) -> None:
    """layout(x) -> e(.) -> z   becomes   e(x) -> mid -> layout(.) -> z."""
    mid = graph.fresh_name(elementwise.outputs[0])
    if elementwise.outputs[0] in graph.dtypes:
        graph.dtypes[mid] = graph.dtypes[elementwise.outputs[0]]
    result = elementwise.outputs[0]
    elementwise.inputs[0] = layout.inputs[0]
    elementwise.outputs[0] = mid
    layout.inputs[0] = mid
    layout.outputs[0] = result
    i, j = graph.nodes.index(layout), graph.nodes.index(elementwise)
    graph.nodes[i], graph.nodes[j] = elementwise, layout


def _chain_from(graph: Graph, dq: Node) -> list[Node] | None:
    chain, name = [dq], dq.outputs[0]
    while True:
        nxt = graph.sole_consumer(name)
        if nxt is None or nxt.domain != "" or nxt.input(0) != name:
            return None
        if nxt.op == "QuantizeLinear":
            if not _per_tensor_positive(graph, nxt):
                return None
            chain.append(nxt)
            return chain
        if nxt.op in ("Relu", "Identity") or (nxt.op == "Clip" and _elementwise(graph, nxt)[0]):
            chain.append(nxt)
            name = nxt.outputs[0]
            continue
        return None


def _evaluate(graph: Graph, chain: list[Node], codes: np.ndarray) -> np.ndarray:
    values = codes
    for node in chain:
        inputs = [values] + [graph.constant(i) for i in node.inputs[1:]]
        values = HOST_OPS[(node.domain, node.op)](node, inputs)[0]
    return values


def collapse_chains(graph: Graph) -> None:
    for dq in list(graph.nodes):
        if dq.domain != "" or dq.op != "DequantizeLinear" or dq not in graph.nodes:
            continue
        in_dtype = graph.dtypes.get(dq.input(0))
        if in_dtype not in _EIGHT_BIT or not _per_tensor_positive(graph, dq):
            continue
        chain = _chain_from(graph, dq)
        if chain is None:
            continue
        codes = np.arange(np.iinfo(in_dtype).min, np.iinfo(in_dtype).max + 1).astype(in_dtype)
        table = _evaluate(graph, chain, codes)
        if table.dtype not in _EIGHT_BIT:
            continue
        node = Node("Lut", dq.name, [dq.input(0)], [chain[-1].outputs[0]], domain=INTERNAL_DOMAIN,
                    payload=Lut(table, in_dtype), sources=tuple(n.name for n in chain))
        for victim in chain[1:]:
            graph.remove_node(victim)
        graph.replace_node(dq, [node])


def fuse_tables(graph: Graph) -> None:
    for node in list(graph.nodes):
        if node.domain != INTERNAL_DOMAIN or node.op != "Lut":
            continue
        lut: Lut = node.payload
        producer = graph.producer(node.input(0))
        layer = producer.payload if producer is not None and producer.op == "Gemm" else None
        if (isinstance(layer, GemmLayer) and isinstance(layer.output, QuantOutput) and not layer.relu
                and graph.sole_consumer(node.input(0)) is node and layer.output.dtype == lut.in_dtype):
            if lut.is_identity() or lut.is_relu(layer.output.zero_point):
                layer.relu = not lut.is_identity()
                producer.outputs[0] = node.outputs[0]
                producer.sources = producer.sources + node.sources
                layer.sources = producer.sources
                graph.remove_node(node)
                continue
        if lut.is_identity() and not graph.is_output(node.outputs[0]):
            graph.rename_uses(node.outputs[0], node.input(0))
            graph.remove_node(node)
