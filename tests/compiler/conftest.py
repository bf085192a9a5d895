"""Shared helpers for the compiler tests: test data, tiny model builders and an onnxruntime runner.

pytest runs with --import-mode=importlib, so test modules cannot import this file: the helpers are
handed out as fixtures (`ort_run`, `make_model`, `node_case`, `data_dir`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

DATA = Path(__file__).resolve().parents[1] / "data" / "onnx"
NODE_CASES = DATA / "node"
DIGITS = DATA / "digits"


def _ort_run(model: onnx.ModelProto | Path | str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a model with a default onnxruntime CPU session (the settings a user would use)."""
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def _make_model(nodes, inputs, outputs, initializers=(), opset: int = 17, microsoft: bool = False):
    """A model from helper nodes; `inputs`/`outputs` are (name, numpy dtype, shape) triples, where a
    shape given as an int is that many symbolic dimensions."""
    def vi(name, dtype, shape):
        if isinstance(shape, int):
            shape = [f"{name}_{i}" for i in range(shape)]
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape)

    graph = helper.make_graph(nodes, "test", [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                              list(initializers))
    opsets = [helper.make_opsetid("", opset)]
    if microsoft:
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model


def _load_node_case(name: str) -> tuple[onnx.ModelProto, dict[str, np.ndarray], list[np.ndarray]]:
    case = NODE_CASES / name
    model = onnx.load(str(case / "model.onnx"))
    data = case / "test_data_set_0"
    inputs = [numpy_helper.to_array(onnx.load_tensor(str(p))) for p in sorted(data.glob("input_*.pb"))]
    outputs = [numpy_helper.to_array(onnx.load_tensor(str(p))) for p in sorted(data.glob("output_*.pb"))]
    initialized = {i.name for i in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in initialized]
    return model, dict(zip(names, inputs)), outputs


@pytest.fixture(scope="session")
def digits_test() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DIGITS / "digits_test.npz") as data:
        return data["x"], data["y"]


@pytest.fixture(scope="session")
def digits_calibration() -> np.ndarray:
    with np.load(DIGITS / "digits_calib.npz") as data:
        return data["x"]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def ort_run():
    return _ort_run


@pytest.fixture(scope="session")
def make_model():
    return _make_model


@pytest.fixture(scope="session")
def node_case():
    return _load_node_case


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
