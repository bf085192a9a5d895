"""`Workload`: a named list of layers, and `load_workload`, which turns any source into one.

Sources, chosen by suffix (or a built-in name):
  * `*.csv`  -- a SCALE-Sim topology (conv or `M, N, K` format), see `scalesim_csv`;
  * `*.toml` -- a layer list (GEMMs and convolutions with padding), see `layer_list`;
  * `*.onnx` -- an ONNX model, through a lowering registered by the compiler (see below);
  * a built-in name (`builtin_workloads()`, e.g. `resnet18`, `digits_cnn`) shipped in the package.

ONNX hook.  The performance model does not read ONNX itself: the compiler owns graph lowering.  It
registers a function with the contract

    lower(path: Path) -> list[Layer]      # one Layer per GEMM/conv the compiled program runs

through `register_loader(".onnx", loader)` (a loader takes `(path, **options)` and returns a
`Workload`; `workload_from_lowering` adapts a `path -> list[Layer]` function).  Until that happens
an `.onnx` workload is a clear `WorkloadError`.  Other suffixes can be registered the same way.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .layer import Layer

__all__ = ["BUILTIN_PACKAGE", "Workload", "WorkloadError", "builtin_workloads", "load_workload",
           "register_loader", "workload_from_lowering"]

BUILTIN_PACKAGE = "gemmini_gen.perf.workloads"
# Module the compiler provides; it registers the ONNX lowering when imported.
ONNX_LOWERING_MODULE = "gemmini_gen.compiler.perf_lowering"


class WorkloadError(ValueError):
    """A workload that cannot be read (one line: file, line where known, and the problem)."""


@dataclass(frozen=True)
class Workload:
    name: str
    layers: tuple[Layer, ...]
    source: str = ""
    # Rows skipped by a lenient parse, as "file:line: reason" messages.
    skipped: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.layers:
            raise WorkloadError(f"workload {self.name!r} has no layers")

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def content_hash(self) -> str:
        """Stable hash of the layer shapes (not of the file's formatting)."""
        blob = json.dumps([layer.to_dict() for layer in self.layers], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


Loader = Callable[..., Workload]
_LOADERS: dict[str, Loader] = {}


def register_loader(suffix: str, loader: Loader) -> None:
    """Make `load_workload` read files ending in `suffix` (e.g. ".onnx") with `loader`."""
    _LOADERS[suffix.lower()] = loader


def workload_from_lowering(lower: Callable[[Path], list[Layer]]) -> Loader:
    """Adapt a compiler lowering `path -> list[Layer]` to a loader."""
    def load(path: Path, **_options) -> Workload:
        layers = lower(path)
        return Workload(name=path.stem, layers=tuple(layers), source=str(path))
    return load


def builtin_workloads() -> dict[str, str]:
    """Built-in workload names -> file names inside the package."""
    names = {}
    for entry in resources.files(BUILTIN_PACKAGE).iterdir():
        if entry.name.endswith((".csv", ".toml")):
            names[entry.name.rsplit(".", 1)[0]] = entry.name
    return dict(sorted(names.items()))


def load_workload(source: str | Path, *, symbols: dict[str, int] | None = None,
                  skip_malformed: bool = False) -> Workload:
    """Read a workload file or a built-in workload by name.

    `symbols` binds symbolic cells of SCALE-Sim templates; `skip_malformed` skips (and lists in
    `Workload.skipped`) CSV rows that do not parse instead of failing."""
    from .layer_list import read_layer_list
    from .scalesim_csv import read_scalesim_csv

    text = str(source)
    path = Path(text)
    if not path.exists() and "/" not in text and path.suffix == "":
        builtin = builtin_workloads().get(text)
        if builtin is None:
            raise WorkloadError(f"no workload file or built-in workload named {text!r} "
                                f"(built-ins: {', '.join(builtin_workloads())})")
        with resources.as_file(resources.files(BUILTIN_PACKAGE) / builtin) as file:
            return load_workload(file, symbols=symbols, skip_malformed=skip_malformed)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_scalesim_csv(path, symbols=symbols, skip_malformed=skip_malformed)
    if suffix == ".toml":
        return read_layer_list(path)
    if suffix == ".onnx" and suffix not in _LOADERS:
        _import_onnx_lowering()
    if suffix in _LOADERS:
        if not path.exists():
            raise WorkloadError(f"cannot read workload {path}: no such file")
        return _LOADERS[suffix](path, symbols=symbols, skip_malformed=skip_malformed)
    raise WorkloadError(f"{path}: unknown workload type {suffix or '(no suffix)'!r} (expected "
                        f".csv, .toml{''.join(', ' + s for s in sorted(_LOADERS))} or a built-in "
                        f"name)")


def _import_onnx_lowering() -> None:
    try:
        importlib.import_module(ONNX_LOWERING_MODULE)
    except ImportError as e:
        if isinstance(e, ModuleNotFoundError) and e.name and ONNX_LOWERING_MODULE.startswith(
                e.name):
            raise WorkloadError(f"ONNX workloads need the compiler's lowering "
                                f"({ONNX_LOWERING_MODULE}), which is not installed in this "
                                f"version") from None
        raise WorkloadError(f"cannot load the ONNX lowering {ONNX_LOWERING_MODULE}: {e}"
                            ) from None
    if ".onnx" not in _LOADERS:
        raise WorkloadError(f"{ONNX_LOWERING_MODULE} did not register an .onnx loader")
