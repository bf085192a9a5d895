"""`ReservationStation` in amaranth.sim: random micro-ops with random, often overlapping row ranges,
controllers that take issued entries with random back-pressure and complete them in order after
random delays.

Checked: every entry is issued exactly once, in order within its queue; no entry is issued while an
older entry of another queue that it overlaps (RAW, WAR, WAW on the same memory) is incomplete;
entries that overlap nothing older are not held back beyond the issue of their queue's previous
entry; and the whole stream drains (a watchdog fails the test naming the queues that still hold
entries).
"""

from __future__ import annotations

import gc
import random

import pytest
from amaranth.sim import Simulator

from gemmini_gen.config import preset
from gemmini_gen.hw.ctrl.reservation import RangeConflict, ReservationStation
from gemmini_gen.hw.ctrl.uops import EX, LD, QUEUES, ST, Geometry

STALL_LIMIT = 500
READS = {LD: 0, EX: 3, ST: 1}
WRITES = {LD: True, EX: True, ST: False}


def _range(rng: random.Random, span: int):
    if rng.random() < 0.2:
        return {"valid": 0, "acc": 0, "lo": 0, "hi": 0}
    lo = rng.randrange(span)
    return {"valid": 1, "acc": int(rng.random() < 0.3), "lo": lo,
            "hi": lo + rng.randrange(1, 6)}


def _overlap(a, b) -> bool:
    return bool(a["valid"] and b["valid"] and a["acc"] == b["acc"] and a["lo"] < b["hi"]
                and b["lo"] < a["hi"])


def _conflict(new, old) -> bool:
    """RAW, WAR or WAW between two micro-ops (dicts with 'reads' and 'write')."""
    if new["write"] and any(_overlap(new["write"], r) for r in old["reads"]):
        return True
    if old["write"] and any(_overlap(r, old["write"]) for r in new["reads"]):
        return True
    return bool(new["write"] and old["write"] and _overlap(new["write"], old["write"]))


def _uops(rng: random.Random, count: int, span: int):
    out = []
    for seq in range(count):
        q = rng.choice((LD, EX, EX, ST))
        reads = [_range(rng, span) for _ in range(READS[q])]
        write = _range(rng, span) if WRITES[q] else None
        out.append({"seq": seq, "queue": q, "reads": reads, "write": write})
    return out


def _payload(uop):
    """The alloc payload: the sequence number rides in a field the station passes through."""
    names = ("r0", "r1", "r2")
    empty = {"valid": 0, "acc": 0, "lo": 0, "hi": 0}
    ranges = {n: (uop["reads"][i] if i < len(uop["reads"]) else empty) for i, n in enumerate(names)}
    ranges["w"] = uop["write"] or empty
    q = uop["queue"]
    field = {LD: ("ld", {"dram": uop["seq"]}), EX: ("ex", {"c": {"stride": uop["seq"]}}),
             ST: ("st", {"dram": uop["seq"]})}[q]
    return {"queue": q, "ranges": ranges, "uop": {field[0]: field[1]}}


def _issued_seq(ctx, port, q):
    p = ctx.get(port.payload)
    return p.uop.c.stride if q == EX else p.dram


@pytest.mark.parametrize("sizes,seed", [((8, 16, 4), 1), ((2, 4, 1), 2), ((1, 1, 1), 3),
                                        ((4, 2, 2), 4)])
