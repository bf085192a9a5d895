"""The shim server without C: host memory, address checks and relocation, config resolution, the
golden and replay sessions (the replay session on the golden backend must give exactly what the
stateful golden session gives), and the request loop over in-memory streams."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from gemmini_gen import isa, preset
from gemmini_gen.backend import get_backend
from gemmini_gen.config import ConfigError
from gemmini_gen.isa import IllegalInstruction, acc, sp
from gemmini_gen.software.shim import (Batch, GoldenSession, HostMemory, ReplaySession,
                                       check_commands, relocate, resolve_config, serve)
from gemmini_gen.software.shim.protocol import MAGIC, NO_INDEX

CFG = preset("small")
DIM = CFG.dim
A_BASE = 0x7FFD_1234_5010          # a stack-like address
B_BASE = 0x5555_0000_2004          # a data-segment-like address, far away
C_BASE = 0x5555_0000_3000


def _batch(commands, buffers: dict[int, np.ndarray], write_back=True) -> Batch:
    return Batch(list(commands), [(base, a.nbytes) for base, a in buffers.items()],
                 [a.view(np.uint8).reshape(-1).copy() for a in buffers.values()], write_back)


def _scenario():
    """Four batches with state carried across them and the host changing A in between; returns
    the batches as a function of the previous outcomes (the host applies write-backs)."""
    rng = np.random.default_rng(3)
    a1 = rng.integers(-128, 128, (DIM, DIM), dtype=np.int8)
    a2 = rng.integers(-128, 128, (DIM, DIM), dtype=np.int8)
    w = rng.integers(-128, 128, (DIM, DIM), dtype=np.int8)
    host = {A_BASE: a1.copy(), B_BASE: w.copy(), C_BASE: np.zeros((DIM, DIM), np.int32)}
    steps = [
        # load A (version 1) and the weights; configure everything; read a counter
        (lambda h: None, [isa.config_ld(DIM, block_stride=DIM), isa.config_st(DIM * 4),
                          isa.config_ex("WS"), isa.counter_configure(0, 9),
                          isa.mvin(A_BASE, sp(0), DIM, DIM), isa.mvin(B_BASE, sp(DIM), DIM, DIM),
                          isa.counter_read(0)]),
        # the host overwrites A; load it again (version 2); fence
        (lambda h: h[A_BASE].__setitem__(slice(None), a2),
         [isa.mvin(A_BASE, sp(2 * DIM), DIM, DIM), isa.fence()]),
        # compute with the first A (still in the scratchpad), store raw sums
        (lambda h: None, [isa.preload(sp(DIM), acc(0), DIM, DIM, DIM, DIM),
                          isa.compute_preloaded(sp(0), isa.GARBAGE, DIM, DIM, DIM, DIM),
                          isa.mvout(C_BASE, acc(0, read_full=True), DIM, DIM), isa.fence()]),
        # accumulate the second A's product onto it, store again
        (lambda h: None, [isa.preload(sp(DIM), acc(0, accumulate=True), DIM, DIM, DIM, DIM),
                          isa.compute_preloaded(sp(2 * DIM), isa.GARBAGE, DIM, DIM, DIM, DIM),
                          isa.mvout(C_BASE, acc(0, read_full=True), DIM, DIM),
                          isa.counter_read(0)]),
    ]
    expected = [a1.astype(np.int32) @ w, (a1.astype(np.int32) + a2) @ w]
    return host, steps, expected


def _drive(session, host, steps):
    """Run the steps on `session` like the C shim: apply write-backs to the host buffers."""
    outcomes = []
    for change, commands in steps:
        change(host)
        batch = _batch(commands, host)
        responses, changed = session.run(batch)
        for (base, array), new in zip(host.items(), changed):
            if new is not None:
                array.view(np.uint8).reshape(-1)[:] = new
        outcomes.append((responses, [None if c is None else c.tobytes() for c in changed],
                         host[C_BASE].tolist()))
    return outcomes


def test_replay_session_equals_the_stateful_golden_session():
    host, steps, expected = _scenario()
    golden = _drive(GoldenSession(CFG), host, steps)
    host, steps, _ = _scenario()
    replay_session = ReplaySession(get_backend("golden", CFG))
    replay = _drive(replay_session, host, steps)
    assert replay == golden
    assert golden[2][2] == expected[0].tolist() and golden[3][2] == expected[1].tolist()
    assert golden[0][0] == [0, 2] and golden[3][0] == [3]      # configure, then mvins counted
    assert golden[0][1] == [None, None, None]                  # nothing written back yet
    # A got a second version when the host changed it; B and C kept theirs; all packed low.
    names = [v.region.name for v in replay_session.versions]
    assert names == [f"host_{B_BASE:x}_v0", f"host_{C_BASE:x}_v1", f"host_{A_BASE:x}_v2",
                     f"host_{A_BASE:x}_v3"]
    assert max(v.region.end for v in replay_session.versions) < 1 << 20
    assert replay_session.replay.count(isa.fence()) == 3       # one FENCE between batches


def test_relocated_regions_keep_the_page_offset():
    host, steps, _ = _scenario()
    session = ReplaySession(get_backend("golden", CFG))
    _drive(session, host, steps[:1])
    for version in session.versions:
        host_base = int(version.region.name.split("_")[1], 16)
        assert version.region.base % 4096 == host_base % 4096


def test_errors_name_the_program_wide_command_index():
    host, steps, _ = _scenario()
    bad = [isa.mvin(A_BASE, sp(0), DIM, DIM + 1)]
    for session in (GoldenSession(CFG), ReplaySession(get_backend("golden", CFG))):
        _drive(session, {k: v.copy() for k, v in host.items()}, steps[:2])
        with pytest.raises(IllegalInstruction) as info:
            session.run(_batch([isa.fence()] + bad, host))
        assert info.value.index == len(steps[0][1]) + len(steps[1][1]) + 1
        assert str(info.value).endswith(f"rows: {DIM + 1} exceeds DIM ({DIM})")


def test_addresses_outside_registered_buffers_are_rejected():
    memory = HostMemory([(A_BASE, 16)], [np.zeros(16, np.uint8)])
    check_commands([isa.mvin(A_BASE + 15, sp(0), 1, 1), isa.mvin(0, sp(0), 4, 4)], memory, 0)
    with pytest.raises(IllegalInstruction) as info:
        check_commands([isa.fence(), *isa.loop_ws(1, 1, 1, 0, 0, 0, A_BASE, A_BASE + 16, 0, 0,
                                                   4, 4, 4, 4)], memory, 10)
    assert (info.value.index, info.value.field) == (12, "b")
    assert info.value.name == "loop_ws_config_addrs_ab"
    assert "0x7ffd12345020 is not inside a registered buffer" in str(info.value)
    with pytest.raises(IllegalInstruction, match="funct: 200 does not fit in 7 bits"):
        check_commands([isa.Command(200, 0, 0)], memory, 0)


def test_relocate_moves_only_dram_addresses():
    def move(addr):
        return addr - A_BASE + 0x1000

    commands = [isa.mvin(A_BASE + 4, acc(3), 4, 2), isa.mvout(0, sp(1), 4, 4),
                *isa.loop_ws(1, 2, 3, 0, 0, 0, A_BASE, A_BASE + 64, 0, A_BASE + 128, 16, 16, 0, 16),
                isa.config_ld(A_BASE, block_stride=4)]
    moved = [relocate(c, move) for c in commands]
    assert moved[0] == isa.mvin(0x1004, acc(3), 4, 2)
    assert moved[1] == commands[1]                                   # 0 stays 0
    assert moved[3] == isa.encode("loop_ws_config_addrs_ab", a=0x1000, b=0x1040)
    assert moved[4] == isa.encode("loop_ws_config_addrs_dc", d=0, c=0x1080)
    assert moved[2] == commands[2] and moved[5:] == commands[5:]     # not addresses


def test_host_memory_merges_overlaps_and_writes_back_per_buffer():
    outer = np.arange(64, dtype=np.uint8)
    memory = HostMemory([(0x2000, 64), (0x2010, 16), (0x3000, 8)],
                        [outer, outer[16:32].copy(), np.zeros(8, np.uint8)])
    assert [(r.name, r.base, r.size) for r in memory.regions] == [
        ("host_2000", 0x2000, 64), ("host_3000", 0x3000, 8)]
    final = {"host_2000": outer.copy(), "host_3000": np.zeros(8, np.uint8)}
    final["host_2000"][20] = 99
    changed = memory.changed_buffers(final)
    assert np.array_equal(changed[0], final["host_2000"])
    assert np.array_equal(changed[1], final["host_2000"][16:32]) and changed[2] is None
    mem = memory.memory()
    assert np.array_equal(mem.read(0x2000, 64), outer)


def test_config_comes_from_the_compiled_hash_or_gemmini_config(tmp_path):
    small = CFG.content_hash()
    assert resolve_config(small, {}) == CFG
    assert resolve_config(small, {"GEMMINI_CONFIG": "small"}) == CFG
    path = tmp_path / "mine.toml"
    CFG.replace(name="mine").save(path)
    assert resolve_config(small, {"GEMMINI_CONFIG": str(path)}).name == "mine"
    with pytest.raises(ConfigError, match="is not the config the program was compiled for"):
        resolve_config(small, {"GEMMINI_CONFIG": "default"})
    with pytest.raises(ConfigError, match="which is no preset: set GEMMINI_CONFIG"):
        resolve_config("0123456789abcdef", {})
    with pytest.raises(ConfigError, match="unknown preset"):
        resolve_config(small, {"GEMMINI_CONFIG": "nope"})


# ----------------------------------------------------------------------------------------------
# The request loop, with the bytes the C side would send
# ----------------------------------------------------------------------------------------------
def _request(commands, buffers: dict[int, np.ndarray], write_back=True) -> bytes:
    out = struct.pack("<4Q", 1, int(write_back), len(commands), len(buffers))
    out += b"".join(struct.pack("<2Q", base, a.nbytes) for base, a in buffers.items())
    out += b"".join(struct.pack("<3Q", *c) for c in commands)
    return out + b"".join(a.tobytes() for a in buffers.values())


def _replies(data: bytes, buffer_sizes: list[list[int]]):
    """Parse replies; buffer_sizes[i] lists the buffer sizes of the i-th batch (None: hello or an
    error reply)."""
    stream, out = io.BytesIO(data), []
    for sizes in buffer_sizes:
        status, index, n, length = struct.unpack("<4Q", stream.read(32))
        message = stream.read(length).decode()
        responses = list(struct.unpack(f"<{n}Q", stream.read(8 * n)))
        changed = []
        if status == 0 and sizes:
            flags = struct.unpack(f"<{len(sizes)}Q", stream.read(8 * len(sizes)))
            changed = [stream.read(size) if flag else None for flag, size in zip(flags, sizes)]
        out.append((status, index, message, responses, changed))
    assert stream.read() == b""
    return out


def test_serve_runs_batches_and_writes_back_changed_buffers():
    src = np.arange(DIM * DIM, dtype=np.int8)
    dst = np.zeros(DIM * DIM, dtype=np.int8)
    buffers = {A_BASE: src, B_BASE: dst}
    request = MAGIC + CFG.content_hash().encode() + _request(
        [isa.config_ld(DIM, block_stride=DIM), isa.config_st(DIM),
         isa.mvin(A_BASE, sp(0), DIM, DIM), isa.mvout(B_BASE, sp(0), DIM, DIM),
         isa.counter_read(1), isa.fence()], buffers)
    writer = io.BytesIO()
    assert serve(io.BytesIO(request), writer, {}) == 0
    hello, batch = _replies(writer.getvalue(), [None, [src.nbytes, dst.nbytes]])
    assert hello == (0, NO_INDEX, "", [], [])
    assert batch[:4] == (0, NO_INDEX, "", [0])
    assert batch[4] == [None, src.tobytes()]


def test_serve_reports_errors_in_one_reply():
    buffers = {A_BASE: np.zeros(16, np.int8)}
    hello = MAGIC + CFG.content_hash().encode()
    writer = io.BytesIO()
    bad = _request([isa.fence(), isa.mvin(A_BASE + 0x100, sp(0), 4, 4)], buffers)
    assert serve(io.BytesIO(hello + bad), writer, {}) == 1
    _, error = _replies(writer.getvalue(), [None, None])
    assert error[:2] == (1, 1) and error[2] == (
        "command 1 (mvin): dram: DRAM address 0x7ffd12345110 is not inside a registered buffer "
        "(gemmini_shim_buffer)")

    writer = io.BytesIO()
    assert serve(io.BytesIO(hello), writer, {"GEMMINI_BACKEND": "nope"}) == 1
    (error,) = _replies(writer.getvalue(), [None])
    assert error[0] == 1 and error[2] == "unknown backend 'nope' (choose from golden, rtl)"

    writer = io.BytesIO()
    assert serve(io.BytesIO(b"NOTSHIM!" + bytes(16)), writer, {}) == 1
    (error,) = _replies(writer.getvalue(), [None])
    assert error[0] == 1 and error[2].startswith("not a gemmini-shim client")
