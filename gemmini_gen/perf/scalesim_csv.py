"""Parse SCALE-Sim topology CSVs (conv and `-i gemm` formats), quirks included.

Row formats (SCALE-Sim's own):
  conv:  `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
          Strides,` -- the IFMAP is already padded; the stride applies to both directions.
  gemm:  `Layer, M, N, K,` -- C[M, N] = A[M, K] @ B[K, N].

The files SCALE-Sim ships are less regular than that, and SCALE-Sim itself crashes on several of
them.  Accepted here:
  * a UTF-8 byte-order mark, CRLF line ends, tab-separated files;
  * blank rows, rows of empty cells, a missing trailing comma, stray spaces/tabs around cells;
  * extra columns (ignored) and a `Batch Size` column (multiplies M);
  * a `Sparsity` column (`N:M`; ignored: these models are dense);
  * `#...` comments in a trailing cell (`...,1,#dw`);
  * section rows that hold only a name (MLPERF.csv: the network name): later layers are named
    `section/layer`;
  * `DP` in a conv layer's name = depthwise, exactly as SCALE-Sim reads it: one single-channel
    convolution per input channel, each with `Num Filter` filters;
  * symbolic cells (LSTM templates use `B`, `H`, `D`) when a value for the symbol is given.
A row that still does not parse raises `WorkloadError` naming the file and line, or, with
`skip_malformed=True`, is skipped and reported in `Workload.skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from .layer import ConvShape, Layer, LayerError
from .workload import Workload, WorkloadError

__all__ = ["parse_scalesim_csv", "read_scalesim_csv"]

CONV_FIELDS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
               "Num Filter", "Strides")
GEMM_FIELDS = ("M", "N", "K")
_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_scalesim_csv(path: str | Path, *, symbols: Mapping[str, int] | None = None,
                      skip_malformed: bool = False, name: str | None = None) -> Workload:
    """Load a topology file; the workload is named after the file unless `name` is given."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WorkloadError(f"cannot read workload {path}: {e.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise WorkloadError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return parse_scalesim_csv(text, source=str(path), name=name or path.stem, symbols=symbols,
                              skip_malformed=skip_malformed)


def parse_scalesim_csv(text: str, *, source: str = "<csv>", name: str = "workload",
                       symbols: Mapping[str, int] | None = None,
                       skip_malformed: bool = False) -> Workload:
    symbols = dict(symbols or {})
    lines = text.lstrip("\ufeff").splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise WorkloadError(f"{source}: empty topology file")
    header_line = lines[header_index]
    delimiter = "," if "," in header_line or "\t" not in header_line else "\t"
    header = [cell.strip() for cell in header_line.split(delimiter)]
    lineno = header_index + 1
    if len(header) > 1 and "intraline" in header[1].lower():
        raise WorkloadError(f"{source}:{lineno}: this is a SCALE-Sim layout file (per-layer "
                            f"on-chip layouts), not a topology")
    is_gemm = [h.upper() for h in header[1:4]] == list(GEMM_FIELDS)
    fields = GEMM_FIELDS if is_gemm else CONV_FIELDS
    if not is_gemm and len([h for h in header if h]) < 1 + len(CONV_FIELDS):
        raise WorkloadError(f"{source}:{lineno}: unrecognized header: expected `Layer name, "
                            f"{', '.join(CONV_FIELDS)}` or `Layer, M, N, K`")
    batch_column = next((i for i, h in enumerate(header) if "batch" in h.lower()), None)

    layers: list[Layer] = []
    skipped: list[str] = []
    section = ""
    for index in range(header_index + 1, len(lines)):
        lineno = index + 1
        cells = _cells(lines[index], delimiter)
        if not cells:
            continue
        if all(c == "" for c in cells[1:]) and not _is_number(cells[0]):
            section = cells[0]
            continue
        try:
            layer = _parse_row(cells, fields, is_gemm, batch_column, symbols, section)
        except (WorkloadError, LayerError) as e:
            message = f"{source}:{lineno}: {e}"
            if not skip_malformed:
                raise WorkloadError(message) from None
            skipped.append(message)
            continue
        layers.append(layer)
    if not layers:
        raise WorkloadError(f"{source}: no layers")
    return Workload(name=name, layers=tuple(layers), source=source, skipped=tuple(skipped))


def _cells(line: str, delimiter: str) -> list[str]:
    """Stripped cells up to a `#` comment, without trailing empties ([] for a blank row)."""
    cells = []
    for raw in line.split(delimiter):
        cell = raw.strip()
        if cell.startswith("#"):
            break
        cells.append(cell)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _is_number(cell: str) -> bool:
    return cell.isdigit()


def _value(cell: str, field: str, symbols: Mapping[str, int]) -> int:
    if cell.isdigit():
        return int(cell)
    if _SYMBOL.fullmatch(cell):
        if cell in symbols:
            return symbols[cell]
        raise WorkloadError(f"{field} is the symbol {cell!r}, which has no value (give one, "
                            f"e.g. --symbol {cell}=64)")
    if cell == "":
        raise WorkloadError(f"{field} is empty")
    raise WorkloadError(f"{field} is not a non-negative integer: {cell!r}")


def _parse_row(cells: list[str], fields: tuple[str, ...], is_gemm: bool, batch_column: int | None,
               symbols: Mapping[str, int], section: str) -> Layer:
    label = cells[0]
    if not label:
        raise WorkloadError("the layer name is empty")
    if len(cells) < 1 + len(fields):
        raise WorkloadError(f"expected {len(fields)} numbers ({', '.join(fields)}) after the "
                            f"name, got {len(cells) - 1}")
    values = [_value(cell, field, symbols) for cell, field in zip(cells[1:], fields)]
    layer_name = f"{section}/{label}" if section else label
    if is_gemm:
        m, n, k = values
        return Layer.gemm(layer_name, m, n, k)
    batch = 1
    if batch_column is not None and batch_column < len(cells) and cells[batch_column]:
        batch = _value(cells[batch_column], "Batch Size", symbols)
    ih, iw, fh, fw, channels, filters, stride = values
    shape = ConvShape.scalesim(ifmap_h=ih, ifmap_w=iw, filter_h=fh, filter_w=fw,
                               channels=channels, num_filters=filters, stride_h=stride,
                               stride_w=stride, batch=batch, name=layer_name)
    if "DP" in label:
        return Layer.depthwise(layer_name, shape)
    return Layer.from_conv(layer_name, shape)
