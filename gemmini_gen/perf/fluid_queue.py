"""The bookkeeping of the `gemmini` schedule's fluid model (`pipeline_timing`): a reservation
station queue with the unit behind it, and when the stream of one step ran.

A unit works through the runs it is given in order, at its own rate; its queue holds `capacity`
commands, each until it completes (a load or store `lag` after the unit has issued it), so the
front end, which passes commands in program order, waits for an entry: all but the last
`capacity` commands given must be complete.  A step's stream (its A/B loads, its bias, its
computes, its stores) is given in pieces over the segments of the schedule; its span interpolates
when a fraction of its work was complete.
"""

from __future__ import annotations

__all__ = ["NEVER", "QueueUnit", "StreamSpan"]

NEVER = float("-inf")


class QueueUnit:
    """One queue and its unit: `free` is when it has done all the work it was given; `recent`
    its last runs (commands, start, end), from which `entry_free` tells when all but the last
    `capacity` commands given are complete (the front end waits for that); `given` counts the
    runs of the current segment."""

    __slots__ = ("name", "capacity", "lag", "free", "recent", "entry", "given")

    def __init__(self, name: str, capacity: int, lag: float):
        self.name, self.capacity, self.lag, self.free = name, capacity, lag, 0.0
        self.recent: list[tuple[float, float, float]] = []      # (commands, start, end)
        self.entry: float | None = NEVER                        # entry_free(), None: stale
        self.given = 0

    def run(self, issued: float, work: float, commands: float, first: float, last: float
            ) -> tuple[float, float]:
        # max() by comparisons: this runs some 100,000 times per network
        start = self.free
        if issued > start:
            start = issued
        if first > start:
            start = first
        end = start + work
        if last > end:
            end = last
        self.free = end
        recent = self.recent
        recent.append((commands, start, end))
        if len(recent) > 8:
            del recent[0]
        self.entry = None
        self.given += 1
        return start, end

    def close_segment(self, interleaved: bool = True) -> float:
        """The segment's runs were given interleaved (unless not `interleaved`: one after the
        other in the stream): count them as one; then `entry_free`."""
        pieces, self.given = self.given, 0
        if pieces > 1 and interleaved:
            runs = self.recent[-pieces:]
            del self.recent[-pieces:]
            self.recent.append((sum(r[0] for r in runs), runs[0][1], runs[-1][2]))
        return self.entry_free()

    def entry_free(self) -> float:
        """When the front end can pass the last command given: all but `capacity` of the
        commands before it are complete."""
        if self.entry is None:
            self.entry, left = NEVER, self.capacity
            for commands, start, end in reversed(self.recent):
                if commands > left:
                    self.entry = start + (end - start) * (commands - left) / commands + self.lag
                    break
                left -= commands
        return self.entry

    def next_entry(self) -> float:
        """When one more command can enter the queue: all but `capacity` - 1 of the commands
        given are complete."""
        left = self.capacity - 1
        for commands, start, end in reversed(self.recent):
            if commands > left:
                return start + (end - start) * (commands - left) / commands + self.lag
            left -= commands
        return NEVER


class StreamSpan:
    """When a stream of one step ran: `at(f)` is when its first fraction f (of the work of the
    whole stream, `total`) was complete -- by interpolation over the part given so far (the
    prologue's later k-groups are given after the first computes need the first one)."""

    __slots__ = ("start", "end", "lag", "total", "given")

    def __init__(self, lag: float, total: float):
        self.start, self.end, self.lag = None, NEVER, lag
        self.total, self.given = total, 0.0

    def add(self, start: float, end: float, work: float) -> None:
        if self.start is None:
            self.start = start
        self.end = end
        self.given += work

    def at(self, fraction: float) -> float:
        if self.start is None:
            return NEVER
        if self.given < self.total:
            fraction = min(1.0, fraction * self.total / self.given)
        return self.start + fraction * (self.end - self.start) + self.lag

    def done(self) -> float:
        """`at(1.0)`: when all of it was complete."""
        if self.start is None:
            return NEVER
        return self.start + (self.end - self.start) + self.lag
