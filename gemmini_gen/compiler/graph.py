"""A small mutable graph IR for the compiler passes.

Nodes keep ONNX's shape (op type, domain, named inputs/outputs, attributes) so that unrewritten nodes can be
executed on the host exactly as written; compiler-made nodes use the domain ``"gemmini"`` and carry their
specification in `Node.payload`.  Tensors are referred to by name; `Graph.constants` holds every constant
value (initializers, Constant nodes and inputs the caller bound), as numpy arrays.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ModelError

__all__ = ["INTERNAL_DOMAIN", "ValueInfo", "Node", "Graph"]

INTERNAL_DOMAIN = "gemmini"


@dataclass
class ValueInfo:
    """A graph input or output: name, numpy dtype and shape (a symbolic dimension is its name or None)."""

    name: str
    dtype: np.dtype
    shape: tuple[int | str | None, ...] | None

    def shape_text(self) -> str:
        if self.shape is None:
            return "any shape"
        dims = ["?" if d is None else str(d) for d in self.shape]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def describe(self) -> str:
        return f"{self.name} ({self.dtype}, shape {self.shape_text()})"


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]          # "" marks an absent optional input
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    domain: str = ""
    payload: Any = None        # internal nodes: their specification (e.g. a GemmLayer)
    sources: tuple[str, ...] = ()   # names of the ONNX nodes this node stands for (for reports)

    def __post_init__(self) -> None:
        if not self.sources:
            self.sources = (self.name,)

    @property
    def label(self) -> str:
        return f"{self.op} ({self.name!r})"

    def input(self, index: int) -> str:
        """Name of input `index`, or "" if it is absent."""
        return self.inputs[index] if index < len(self.inputs) else ""


class Graph:
    def __init__(self, nodes: list[Node], constants: dict[str, np.ndarray], inputs: list[ValueInfo],
                 outputs: list[ValueInfo], dtypes: dict[str, np.dtype], opsets: dict[str, int]) -> None:
        self.nodes = nodes
        self.constants = constants
        self.inputs = inputs
        self.outputs = outputs
        self.dtypes = dtypes           # element type of every tensor whose type is known
        self.opsets = opsets
        self._counter = itertools.count()

    # ------------------------------------------------------------------------------------------
    # Queries
    # ------------------------------------------------------------------------------------------
    def producer(self, name: str) -> Node | None:
        for node in self.nodes:
            if name in node.outputs:
                return node
        return None

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def is_output(self, name: str) -> bool:
        return any(o.name == name for o in self.outputs)

    def is_constant(self, name: str) -> bool:
        return name in self.constants

    def constant(self, name: str) -> np.ndarray | None:
        return self.constants.get(name) if name else None

    def sole_consumer(self, name: str) -> Node | None:
        """The only node reading `name`, if exactly one does and it is not a graph output."""
        users = self.consumers(name)
        if len(users) != 1 or self.is_output(name) or users[0].inputs.count(name) != 1:
            return None
        return users[0]

    # ------------------------------------------------------------------------------------------
    # Edits
    # ------------------------------------------------------------------------------------------
    def fresh_name(self, base: str) -> str:
        return f"{base}__{next(self._counter)}"

    def replace_node(self, old: Node, new: list[Node]) -> None:
        index = self.nodes.index(old)
        self.nodes[index:index + 1] = new

    def remove_node(self, node: Node) -> None:
        self.nodes.remove(node)

    def rename_uses(self, old: str, new: str) -> None:
        """Make every consumer (and the graph outputs) read `new` instead of `old`."""
        for node in self.nodes:
            node.inputs = [new if i == old else i for i in node.inputs]

    def remove_dead_nodes(self) -> None:
        """Drop nodes none of whose outputs is read by another node or is a graph output."""
        changed = True
        while changed:
            changed = False
            used = {i for n in self.nodes for i in n.inputs} | {o.name for o in self.outputs}
            for node in list(self.nodes):
                if not any(o in used for o in node.outputs if o):
                    self.nodes.remove(node)
                    changed = True

    def toposort(self) -> None:
        """Order nodes so every input is produced before use (ModelError on a cycle or dangling input)."""
        available = set(self.constants) | {i.name for i in self.inputs} | {""}
        pending, ordered = list(self.nodes), []
        while pending:
            ready = [n for n in pending if all(i in available for i in n.inputs)]
            if not ready:
                node = pending[0]
                missing = next(i for i in node.inputs if i not in available)
                produced = any(missing in n.outputs for n in pending)
                what = "is part of a cycle" if produced else "is not produced by any node"
                raise ModelError(f"input {missing!r} of node {node.label} {what}")
            for node in ready:
                ordered.append(node)
                available.update(node.outputs)
                pending.remove(node)
        self.nodes = ordered
        missing_outputs = [o.name for o in self.outputs if o.name not in available]
        if missing_outputs:
            raise ModelError(f"graph output {missing_outputs[0]!r} is not produced by any node")