def test_reservation_station_orders_by_overlap(sizes, seed):
    cfg = preset("small").replace(rs_entries_ld=sizes[0], rs_entries_ex=sizes[1],
                                  rs_entries_st=sizes[2])
    rng = random.Random(seed)
    uops = _uops(rng, 400, span=40)
    dut = ReservationStation(cfg)
    ports = {LD: dut.issue_ld, EX: dut.issue_ex, ST: dut.issue_st}
    dones = {LD: dut.done_ld, EX: dut.done_ex, ST: dut.done_st}
    completed_at: dict[int, int] = {}           # seq -> cycle of its done pulse
    allocated_at: dict[int, int] = {}           # seq -> cycle of its alloc handshake
    issued: list[int] = []
    problems: list[str] = []

    async def testbench(ctx):
        in_flight = {q: [] for q in (LD, EX, ST)}      # [seq, cycles left] in issue order
        expected_next = {q: [u["seq"] for u in uops if u["queue"] == q] for q in (LD, EX, ST)}
        pending = list(uops)
        gap = 0
        idle = 0
        for cycle in range(100_000):
            if len(completed_at) == len(uops):
                return
            offering = bool(pending) and gap == 0
            ctx.set(dut.alloc.valid, offering)
            if offering:
                ctx.set(dut.alloc.payload, _payload(pending[0]))
            ready = {q: rng.random() < 0.7 for q in in_flight}
            for q, port in ports.items():
                ctx.set(port.ready, ready[q])
            for q, flight in in_flight.items():          # in-order completions
                done = bool(flight) and flight[0][1] <= 0
                ctx.set(dones[q], done)
                if done:
                    completed_at[flight.pop(0)[0]] = cycle
                for item in flight:
                    item[1] -= 1
            progress = False
            for q, port in ports.items():
                head = expected_next[q][0] if expected_next[q] else None
                free = head is not None and head in allocated_at and all(
                    completed_at.get(o["seq"], cycle) < cycle for o in uops[:head]
                    if o["queue"] != q and _conflict(uops[head], o))
                valid = ctx.get(port.valid)
                if free and not valid:
                    problems.append(f"cycle {cycle}: {QUEUES[q]} entry {head} held back")
                if valid and ready[q]:
                    seq = _issued_seq(ctx, port, q)
                    if seq != head:
                        problems.append(f"{QUEUES[q]} issued {seq}, expected {head}")
                        return
                    expected_next[q].pop(0)
                    blockers = [o["seq"] for o in uops[:seq] if o["queue"] != q
                                and completed_at.get(o["seq"], cycle) >= cycle
                                and _conflict(uops[seq], o)]
                    if blockers:
                        problems.append(f"{seq} issued before conflicting {blockers}")
                    issued.append(seq)
                    in_flight[q].append([seq, rng.randrange(0, 12)])
                    progress = True
            if offering and ctx.get(dut.alloc.ready):
                allocated_at[pending.pop(0)["seq"]] = cycle
                gap = rng.choice((0, 0, 0, 1, 3))
                progress = True
            elif gap:
                gap -= 1
            idle = 0 if progress or any(ctx.get(d) for d in dones.values()) else idle + 1
            if idle > STALL_LIMIT:
                stuck = [QUEUES[q] for q in in_flight if expected_next[q]]
                problems.append(f"no progress for {STALL_LIMIT} cycles; queues holding entries: "
                                f"{stuck}; {len(completed_at)} of {len(uops)} completed")
                return
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert not problems, problems[:5]
    assert sorted(issued) == list(range(len(uops)))


def test_ranges_layout_per_queue():
    """The station keeps only the ranges a queue uses: MVIN writes, MVOUT reads, ops do both."""
    geo = Geometry(preset("small"))
    assert list(geo.queue_ranges_layout(LD).members) == ["w"]
    assert list(geo.queue_ranges_layout(ST).members) == ["r0"]
    assert list(geo.queue_ranges_layout(EX).members) == ["r0", "r1", "r2", "w"]


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")   # listed, not converted
def test_conflict_checks_as_verilog_modules():
    """``checks="instance"`` lists one combinational `RangeConflict` module per (new queue, older
    queue); inline checks list none; bad arguments are refused.  (The instances are simulated by the
    full-accelerator tests against the golden model.)"""
    _check_conflict_modules()
    gc.collect()            # finalise the listed objects while their warning is filtered


def _check_conflict_modules():
    cfg = preset("small")
    modules = ReservationStation(cfg, checks="instance").verilog_modules()
    pairs = {(c.new_q, c.old_q) for c in modules.values()}
    assert pairs == {(q, p) for q in (LD, EX, ST) for p in (LD, EX, ST) if p != q}
    assert all(isinstance(c, RangeConflict) and name == c.module_name
               for name, c in modules.items())
    assert ReservationStation(cfg).verilog_modules() == {}
    with pytest.raises(ValueError, match="checks must be one of inline, instance"):
        ReservationStation(cfg, checks="verilog")
    with pytest.raises(ValueError, match="queues must be two different"):
        RangeConflict(Geometry(cfg), LD, LD)
