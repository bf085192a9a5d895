"""Reservation station: orders micro-ops across the LD, EX and ST queues by the local rows they touch
(ISA.md section 10.1).

Each queue is a ring of entries (``cfg.rs_entries_ld/ex/st``) with three pointers: *alloc* (the next
free entry), *issue* (the next entry to hand to its controller) and *done* (the oldest entry not
yet complete).  Controllers issue and complete their queue strictly in order, so an entry lives from
allocation until its controller reports it complete on ``done_<queue>``.

An entry records the row ranges it reads and writes (`Geometry.QUEUE_RANGES`).  When allocated, it
is compared with every live entry of the *other* queues -- all of them older -- and a dependency
bit is set for each one it has a RAW, WAR or WAW overlap with (same memory, intersecting ranges).
Those bits clear as the older entries complete; the entry at a queue's issue pointer is issued
once it has none left.  Dependencies only ever point at older entries, so the oldest live entry can
always proceed: the station cannot deadlock.  Within a queue the controller keeps program order
(the execute controller also interlocks on rows its own in-flight ops still have to write).

The comparison of a new entry with one older entry is a `RangeConflict`; with
``checks="instance"`` (the accelerator's choice) each of the six (new queue, older queue) kinds is
converted once as a combinational Verilog module and instantiated per entry, which makes the
station's RTLIL a third of its inline size (Verilator inlines it again).
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from ...config import GemminiConfig
from ..hierarchy import place
from .frontend import alloc_layout
from .uops import EX, LD, QUEUES, ST, Geometry

__all__ = ["RangeConflict", "ReservationStation", "overlaps"]

CHECKS = ("inline", "instance")
QUEUE_IDS = (LD, EX, ST)


def overlaps(a, b):
    """Whether two range views intersect (same memory, both valid, [lo, hi) intersecting)."""
    return a.valid & b.valid & (a.acc == b.acc) & (a.lo < b.hi) & (b.lo < a.hi)


def _reads(geo: Geometry, queue: int, ranges):
    return [ranges[f"r{i}"] for i in range(geo.QUEUE_RANGES[queue][0])]


def _write(geo: Geometry, queue: int, ranges):
    return ranges["w"] if geo.QUEUE_RANGES[queue][1] else None


def _conflict(geo: Geometry, new_q: int, new, old_q: int, old):
    """RAW, WAR or WAW between a new entry's ranges and an older entry's."""
    terms = []
    new_w, old_w = _write(geo, new_q, new), _write(geo, old_q, old)
    if new_w is not None:
        terms += [overlaps(new_w, r) for r in _reads(geo, old_q, old)]
        if old_w is not None:
            terms.append(overlaps(new_w, old_w))
    if old_w is not None:
        terms += [overlaps(r, old_w) for r in _reads(geo, new_q, new)]
    out = Const(0)
    for t in terms:
        out = out | t
    return out


def _conflict_signature(geo: Geometry, new_q: int, old_q: int) -> wiring.Signature:
    return wiring.Signature({"new": In(geo.queue_ranges_layout(new_q)),
                             "old": In(geo.queue_ranges_layout(old_q)), "conflict": Out(1)})


def _conflict_module(geo: Geometry, new_q: int, old_q: int) -> str:
    return f"gemmini_rs_{QUEUES[new_q]}_on_{QUEUES[old_q]}_r{geo.range_bits}"


class RangeConflict(wiring.Component):
    """Combinational: whether the ranges of a new entry of queue `new_q` have a RAW, WAR or WAW
    overlap with those of an older entry of queue `old_q`."""

    def __init__(self, geo: Geometry, new_q: int, old_q: int):
        if new_q not in QUEUE_IDS or old_q not in QUEUE_IDS or new_q == old_q:
            raise ValueError(f"queues must be two different of {QUEUE_IDS}, got {new_q!r}, "
                             f"{old_q!r}")
        self.geo, self.new_q, self.old_q = geo, new_q, old_q
        super().__init__(_conflict_signature(geo, new_q, old_q))

    @property
    def module_name(self) -> str:
        """One Verilog module per (new queue, older queue, range width)."""
        return _conflict_module(self.geo, self.new_q, self.old_q)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.conflict.eq(_conflict(self.geo, self.new_q, self.new, self.old_q,
                                               self.old))
        return m


class ReservationStation(wiring.Component):
    """Ports: ``alloc`` (from the front end), ``issue_ld/ex/st`` (to the controllers; the EX issue
    carries the op's read ranges for the controller's own interlock), ``done_ld/ex/st`` (one pulse
    per completed entry, in order), and for status and counters ``occupancy`` (live entries per
    queue), ``full`` and ``waiting`` (the queue's next entry waits for a dependency) per queue.
    `checks` places the `RangeConflict` comparisons inline or as Verilog instances."""

    def __init__(self, cfg: GemminiConfig, *, checks: str = "inline"):
        if not isinstance(cfg, GemminiConfig):
            raise TypeError(f"expected a GemminiConfig, got {cfg!r}")
        if checks not in CHECKS:
            raise ValueError(f"checks must be one of {', '.join(CHECKS)}, got {checks!r}")
        self.cfg = cfg
        self.checks = checks
        self.geo = geo = Geometry(cfg)
        self.sizes = (cfg.rs_entries_ld, cfg.rs_entries_ex, cfg.rs_entries_st)
        self.ex_issue_layout = data.StructLayout({"uop": geo.ex_uop_layout,
                                                  "ranges": geo.queue_ranges_layout(EX)})
        occupancy = data.StructLayout({q: range(n + 1) for q, n in zip(QUEUES, self.sizes)})
        flags = data.StructLayout({q: 1 for q in QUEUES})
        super().__init__({
            "alloc": In(stream.Signature(alloc_layout(geo))),
            "issue_ld": Out(stream.Signature(geo.ld_uop_layout)),
            "issue_ex": Out(stream.Signature(self.ex_issue_layout)),
            "issue_st": Out(stream.Signature(geo.st_uop_layout)),
            "done_ld": In(1), "done_ex": In(1), "done_st": In(1),
            "occupancy": Out(occupancy),
            "full": Out(flags),
            "waiting": Out(flags),
        })

    def verilog_modules(self) -> dict:
        """The `RangeConflict` modules (``checks="instance"``), for `gemmini_gen.emit.convert`."""
        if self.checks == "inline":
            return {}
        modules = {}
        for q in QUEUE_IDS:
            for p in QUEUE_IDS:
                if p != q:
                    check = RangeConflict(self.geo, q, p)
                    modules[check.module_name] = check
        return modules

    def elaborate(self, platform):
        geo = self.geo
        m = Module()
        queues = QUEUE_IDS
        sizes = self.sizes
        bits = [(n - 1).bit_length() for n in sizes]
        done_in = (self.done_ld, self.done_ex, self.done_st)
        issue_out = (self.issue_ld, self.issue_ex, self.issue_st)

        alloc_ptr = [Signal(b + 1, name=f"{QUEUES[q]}_alloc") for q, b in zip(queues, bits)]
        issue_ptr = [Signal(b + 1, name=f"{QUEUES[q]}_issue") for q, b in zip(queues, bits)]
        done_ptr = [Signal(b + 1, name=f"{QUEUES[q]}_done") for q, b in zip(queues, bits)]
        live = [Signal(n, name=f"{QUEUES[q]}_live") for q, n in zip(queues, sizes)]
        # One signal per entry (slicing one wide array signal costs its whole width per access
        # when the design is converted).
        ranges = [[Signal(geo.queue_ranges_layout(q), name=f"{QUEUES[q]}{k}_ranges")
                   for k in range(sizes[q])] for q in queues]
        # deps[q][p][k]: entry k of q waits for these entries of queue p != q.
        deps = {q: {p: [Signal(sizes[p], name=f"{QUEUES[q]}{k}_on_{QUEUES[p]}")
                        for k in range(sizes[q])]
                    for p in queues if p != q} for q in queues}

        def index(ptr, q):
            return ptr[:bits[q]] if bits[q] else Const(0)

        # Completion: clear the entry and every dependency on it.
        # (Every repeated term is a signal of its own, so the conversion builds it once.)
        completing = [Signal(sizes[q], name=f"{QUEUES[q]}_completing") for q in queues]
        remaining = [Signal(sizes[q], name=f"{QUEUES[q]}_remaining") for q in queues]
        staying = [Signal(sizes[q], name=f"{QUEUES[q]}_staying") for q in queues]
        for q in queues:
            m.d.comb += [completing[q].eq(done_in[q] << index(done_ptr[q], q)),
                         remaining[q].eq(~completing[q]),
                         staying[q].eq(live[q] & remaining[q])]
            with m.If(done_in[q]):
                m.d.sync += done_ptr[q].eq(done_ptr[q] + 1)

        # Allocation.
        new = self.alloc.payload
        count = [Signal(range(n + 1), name=f"{QUEUES[q]}_count") for q, n in zip(queues, sizes)]
        full = [Signal(name=f"{QUEUES[q]}_full") for q in queues]
        for q in queues:
            m.d.comb += [count[q].eq(alloc_ptr[q] - done_ptr[q]), full[q].eq(count[q] == sizes[q]),
                         self.occupancy[QUEUES[q]].eq(count[q]), self.full[QUEUES[q]].eq(full[q])]
        target_full = Signal()
        m.d.comb += target_full.eq(Mux(new.queue == LD, full[LD],
                                       Mux(new.queue == EX, full[EX], full[ST])))
        m.d.comb += self.alloc.ready.eq(~target_full)
        allocating = self.alloc.valid & self.alloc.ready

        payloads = []
        for q in queues:
            layout = geo.uop_layout(q)
            mem = memory.Memory(shape=layout, depth=sizes[q], init=[])
            m.submodules[f"{QUEUES[q]}_uops"] = mem
            wp, rp = mem.write_port(), mem.read_port(domain="comb")
            m.d.comb += [wp.addr.eq(index(alloc_ptr[q], q)), wp.data.eq(new.uop[QUEUES[q]]),
                         rp.addr.eq(index(issue_ptr[q], q))]
            payloads.append(rp.data)
            new_ranges = data.View(geo.queue_ranges_layout(q), Cat(
                *[new.ranges[name].as_value() for name in geo.queue_ranges_layout(q).members]))
            here = Signal(name=f"{QUEUES[q]}_allocating")
            allocated = Signal(sizes[q], name=f"{QUEUES[q]}_allocated")      # one-hot entry
            m.d.comb += [here.eq(allocating & (new.queue == q)), wp.en.eq(here),
                         allocated.eq(_one_hot(here, sizes[q], index(alloc_ptr[q], q)))]
            with m.If(here):
                m.d.sync += alloc_ptr[q].eq(alloc_ptr[q] + 1)
            for k in range(sizes[q]):
                with m.If(allocated[k]):
                    m.d.sync += ranges[q][k].eq(new_ranges)
            for p in queues:
                if p == q:
                    continue
                # A signal, so the comparison logic is built once, not once per entry below.
                conflicts = Signal(sizes[p], name=f"{QUEUES[q]}_new_on_{QUEUES[p]}")
                module = _conflict_module(geo, q, p) if self.checks == "instance" else None
                found = []
                for k in range(sizes[p]):
                    check = place(m, f"{QUEUES[q]}_new_on_{QUEUES[p]}{k}",
                                  _conflict_signature(geo, q, p),
                                  {"new": new_ranges, "old": ranges[p][k]}, module_name=module,
                                  build=lambda q=q, p=p: RangeConflict(geo, q, p), clocked=False)
                    found.append(check["conflict"])
                m.d.comb += conflicts.eq(staying[p] & Cat(found))
                for k in range(sizes[q]):
                    with m.If(allocated[k]):
                        m.d.sync += deps[q][p][k].eq(conflicts)
                    with m.Else():
                        m.d.sync += deps[q][p][k].eq(deps[q][p][k] & remaining[p])
            m.d.sync += live[q].eq((live[q] | allocated) & remaining[q])

        # Issue: the entry at the issue pointer, once it depends on nothing.
        for q in queues:
            pending = Signal(sizes[q], name=f"{QUEUES[q]}_blocked")
            for k in range(sizes[q]):
                any_dep = Const(0)
                for p in deps[q]:
                    any_dep = any_dep | (deps[q][p][k] != 0)
                m.d.comb += pending[k].eq(any_dep)
            head = index(issue_ptr[q], q)
            has_next = issue_ptr[q] != alloc_ptr[q]
            blocked = pending.bit_select(head, 1)
            port = issue_out[q]
            m.d.comb += [port.valid.eq(has_next & ~blocked),
                         self.waiting[QUEUES[q]].eq(has_next & blocked)]
            if q == EX:
                m.d.comb += [port.payload.uop.eq(payloads[q]),
                             port.payload.ranges.eq(Array(ranges[q])[head])]
            else:
                m.d.comb += port.payload.eq(payloads[q])
            with m.If(port.valid & port.ready):
                m.d.sync += issue_ptr[q].eq(issue_ptr[q] + 1)
        return m


def _one_hot(enable, width: int, position):
    """A `width`-bit value with bit `position` set when `enable` (else 0)."""
    return (enable << position)[:width]
