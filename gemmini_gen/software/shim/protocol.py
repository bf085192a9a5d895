"""The wire format between the C shim (``software/shim/gemmini_shim.c``) and the shim server.

All integers are little-endian u64.

```
hello  C -> server  b"GMNISHM1", config hash (16 ASCII bytes: gemmini_params.h's
                    GEMMINI_GEN_CONFIG_HASH)
batch  C -> server  kind = 1, flags (bit 0: write back), commands N, buffers B;
                    B x (base, size); N x (funct, rs1, rs2); the bytes of each buffer in order
reply  server -> C  status (0 ok, 1 error), command index (2**64 - 1: none), responses R,
                    message length L; L bytes of UTF-8 message; R x response;
                    after an ok batch with write back: B x changed flag (0/1), then the bytes
                    of every changed buffer in order
```
The server answers the hello with a reply (no responses).  The C side closing its end is the
end of the session.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ...isa import Command

__all__ = ["Batch", "MAGIC", "NO_INDEX", "ProtocolError", "read_batch", "read_hello",
           "write_error", "write_reply"]

MAGIC = b"GMNISHM1"
KIND_BATCH = 1
FLAG_WRITE_BACK = 1
NO_INDEX = (1 << 64) - 1
_HELLO = struct.Struct("<8s16s")
_U64x4 = struct.Struct("<4Q")
_RANGE = np.dtype([("base", "<u8"), ("size", "<u8")])
_RECORD = np.dtype([("funct", "<u8"), ("rs1", "<u8"), ("rs2", "<u8")])
_MAX_BATCH_BYTES = 1 << 36        # a sanity limit on what one batch may claim to carry


class ProtocolError(ValueError):
    """Bytes from the C side that do not follow the protocol (one-line message)."""


@dataclass
class Batch:
    """One synchronisation's worth of work: commands, the registered buffers (host address,
    size) in registration order with their bytes, and whether to send changed buffers back."""

    commands: list[Command]
    buffers: list[tuple[int, int]]
    data: list[np.ndarray]
    write_back: bool


def _read(stream: BinaryIO, n: int, what: str, eof_ok: bool = False) -> bytes | None:
    data = stream.read(n) if n else b""
    if len(data) != n:
        if eof_ok and not data:
            return None
        raise ProtocolError(f"the program closed the connection in the middle of {what}")
    return data


def read_hello(stream: BinaryIO) -> str:
    """The config hash the C program was compiled for."""
    magic, config_hash = _HELLO.unpack(_read(stream, _HELLO.size, "the hello"))
    if magic != MAGIC:
        raise ProtocolError(f"not a gemmini-shim client (magic {magic!r}, expected {MAGIC!r})")
    return config_hash.decode("ascii", "replace").strip()


def read_batch(stream: BinaryIO) -> Batch | None:
    """The next batch, or None when the C side has closed the connection."""
    head = _read(stream, _U64x4.size, "a batch header", eof_ok=True)
    if head is None:
        return None
    kind, flags, n_commands, n_buffers = _U64x4.unpack(head)
    if kind != KIND_BATCH or flags & ~FLAG_WRITE_BACK:
        raise ProtocolError(f"bad batch header (kind {kind}, flags {flags:#x})")
    if (n_commands * _RECORD.itemsize + n_buffers * _RANGE.itemsize) > _MAX_BATCH_BYTES:
        raise ProtocolError(f"implausible batch ({n_commands} commands, {n_buffers} buffers)")
    ranges = np.frombuffer(_read(stream, n_buffers * _RANGE.itemsize, "the buffer table"),
                           dtype=_RANGE)
    records = np.frombuffer(_read(stream, n_commands * _RECORD.itemsize, "the commands"),
                            dtype=_RECORD)
    buffers = [(int(base), int(size)) for base, size in ranges.tolist()]
    if sum(size for _, size in buffers) > _MAX_BATCH_BYTES:
        raise ProtocolError("implausible buffer sizes")
    data = [np.frombuffer(_read(stream, size, "the buffer bytes"), dtype=np.uint8).copy()
            for _, size in buffers]
    commands = [Command(f, a, b) for f, a, b in records.tolist()]
    return Batch(commands, buffers, data, bool(flags & FLAG_WRITE_BACK))


def _header(status: int, index: int | None, responses, message: str) -> bytes:
    text = message.encode()
    values = np.asarray(responses, dtype=np.uint64).astype("<u8")
    return (_U64x4.pack(status, NO_INDEX if index is None else index, values.size, len(text))
            + text + values.tobytes())


def write_error(stream: BinaryIO, message: str, index: int | None = None) -> None:
    """An error reply: the C side prints `message` (one line) and exits."""
    stream.write(_header(1, index, [], " ".join(message.split())))
    stream.flush()


def write_reply(stream: BinaryIO, responses=(), changed: list[np.ndarray | None] | None = None
                ) -> None:
    """An ok reply with the COUNTER responses; `changed` (for a write-back batch) holds, per
    registered buffer, its new bytes or None if the accelerator did not change it."""
    parts = [_header(0, None, list(responses), "")]
    if changed is not None:
        parts.append(np.array([data is not None for data in changed], dtype="<u8").tobytes())
        parts += [data.tobytes() for data in changed if data is not None]
    stream.write(b"".join(parts))
    stream.flush()
