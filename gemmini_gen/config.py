"""`GemminiConfig`: the single source of truth for one accelerator design point.

Every generated artefact (Verilog, the C header, the golden model, the performance model, reports) is
built from one frozen `GemminiConfig`.  Field names follow Gemmini's generator parameters (see the mapping
table in `docs/config.md`); derived sizes follow ISA.md section 1 exactly.

Construction validates everything and raises `ConfigError` with a one-line message naming the offending
field, so CLIs can print it verbatim.  This module imports nothing else from the package.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError", "Dataflow", "DTYPES", "GemminiConfig", "PRESETS", "preset", "preset_names",
]


class ConfigError(ValueError):
    """An invalid design point or a malformed config file (message is one line, names the field)."""


class Dataflow(str, enum.Enum):
    OS = "OS"       # output stationary: partial sums stay in the PEs
    WS = "WS"       # weight stationary: weights stay in the PEs, partial sums flow down
    BOTH = "BOTH"   # chosen per operation by CONFIG_EX

    def __str__(self) -> str:
        return self.value


# Signed integer element types: name -> width in bits.
DTYPES = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
INPUT_DTYPES = ("int8", "int16", "int32")
ACC_DTYPES = ("int32", "int64")
SCALE_TYPES = ("fp32", "none")

# The header's hard-coded MAX_BYTES (ISA.md section 1): limits multi-block mvin/mvout, independent of
# the DMA's dma_max_bytes.
MAX_BYTES = 64


def _is_pow2(n: int) -> bool:
    return isinstance(n, int) and n > 0 and n & (n - 1) == 0


@dataclass(frozen=True)
class GemminiConfig:
    """One accelerator design point.  All capacities are in KiB, widths in bits."""

    name: str = "default"

    # Array: DIM = tile_rows * mesh_rows = tile_cols * mesh_cols.
    tile_rows: int = 1
    tile_cols: int = 1
    mesh_rows: int = 16
    mesh_cols: int = 16
    input_dtype: str = "int8"
    acc_dtype: str = "int32"
    # Partial-sum width inside the array (Gemmini's spatialArrayOutputType).  None = the accumulator
    # width, the only width that matches the golden model bit for bit (ISA.md section 12, row 2).
    spatial_output_bits: int | None = None
    dataflow: Dataflow = Dataflow.BOTH
    tile_latency: int = 0
    mesh_output_delay: int = 1

    # Memories.
    sp_capacity_kib: int = 256
    sp_banks: int = 4
    sp_singleported: bool = True
    spad_read_delay: int = 4
    acc_capacity_kib: int = 64
    acc_banks: int = 2
    acc_latency: int = 2

    # DMA and control.
    dma_bus_bits: int = 128
    dma_max_bytes: int = 64
    max_in_flight: int = 16
    ld_queue_length: int = 8
    st_queue_length: int = 2
    ex_queue_length: int = 8
    rs_entries_ld: int = 8
    rs_entries_st: int = 4
    rs_entries_ex: int = 16

    # Scaling and features.
    mvin_scale: str = "fp32"        # scale on mvin of elem-sized data (HAS_MVIN_SCALE)
    mvin_scale_acc: str = "none"    # scale on mvin of acc-sized data (HAS_MVIN_ACC_SCALE)
    acc_scale: str = "fp32"         # scale on accumulator -> elem reads
    acc_read_full_width: bool = True
    acc_read_small_width: bool = True
    has_nonlinear_activations: bool = True
    has_max_pool: bool = True
    has_first_layer_optimizations: bool = True
    has_normalizations: bool = False
    num_counters: int = 8

    def __post_init__(self) -> None:
        # Accept plain strings for the dataflow (TOML/JSON/CLI) and store the enum.
        if not isinstance(self.dataflow, Dataflow):
            try:
                object.__setattr__(self, "dataflow", Dataflow(str(self.dataflow).upper()))
            except ValueError:
                raise ConfigError(
                    f"dataflow must be one of OS, WS, BOTH, got {self.dataflow!r}") from None
        self._validate()

    # ------------------------------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------------------------------
    def _validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("int", "int | None") and value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"{f.name} must be an integer, got {value!r}")
            if f.type == "bool" and not isinstance(value, bool):
                raise ConfigError(f"{f.name} must be true or false, got {value!r}")
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, got {self.name!r}")

        for f in ("tile_rows", "tile_cols", "mesh_rows", "mesh_cols"):
            if getattr(self, f) < 1:
                raise ConfigError(f"{f} must be >= 1, got {getattr(self, f)}")
        rows = self.tile_rows * self.mesh_rows
        cols = self.tile_cols * self.mesh_cols
        if rows != cols:
            raise ConfigError(f"the array must be square: tile_rows*mesh_rows = {rows} but "
                              f"tile_cols*mesh_cols = {cols}")
        if rows < 2 or not _is_pow2(rows):
            raise ConfigError(f"dim must be a power of two >= 2, got {rows}")

        if self.input_dtype not in INPUT_DTYPES:
            raise ConfigError(f"input dtype must be one of {', '.join(INPUT_DTYPES)}, "
                              f"got {self.input_dtype!r}")
        if self.acc_dtype not in ACC_DTYPES:
            raise ConfigError(f"acc dtype must be one of {', '.join(ACC_DTYPES)}, "
                              f"got {self.acc_dtype!r}")
        if self.acc_bits < self.input_bits:
            raise ConfigError(f"acc dtype ({self.acc_dtype}) must be at least as wide as the input "
                              f"dtype ({self.input_dtype})")
        if self.spatial_output_bits is not None and self.spatial_output_bits != self.acc_bits:
            raise ConfigError(
                f"spatial_output_bits must equal the accumulator width ({self.acc_bits}) so the array "
                f"matches the golden model bit for bit, got {self.spatial_output_bits}")
        for f in ("tile_latency",):
            if getattr(self, f) < 0:
                raise ConfigError(f"{f} must be >= 0, got {getattr(self, f)}")
        for f in ("mesh_output_delay", "spad_read_delay", "acc_latency"):
            if getattr(self, f) < 1:
                raise ConfigError(f"{f} must be >= 1, got {getattr(self, f)}")

        self._validate_memory("sp", self.sp_capacity_kib, self.sp_banks, self.input_bytes)
        self._validate_memory("acc", self.acc_capacity_kib, self.acc_banks, self.acc_bytes)
        if self.sp_rows < self.acc_rows:
            raise ConfigError(f"the scratchpad must hold at least as many rows as the accumulator "
                              f"({self.sp_rows} < {self.acc_rows})")

        if self.dma_bus_bits < 8 or not _is_pow2(self.dma_bus_bits):
            raise ConfigError(f"bus width must be a power of two >= 8 bits, got {self.dma_bus_bits}")
        if not _is_pow2(self.dma_max_bytes) or self.dma_max_bytes < self.dma_bus_bits // 8:
            raise ConfigError(f"dma_max_bytes must be a power of two >= one bus beat "
                              f"({self.dma_bus_bits // 8} bytes), got {self.dma_max_bytes}")
        if self.dma_max_bytes // (self.dma_bus_bits // 8) > 256:
            raise ConfigError(f"dma_max_bytes ({self.dma_max_bytes}) exceeds an AXI4 burst of 256 "
                              f"beats of {self.dma_bus_bits // 8} bytes")
        for f in ("max_in_flight", "ld_queue_length", "st_queue_length", "ex_queue_length",
                  "num_counters"):
            if getattr(self, f) < 1:
                raise ConfigError(f"{f} must be >= 1, got {getattr(self, f)}")
        for f in ("rs_entries_ld", "rs_entries_st", "rs_entries_ex"):
            if not _is_pow2(getattr(self, f)):
                raise ConfigError(f"{f} must be a power of two, got {getattr(self, f)}")

        for f in ("mvin_scale", "mvin_scale_acc", "acc_scale"):
            if getattr(self, f) not in SCALE_TYPES:
                raise ConfigError(f"{f} must be one of {', '.join(SCALE_TYPES)}, "
                                  f"got {getattr(self, f)!r}")
        if self.mvin_scale_acc != "none":
            raise ConfigError("mvin_scale_acc is not supported in this version (must be 'none')")
        if not (self.acc_read_full_width or self.acc_read_small_width):
            raise ConfigError("at least one of acc_read_full_width and acc_read_small_width must be on")
        if self.has_normalizations:
            raise ConfigError("has_normalizations (I-BERT units) is not supported in this version")

    def _validate_memory(self, kind: str, kib: int, banks: int, elem_bytes: int) -> None:
        label = "scratchpad" if kind == "sp" else "accumulator"
        if kib < 1:
            raise ConfigError(f"{kind}_capacity_kib must be >= 1, got {kib}")
        if banks < 1 or not _is_pow2(banks):
            raise ConfigError(f"{kind}_banks must be a power of two, got {banks}")
        row_bytes = self.dim * elem_bytes
        total = kib * 1024
        if total % (banks * row_bytes):
            raise ConfigError(f"{label} capacity {kib} KiB is not a whole number of {row_bytes}-byte "
                              f"rows per bank across {banks} banks")
        bank_rows = total // (banks * row_bytes)
        if not _is_pow2(bank_rows) or bank_rows % self.dim:
            raise ConfigError(f"{label} rows per bank ({bank_rows}) must be a power of two and a "
                              f"multiple of dim ({self.dim})")

    # ------------------------------------------------------------------------------------------
    # Derived values (ISA.md section 1); cached: the fields are frozen, and the models read these
    # in their inner loops
    # ------------------------------------------------------------------------------------------
    @cached_property
    def dim(self) -> int:
        return self.tile_rows * self.mesh_rows

    @cached_property
    def input_bits(self) -> int:
        return DTYPES[self.input_dtype]

    @cached_property
    def acc_bits(self) -> int:
        return DTYPES[self.acc_dtype]

    @cached_property
    def input_bytes(self) -> int:
        """ES: bytes per input element."""
        return self.input_bits // 8

    @cached_property
    def acc_bytes(self) -> int:
        """AS: bytes per accumulator element."""
        return self.acc_bits // 8

    @cached_property
    def elem_min(self) -> int:
        return -(1 << (self.input_bits - 1))

    @cached_property
    def elem_max(self) -> int:
        return (1 << (self.input_bits - 1)) - 1

    @cached_property
    def acc_min(self) -> int:
        return -(1 << (self.acc_bits - 1))

    @cached_property
    def acc_max(self) -> int:
        return (1 << (self.acc_bits - 1)) - 1

    @cached_property
    def sp_row_bytes(self) -> int:
        return self.dim * self.input_bytes

    @cached_property
    def acc_row_bytes(self) -> int:
        return self.dim * self.acc_bytes

    @cached_property
    def sp_bank_rows(self) -> int:
        """BANK_ROWS: rows per scratchpad bank."""
        return self.sp_capacity_kib * 1024 // (self.sp_banks * self.sp_row_bytes)

    @cached_property
    def acc_bank_rows(self) -> int:
        """ACC_BANK_ROWS: rows per accumulator bank."""
        return self.acc_capacity_kib * 1024 // (self.acc_banks * self.acc_row_bytes)

    @cached_property
    def sp_rows(self) -> int:
        return self.sp_banks * self.sp_bank_rows

    @cached_property
    def acc_rows(self) -> int:
        return self.acc_banks * self.acc_bank_rows

    @cached_property
    def sp_addr_bits(self) -> int:
        return math.ceil(math.log2(self.sp_rows))

    @cached_property
    def acc_addr_bits(self) -> int:
        return math.ceil(math.log2(self.acc_rows))

    @cached_property
    def addr_bits(self) -> int:
        """ADDR_BITS: width of the row field of a local address."""
        return max(self.sp_addr_bits, self.acc_addr_bits)

    @cached_property
    def max_block_len(self) -> int:
        """DIM-wide blocks per elem-width mvin/mvout (MAX_BLOCK_LEN)."""
        return MAX_BYTES // self.sp_row_bytes if self.sp_row_bytes <= MAX_BYTES else 1

    @cached_property
    def max_block_len_acc(self) -> int:
        """DIM-wide blocks per acc-width mvin/mvout (MAX_BLOCK_LEN_ACC)."""
        return MAX_BYTES // self.acc_row_bytes if self.acc_row_bytes <= MAX_BYTES else 1

    @cached_property
    def has_os(self) -> bool:
        return self.dataflow in (Dataflow.OS, Dataflow.BOTH)

    @cached_property
    def has_ws(self) -> bool:
        return self.dataflow in (Dataflow.WS, Dataflow.BOTH)

    @cached_property
    def bus_bytes(self) -> int:
        return self.dma_bus_bits // 8

    @cached_property
    def macs_per_cycle(self) -> int:
        return self.dim * self.dim

    # ------------------------------------------------------------------------------------------
    # Serialization and identity
    # ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (dataflow as its string), in declaration order."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.value if isinstance(value, Dataflow) else value
        return out

    def derived(self) -> dict[str, int]:
        """The derived sizes, for manifests and reports."""
        names = ("dim", "input_bytes", "acc_bytes", "sp_bank_rows", "acc_bank_rows", "sp_rows",
                 "acc_rows", "addr_bits", "max_block_len", "max_block_len_acc")
        return {n: getattr(self, n) for n in names}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config") -> "GemminiConfig":
        """Build from a dict (TOML/JSON).  A `preset` key starts from that preset; `dim` is
        shorthand for a mesh of 1x1 tiles.  Unknown keys are errors."""
        data = dict(data)
        base = preset(data.pop("preset")) if "preset" in data else GemminiConfig()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"dim"})
        if unknown:
            raise ConfigError(f"{source}: unknown config key(s): {', '.join(unknown)}")
        if "dim" in data:
            data.update(_dim_fields(data.pop("dim"), data.get("tile_rows", 1),
                                    data.get("tile_cols", 1)))
        return base.replace(**data)

    def with_dim(self, dim: int) -> "GemminiConfig":
        """A copy with array dimension `dim`, keeping the tile shape when it divides `dim`."""
        tr = self.tile_rows if dim % self.tile_rows == 0 else 1
        tc = self.tile_cols if dim % self.tile_cols == 0 else 1
        return self.replace(**_dim_fields(dim, tr, tc))

    def replace(self, **changes: Any) -> "GemminiConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "config.json") -> "GemminiConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{source}: malformed JSON: {e.msg} (line {e.lineno})") from None
        if isinstance(data, dict) and "config" in data and isinstance(data["config"], dict):
            data = data["config"]          # a config.json manifest written by gemmini-gen
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a JSON object")
        return cls.from_dict(data, source=source)

    def to_toml(self) -> str:
        lines = [f"# GemminiConfig {self.content_hash()}"]
        for key, value in self.to_dict().items():
            if value is None:
                continue
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int):
                text = str(value)
            else:
                text = json.dumps(value)
            lines.append(f"{key} = {text}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, *, source: str = "config.toml") -> "GemminiConfig":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{source}: malformed TOML: {e}") from None
        return cls.from_dict(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> "GemminiConfig":
        """Load a `.toml` or `.json` config file."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
        if path.suffix == ".json":
            return cls.from_json(text, source=str(path))
        return cls.from_toml(text, source=str(path))

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.write_text(self.to_json() if path.suffix == ".json" else self.to_toml())

    def content_hash(self) -> str:
        """Stable 16-hex-digit hash of the hardware parameters (the name is not part of it)."""
        data = self.to_dict()
        del data["name"]
        blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def slug(self) -> str:
        """A directory-friendly name: the preset name when equal to a preset, else a descriptive
        name with a short hash."""
        for pname, p in PRESETS.items():
            if p.content_hash() == self.content_hash():
                return pname
        return (f"dim{self.dim}_{self.input_dtype}_{self.dataflow.value.lower()}_"
                f"{self.content_hash()[:8]}")

    def __str__(self) -> str:
        return (f"{self.name}: DIM {self.dim} ({self.mesh_rows}x{self.mesh_cols} tiles of "
                f"{self.tile_rows}x{self.tile_cols}), {self.input_dtype}/{self.acc_dtype}, "
                f"{self.dataflow.value}, spad {self.sp_capacity_kib} KiB x{self.sp_banks}, "
                f"acc {self.acc_capacity_kib} KiB x{self.acc_banks}, bus {self.dma_bus_bits} b")


