"""Sizes shared by the DMA reader, writer and burst splitter, and the typed layouts of their streams.

A DMA *request* is one DRAM row: ``nbytes`` (1 .. ``max_row_bytes``) contiguous bytes starting at any
byte address.  The DMA moves it as full-width AXI4 INCR bursts over the beat-aligned byte range that
covers it, split at every ``burst_bytes`` boundary (``burst_bytes = min(dma_max_bytes, 4096)``, a power of
two), so no burst is longer than ``dma_max_bytes`` and none crosses a 4 KiB page.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Shape, ShapeCastable, unsigned
from amaranth.lib import data
from amaranth.utils import bits_for, exact_log2

from ...config import GemminiConfig

__all__ = ["DMAParams", "max_dma_row_bytes", "read_request_layout", "read_response_layout", "write_request_layout",
           "write_done_layout", "check_tag_shape"]

AXI_PAGE_BYTES = 4096


@dataclass(frozen=True)
class DMAParams:
    """Geometry of one DMA engine.

    bus_bytes      bytes per AXI beat (data width / 8), a power of two
    max_row_bytes  largest request (bytes)
    burst_bytes    largest burst and split granule (power of two, <= 4096, >= bus_bytes)
    max_in_flight  AXI bursts outstanding at once (per engine)
    addr_width     AXI address width (physical byte addresses)
    id_width       AXI id width; every burst uses id `axi_id`, so responses arrive in order
    """

    bus_bytes: int
    max_row_bytes: int
    burst_bytes: int
    max_in_flight: int
    addr_width: int = 64
    id_width: int = 4
    axi_id: int = 0

    def __post_init__(self):
        def pow2(n):
            return isinstance(n, int) and n > 0 and n & (n - 1) == 0
        if not pow2(self.bus_bytes):
            raise ValueError(f"bus_bytes must be a power of two, got {self.bus_bytes!r}")
        if not pow2(self.burst_bytes) or not self.bus_bytes <= self.burst_bytes <= AXI_PAGE_BYTES:
            raise ValueError(f"burst_bytes must be a power of two in bus_bytes..4096, "
                             f"got {self.burst_bytes!r}")
        if self.burst_bytes // self.bus_bytes > 256:
            raise ValueError(f"burst_bytes {self.burst_bytes} exceeds 256 beats of {self.bus_bytes}")
        if not isinstance(self.max_row_bytes, int) or self.max_row_bytes < 1:
            raise ValueError(f"max_row_bytes must be a positive integer, got {self.max_row_bytes!r}")
        if not isinstance(self.max_in_flight, int) or self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight!r}")
        if not isinstance(self.addr_width, int) or not 13 <= self.addr_width <= 64:
            raise ValueError(f"addr_width must be in 13..64, got {self.addr_width!r}")
        if not isinstance(self.id_width, int) or not 1 <= self.id_width <= 32:
            raise ValueError(f"id_width must be in 1..32, got {self.id_width!r}")
        if not isinstance(self.axi_id, int) or not 0 <= self.axi_id < (1 << self.id_width):
            raise ValueError(f"axi_id {self.axi_id!r} does not fit in {self.id_width} bits")

    @classmethod
    def from_config(cls, cfg: GemminiConfig, *, addr_width: int = 64, id_width: int = 4,
                    axi_id: int = 0) -> "DMAParams":
        """The default geometry of a design point: rows as large as one MVIN/MVOUT row can be
        (`DIM*MAX_BLOCK_LEN*ES` elem rows, `DIM*MAX_BLOCK_LEN_ACC*AS` acc rows)."""
        return cls(bus_bytes=cfg.bus_bytes, max_row_bytes=max_dma_row_bytes(cfg),
                   burst_bytes=min(cfg.dma_max_bytes, AXI_PAGE_BYTES),
                   max_in_flight=cfg.max_in_flight, addr_width=addr_width, id_width=id_width,
                   axi_id=axi_id)

    @property
    def beat_shift(self) -> int:
        return exact_log2(self.bus_bytes)

    @property
    def burst_beats(self) -> int:
        """Beats in a full burst."""
        return self.burst_bytes // self.bus_bytes

    @property
    def max_row_beats(self) -> int:
        """Beats covering the largest request at the worst start offset."""
        return (self.bus_bytes - 1 + self.max_row_bytes + self.bus_bytes - 1) // self.bus_bytes

    @property
    def nbytes_width(self) -> int:
        return bits_for(self.max_row_bytes)

    @property
    def beats_width(self) -> int:
        return bits_for(self.max_row_beats)

    @property
    def max_row_bursts(self) -> int:
        """Bursts of the largest request at the worst start offset."""
        return (self.burst_bytes - self.bus_bytes + self.max_row_beats * self.bus_bytes
                + self.burst_bytes - 1) // self.burst_bytes

    # Python twins of the hardware's arithmetic, used by tests and the performance model.
    def row_beats(self, addr: int, nbytes: int) -> int:
        return ((addr % self.bus_bytes) + nbytes + self.bus_bytes - 1) // self.bus_bytes

    def row_bursts(self, addr: int, nbytes: int) -> list[tuple[int, int]]:
        """[(burst address, beats)] the DMA issues for a request."""
        cur = addr - addr % self.bus_bytes
        end = addr + nbytes
        out = []
        while cur < end:
            stop = min((cur // self.burst_bytes + 1) * self.burst_bytes, end)
            beats = (stop - cur + self.bus_bytes - 1) // self.bus_bytes
            out.append((cur, beats))
            cur += beats * self.bus_bytes
        return out


def max_dma_row_bytes(cfg: GemminiConfig) -> int:
    """Largest single DRAM row of one MVIN/MVOUT (ISA section 7.3 legal cols)."""
    return max(cfg.sp_row_bytes * cfg.max_block_len, cfg.acc_row_bytes * cfg.max_block_len_acc)


def check_tag_shape(tag_shape) -> Shape | ShapeCastable:
    if not isinstance(tag_shape, ShapeCastable):
        try:
            tag_shape = Shape.cast(tag_shape)
        except TypeError:
            raise TypeError(f"tag_shape must be a shape, got {tag_shape!r}") from None
    return tag_shape


def _bytes(n: int) -> data.ArrayLayout:
    return data.ArrayLayout(unsigned(8), n)


def read_request_layout(p: DMAParams, tag_shape) -> data.StructLayout:
    """{addr, nbytes, tag}: read `nbytes` bytes starting at byte address `addr`."""
    return data.StructLayout({"addr": unsigned(p.addr_width), "nbytes": unsigned(p.nbytes_width),
                              "tag": tag_shape})


def read_response_layout(p: DMAParams, tag_shape) -> data.StructLayout:
    """{data, tag, error}: data[i] = byte addr+i (bytes >= nbytes are undefined); error = some beat
    came back with SLVERR/DECERR."""
    return data.StructLayout({"data": _bytes(p.max_row_bytes), "tag": tag_shape,
                              "error": unsigned(1)})


def write_request_layout(p: DMAParams, tag_shape) -> data.StructLayout:
    """{addr, nbytes, data, tag}: write data[0 .. nbytes-1] to byte addresses addr .. addr+nbytes-1."""
    return data.StructLayout({"addr": unsigned(p.addr_width), "nbytes": unsigned(p.nbytes_width),
                              "data": _bytes(p.max_row_bytes), "tag": tag_shape})


def write_done_layout(p: DMAParams, tag_shape) -> data.StructLayout:
    """{tag, error}: every burst of the request got its B response (error = some response was not
    OKAY)."""
    return data.StructLayout({"tag": tag_shape, "error": unsigned(1)})
