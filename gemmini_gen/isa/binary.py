"""Binary form of a program: what the RTL testbench loads.

All integers little-endian; every section starts on an 8-byte boundary, padding is zero.

```
offset  size  header
0       8     magic b"GMNIPROG"
8       4     version (1)
12      4     header_bytes: offset of the command array (multiple of 8)
16      8     number of commands N
24      4     number of regions R
28      4     length of the program name in bytes (UTF-8)
32      4     length of the comment in bytes (UTF-8)
36      4     0
40      ...   R region records: base u64, size u64, name length u32, 0 u32, name (padded to 8)
        ...   name (padded to 8), comment (padded to 8)
header_bytes  N command records of 24 bytes: funct u64, rs1 u64, rs2 u64
```
`from_bytes(to_bytes(p)) == p` and `to_bytes(from_bytes(b)) == b` for every valid `b`.
"""

from __future__ import annotations

import struct

import numpy as np

from ..memory import Region
from .command import Command

__all__ = ["MAGIC", "ProgramFormatError", "RECORD_BYTES", "VERSION", "pack_program",
           "unpack_program"]

MAGIC = b"GMNIPROG"
VERSION = 1
RECORD_BYTES = 24
_HEADER = struct.Struct("<8sIIQIIII")
_REGION = struct.Struct("<QQII")
_RECORD = np.dtype([("funct", "<u8"), ("rs1", "<u8"), ("rs2", "<u8")])


class ProgramFormatError(ValueError):
    """Bytes that are not a valid binary program (one-line message)."""


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 8)


def pack_program(commands: list[Command], regions: list[Region], name: str, comment: str) -> bytes:
    name_b, comment_b = name.encode(), comment.encode()
    body = b""
    for region in regions:
        region_name = region.name.encode()
        body += _REGION.pack(region.base, region.size, len(region_name), 0) + _padded(region_name)
    body += _padded(name_b) + _padded(comment_b)
    header_bytes = _HEADER.size + len(body)
    header = _HEADER.pack(MAGIC, VERSION, header_bytes, len(commands), len(regions), len(name_b),
                          len(comment_b), 0)
    records = np.array([tuple(c) for c in commands], dtype=_RECORD) if commands else \
        np.zeros(0, dtype=_RECORD)
    return header + body + records.tobytes()


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ProgramFormatError(f"truncated binary program: {what} ends at byte "
                                     f"{self.pos + n}, file has {len(self.data)}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def text(self, n: int, what: str) -> str:
        raw = self.take(n, what)
        if any(self.take(-n % 8, f"{what} padding")):
            raise ProgramFormatError(f"non-zero padding after the {what}")
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise ProgramFormatError(f"the {what} is not valid UTF-8") from None


def unpack_program(data: bytes) -> tuple[list[Command], list[Region], str, str]:
    data = bytes(data)
    r = _Reader(data)
    magic, version, header_bytes, n, n_regions, name_len, comment_len, zero = _HEADER.unpack(
        r.take(_HEADER.size, "header"))
    if magic != MAGIC:
        raise ProgramFormatError(f"not a binary program (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION:
        raise ProgramFormatError(f"unsupported binary program version {version} (expected "
                                 f"{VERSION})")
    if zero:
        raise ProgramFormatError("reserved header word must be 0")
    regions = []
    for i in range(n_regions):
        base, size, length, pad = _REGION.unpack(r.take(_REGION.size, f"region {i}"))
        if pad:
            raise ProgramFormatError(f"reserved word of region {i} must be 0")
        regions.append(Region(r.text(length, f"name of region {i}"), base, size))
    name = r.text(name_len, "program name")
    comment = r.text(comment_len, "comment")
    if r.pos != header_bytes:
        raise ProgramFormatError(f"header_bytes is {header_bytes} but the header ends at {r.pos}")
    expected = header_bytes + n * RECORD_BYTES
    if len(data) != expected:
        raise ProgramFormatError(f"{n} commands need {expected} bytes, file has {len(data)}")
    records = np.frombuffer(data, dtype=_RECORD, count=n, offset=header_bytes)
    if n and int(records["funct"].max()) >= 128:
        bad = int(np.argmax(records["funct"] >= 128))
        raise ProgramFormatError(f"command {bad}: funct {int(records['funct'][bad])} does not fit "
                                 f"in 7 bits")
    commands = [Command(int(f), int(a), int(b)) for f, a, b in records.tolist()]
    return commands, regions, name, comment
