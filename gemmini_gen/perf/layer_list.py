"""Layer-list workloads in TOML: plain GEMM lists and convolutions with real padding.

```toml
name = "digits_cnn"                 # optional; default: the file name

[[layer]]                           # C[M, N] = A[M, K] @ B[K, N]
kind = "gemm"
name = "fc"
M = 1
N = 10
K = 64

[[layer]]                           # NHWC convolution, floor rounding (ONNX semantics)
kind = "conv"                       # or "depthwise": one conv per channel, `filters` per channel
name = "conv1"
ifmap = [8, 8]                      # unpadded height, width (an integer means square)
channels = 1
filters = 8
kernel = 3                          # or [height, width]
stride = 1                          # optional, default 1; or [h, w]
pad = 1                             # optional, default 0; or [h, w] (symmetric)
batch = 1                           # optional
```
Errors name the file and the line of the offending key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .layer import ConvShape, Layer, LayerError
from .toml_lines import TomlLines
from .workload import Workload, WorkloadError

__all__ = ["parse_layer_list", "read_layer_list"]

GEMM_KEYS = {"kind", "name", "M", "N", "K"}
CONV_KEYS = {"kind", "name", "ifmap", "channels", "filters", "kernel", "stride", "pad", "batch"}
CONV_REQUIRED = ("ifmap", "channels", "filters", "kernel")


def read_layer_list(path: str | Path) -> Workload:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise WorkloadError(f"cannot read workload {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise WorkloadError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return parse_layer_list(text, source=str(path), default_name=path.stem)


def parse_layer_list(text: str, *, source: str = "<toml>", default_name: str = "workload"
                     ) -> Workload:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WorkloadError(f"{source}: malformed TOML: {e}") from None
    where = TomlLines(text)

    def fail(message: str, *path) -> WorkloadError:
        line = where.nearest(*path)
        return WorkloadError(f"{source}:{line}: {message}" if line else f"{source}: {message}")

    unknown = sorted(set(data) - {"name", "layer", "description"})
    if unknown:
        raise fail(f"unknown top-level key {unknown[0]!r} (expected name, description, "
                   f"[[layer]])", unknown[0])
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise fail("name must be a non-empty string", "name")
    entries = data.get("layer")
    if not isinstance(entries, list) or not entries:
        raise fail("a layer list needs at least one [[layer]] table")
    layers = []
    for index, entry in enumerate(entries):
        path = (("layer", index),)
        try:
            layers.append(_layer(entry, index, fail, path))
        except LayerError as e:
            raise fail(str(e), *path) from None
    return Workload(name=name, layers=tuple(layers), source=source)


def _layer(entry: dict[str, Any], index: int, fail, path: tuple) -> Layer:
    kind = entry.get("kind")
    name = entry.get("name", f"layer{index}")
    if not isinstance(name, str) or not name:
        raise fail("name must be a non-empty string", *path, "name")
    allowed = GEMM_KEYS if kind == "gemm" else CONV_KEYS
    if kind not in ("gemm", "conv", "depthwise"):
        raise fail(f"{name}: kind must be gemm, conv or depthwise, got {kind!r}", *path, "kind")
    for key in entry:
        if key not in allowed:
            raise fail(f"{name}: unknown key {key!r} for a {kind} layer (expected "
                       f"{', '.join(sorted(allowed - {'kind', 'name'}))})", *path, key)

    def is_int(value: Any, minimum: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= minimum

    def integer(key: str, default: int | None = None) -> int:
        value = entry.get(key, default)
        if value is None:
            raise fail(f"{name}: missing key {key!r}", *path)
        if not is_int(value, 1):
            raise fail(f"{name}: {key} must be a positive integer, got {value!r}", *path, key)
        return value

    def pair(key: str, default: int | None = None, minimum: int = 1) -> tuple[int, int]:
        value = entry.get(key, default)
        if value is None:
            raise fail(f"{name}: missing key {key!r}", *path)
        values = value if isinstance(value, list) else [value, value]
        if len(values) != 2 or not all(is_int(v, minimum) for v in values):
            kind_of = "positive" if minimum else "non-negative"
            raise fail(f"{name}: {key} must be a {kind_of} integer or [height, width], got "
                       f"{value!r}", *path, key)
        return values[0], values[1]

    if kind == "gemm":
        return Layer.gemm(name, integer("M"), integer("N"), integer("K"))
    (ih, iw), (kh, kw) = pair("ifmap"), pair("kernel")
    (sh, sw), (ph, pw) = pair("stride", 1), pair("pad", 0, minimum=0)
    shape = ConvShape.standard(ifmap_h=ih, ifmap_w=iw, filter_h=kh, filter_w=kw,
                               channels=integer("channels"), num_filters=integer("filters"),
                               stride_h=sh, stride_w=sw, pad_h=ph, pad_w=pw,
                               batch=integer("batch", 1), name=name)
    return Layer.depthwise(name, shape) if kind == "depthwise" else Layer.from_conv(name, shape)
