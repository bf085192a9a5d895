"""AXI4 (full) interface signatures.

Members carry the AXI4 specification's own signal names (``araddr``, ``rready``, ...), so a
component's port flattens to ``<port>__araddr`` in the generated Verilog.  That is what AXI IP, FPGA
tools and cocotbext-axi's ``AxiBus.from_prefix(dut, "<port>_")`` expect, with no renaming wrapper.

* :class:`AXI4ReadSignature`  -- AR and R channels (a read-only master, e.g. the DMA reader).
* :class:`AXI4WriteSignature` -- AW, W and B channels (a write-only master, e.g. the DMA writer).
* :class:`AXI4Signature`      -- all five channels, flat (a full master such as the accelerator top).

All three are master-side signatures: use ``.flip()`` (``In(...)`` in a component annotation) for a
slave.  :func:`read_half` and :func:`write_half` view a full AXI4 interface as its read or write part,
so a read-only and a write-only master can share one full port::

    connect(m, flipped(read_half(self.axi)), reader.axi)    # forward inner master to the top port

Only the signals our masters and the memory model use are present: id, addr, len, size, burst on the
address channels, data/strb/last on W, resp on B and R.  Absent optional AXI4 signals take their
specification defaults (AxLOCK = normal, AxCACHE = 0, AxPROT = 0, AxQOS = 0, no user signals).
"""

from __future__ import annotations

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = [
    "AXI4ReadSignature", "AXI4WriteSignature", "AXI4Signature", "Burst", "Resp", "read_half",
    "write_half", "beat_size_code",
]


class Burst:
    """AxBURST encodings."""
    FIXED = 0b00
    INCR = 0b01
    WRAP = 0b10


class Resp:
    """xRESP encodings."""
    OKAY = 0b00
    EXOKAY = 0b01
    SLVERR = 0b10
    DECERR = 0b11


def beat_size_code(data_width: int) -> int:
    """AxSIZE for full-width beats of a `data_width`-bit bus (log2 of the bytes per beat)."""
    return (data_width // 8).bit_length() - 1


def _check(addr_width: int, data_width: int, id_width: int) -> None:
    if not isinstance(addr_width, int) or not 12 <= addr_width <= 64:
        raise ValueError(f"AXI4 address width must be an integer in 12..64, got {addr_width!r}")
    if (not isinstance(data_width, int) or data_width < 8 or data_width > 1024
            or data_width & (data_width - 1)):
        raise ValueError(f"AXI4 data width must be a power of two in 8..1024, got {data_width!r}")
    if not isinstance(id_width, int) or not 1 <= id_width <= 32:
        raise ValueError(f"AXI4 id width must be an integer in 1..32, got {id_width!r}")


def _read_members(addr_width: int, data_width: int, id_width: int) -> dict:
    return {
        "arid": Out(id_width), "araddr": Out(addr_width), "arlen": Out(8), "arsize": Out(3),
        "arburst": Out(2), "arvalid": Out(1), "arready": In(1),
        "rid": In(id_width), "rdata": In(data_width), "rresp": In(2), "rlast": In(1),
        "rvalid": In(1), "rready": Out(1),
    }


def _write_members(addr_width: int, data_width: int, id_width: int) -> dict:
    return {
        "awid": Out(id_width), "awaddr": Out(addr_width), "awlen": Out(8), "awsize": Out(3),
        "awburst": Out(2), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(data_width), "wstrb": Out(data_width // 8), "wlast": Out(1),
        "wvalid": Out(1), "wready": In(1),
        "bid": In(id_width), "bresp": In(2), "bvalid": In(1), "bready": Out(1),
    }


class _AXI4SignatureBase(wiring.Signature):
    def __init__(self, members: dict, addr_width: int, data_width: int, id_width: int):
        self._addr_width = addr_width
        self._data_width = data_width
        self._id_width = id_width
        super().__init__(members)

    @property
    def addr_width(self) -> int:
        return self._addr_width

    @property
    def data_width(self) -> int:
        return self._data_width

    @property
    def id_width(self) -> int:
        return self._id_width

    @property
    def beat_bytes(self) -> int:
        return self._data_width // 8

    def __eq__(self, other):
        return (type(self) is type(other) and self.addr_width == other.addr_width
                and self.data_width == other.data_width and self.id_width == other.id_width)

    def __hash__(self):
        return hash((type(self), self.addr_width, self.data_width, self.id_width))

    def __repr__(self):
        return (f"{type(self).__name__}(addr_width={self.addr_width}, "
                f"data_width={self.data_width}, id_width={self.id_width})")


class AXI4ReadSignature(_AXI4SignatureBase):
    """Master side of the AXI4 read channels (AR, R)."""

    def __init__(self, *, addr_width: int = 64, data_width: int = 128, id_width: int = 4):
        _check(addr_width, data_width, id_width)
        super().__init__(_read_members(addr_width, data_width, id_width),
                         addr_width, data_width, id_width)


class AXI4WriteSignature(_AXI4SignatureBase):
    """Master side of the AXI4 write channels (AW, W, B)."""

    def __init__(self, *, addr_width: int = 64, data_width: int = 128, id_width: int = 4):
        _check(addr_width, data_width, id_width)
        super().__init__(_write_members(addr_width, data_width, id_width),
                         addr_width, data_width, id_width)


class AXI4Signature(_AXI4SignatureBase):
    """Master side of a full AXI4 interface (AW, W, B, AR, R), flat AXI signal names."""

    def __init__(self, *, addr_width: int = 64, data_width: int = 128, id_width: int = 4):
        _check(addr_width, data_width, id_width)
        super().__init__({**_write_members(addr_width, data_width, id_width),
                          **_read_members(addr_width, data_width, id_width)},
                         addr_width, data_width, id_width)


class _HalfView:
    """An interface object exposing a subset of another AXI4 interface's signals."""

    def __init__(self, signature: wiring.Signature, source):
        self.signature = signature
        for name in signature.members:
            setattr(self, name, getattr(source, name))


def _half(bus, half_cls):
    sig = bus.signature
    flipped = isinstance(sig, wiring.FlippedSignature)
    base = sig.flip() if flipped else sig
    if not isinstance(base, _AXI4SignatureBase):
        raise TypeError(f"expected an AXI4 interface, got one with signature {sig!r}")
    half = half_cls(addr_width=base.addr_width, data_width=base.data_width, id_width=base.id_width)
    return _HalfView(half.flip() if flipped else half, bus)


def read_half(bus) -> _HalfView:
    """The AR/R part of a full AXI4 interface `bus` (master or slave side), as an interface object."""
    return _half(bus, AXI4ReadSignature)


def write_half(bus) -> _HalfView:
    """The AW/W/B part of a full AXI4 interface `bus` (master or slave side), as an interface object."""
    return _half(bus, AXI4WriteSignature)