def _dim_fields(dim: Any, tile_rows: int, tile_cols: int) -> dict[str, int]:
    """Tile/mesh fields for an array of `dim` x `dim` PEs."""
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2 or not _is_pow2(dim):
        raise ConfigError(f"dim must be a power of two >= 2, got {dim}")
    for label, tile in (("tile_rows", tile_rows), ("tile_cols", tile_cols)):
        if not isinstance(tile, int) or tile < 1 or dim % tile:
            raise ConfigError(f"{label} ({tile}) must divide dim ({dim})")
    return {"tile_rows": tile_rows, "tile_cols": tile_cols,
            "mesh_rows": dim // tile_rows, "mesh_cols": dim // tile_cols}


# ----------------------------------------------------------------------------------------------
# Presets (CONFIG.md "Named design points")
# ----------------------------------------------------------------------------------------------
def _presets() -> dict[str, GemminiConfig]:
    d = GemminiConfig()
    chip = d.replace(name="chip", sp_capacity_kib=64, acc_capacity_kib=32, dataflow=Dataflow.WS,
                     mesh_output_delay=2)
    return {
        "default": d,
        "small": d.replace(name="small", mesh_rows=4, mesh_cols=4, sp_capacity_kib=16,
                           acc_capacity_kib=8, dma_bus_bits=64, max_in_flight=8),
        "small_os": d.replace(name="small_os", mesh_rows=4, mesh_cols=4, sp_capacity_kib=16,
                              acc_capacity_kib=8, dma_bus_bits=64, max_in_flight=8,
                              dataflow=Dataflow.OS),
        "small_ws": d.replace(name="small_ws", mesh_rows=4, mesh_cols=4, sp_capacity_kib=16,
                              acc_capacity_kib=8, dma_bus_bits=64, max_in_flight=8,
                              dataflow=Dataflow.WS),
        "medium": d.replace(name="medium", mesh_rows=8, mesh_cols=8, sp_capacity_kib=64,
                            acc_capacity_kib=16),
        "lean": d.replace(name="lean", dataflow=Dataflow.WS, max_in_flight=64,
                          acc_read_full_width=False),
        "chip": chip,
        "large_chip": chip.replace(name="large_chip", mesh_rows=32, mesh_cols=32,
                                   sp_capacity_kib=128, acc_capacity_kib=64),
        "paper_base": d.replace(name="paper_base", dataflow=Dataflow.OS, sp_capacity_kib=64,
                                acc_capacity_kib=16, sp_banks=4, acc_banks=1, dma_max_bytes=128),
    }


PRESETS: dict[str, GemminiConfig] = _presets()


def preset_names() -> list[str]:
    return list(PRESETS)


def preset(name: str) -> GemminiConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})") from None
