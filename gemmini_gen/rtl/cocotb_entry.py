"""cocotb entry module of the `rtl` backend: runs jobs (program + memory image) on the harness.

The backend writes a setup JSON and names it in $GEMMINI_RTL_SETUP:

    {"bus_bytes", "memory_bytes", "memory": "model" | "axiram", "hdl_clock", "cmd_depth",
     "resp_depth", "path_bytes", "watchdog", "max_burst_bytes", "seed", "pause", "wall_limit_s",
     "results",
     "jobs": [{"name", "commands" (file of 24-byte records), "preamble" (such a file | null),
               "image" (load file of the memory model | null), "image_bin" (raw bytes for axiram | null),
               "image_offset", "dump" (file), "stall_after"}]}

Per job: run the preamble (a clean slate for programs after the first) as a phase of its own, then
the program.  Per phase: reset the harness (the accelerator's control state; memories keep their
contents) and, in reset, load the memory image and the first commands into the ring; then sleep on
Timers (Python idle) and wake every few thousand cycles to refill the ring, collect COUNTER
responses and look at `done`, `stuck` and `error`.  At the end: read the counters, dump the memory.
A stuck job (watchdog) or a job over its wall-clock limit ends the run; the results JSON records
what happened either way.  Python only writes levels and holds pulses for two cycles: with the
clock running in HDL, a write made in a `RisingEdge` callback may already count for that edge.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Timer

from gemmini_gen.hw.axi_memory import encode_path
from gemmini_gen.hw.ctrl.interface import ERROR_LAYOUT, STATUS_UNITS, ErrorCause
from gemmini_gen.rtl.build import PERIOD_NS
from gemmini_gen.rtl.command_feeder import RECORD_BYTES, ring_segment
from gemmini_gen.rtl.harness import COUNTERS

SETUP_ENV = "GEMMINI_RTL_SETUP"
FIRST_POLL, MAX_POLL = 64, 4096        # cycles between Python wake-ups (doubling)


def _field(value: int, layout, name: str) -> int:
    f = layout[name]
    return (value >> f.offset) & ((1 << f.width) - 1)


class Session:
    """The harness as the jobs see it."""

    def __init__(self, dut, setup: dict) -> None:
        self.dut, self.setup = dut, setup
        self.depth = setup["cmd_depth"]
        self.path_bytes = setup["path_bytes"]
        self.work = Path(setup["results"]).parent
        self.memory = None
        if setup["memory"] == "axiram":
            from gemmini_gen.rtl.python_memory import PythonMemory

            self.memory = PythonMemory(dut, setup["memory_bytes"], setup["bus_bytes"],
                                       setup["max_burst_bytes"], setup["seed"], setup["pause"])
            cocotb.start_soon(self.memory.check_protocol())

    async def start(self, job: dict | None, records: np.ndarray, tag: str) -> int:
        """Reset the harness, load the job's memory image (unless `job` is None) and the first
        commands while in reset, and release it; returns the number of commands loaded."""
        dut = self.dut
        for name in ("cmd_load", "cmd_limit", "resp_consumed", "resp_addr",
                     *(("mem_load", "mem_dump") if self.memory is None else ())):
            getattr(dut, name).value = 0
        dut.cmd_total.value = len(records)
        dut.watchdog.value = self.setup["watchdog"]
        dut.mem_stall_after.value = job["stall_after"] if job else 0
        dut.reset.value = 1
        await ClockCycles(dut.clk, 3)
        if job:
            await self.load_image(job)
        loaded = await self.refill(records, 0, 0, tag)
        dut.reset.value = 0
        await ClockCycles(dut.clk, 2)
        return loaded

    async def backdoor(self, port: str, path: Path) -> None:
        """Raise `port` with `path` on the shared path input; return once the storage has acted
        on it.  The port stays high for two clock edges (a repeated load or dump of the same file
        is harmless), so the pulse is seen whichever side of an edge the writes land on; the
        harness registers its inputs, so the storage acts a cycle later."""
        self.dut.path.value = encode_path(path, self.path_bytes)
        getattr(self.dut, port).value = 1
        await ClockCycles(self.dut.clk, 2)
        getattr(self.dut, port).value = 0
        await ClockCycles(self.dut.clk, 3)

    async def refill(self, records: np.ndarray, loaded: int, fed: int, tag: str) -> int:
        """Load as many further records as the ring has free slots; returns the new count."""
        count = min(len(records) - loaded, self.depth - (loaded - fed))
        if count <= 0:
            return loaded
        parts, start = [], loaded
        while start < loaded + count:          # split where the ring wraps
            slot = start % self.depth
            n = min(loaded + count - start, self.depth - slot)
            parts.append(ring_segment(records[start:start + n], slot))
            start += n
        path = self.work / f"ring-{tag}.bin"
        path.write_bytes(b"".join(parts))
        await self.backdoor("cmd_load", path)
        self.dut.cmd_limit.value = loaded + count
        return loaded + count

    async def drain(self, responses: list[int]) -> None:
        """Read the responses that arrived since the last call."""
        dut, depth = self.dut, self.setup["resp_depth"]
        count = int(dut.resp_count.value)
        while len(responses) < count:
            dut.resp_addr.value = len(responses) % depth
            await ClockCycles(dut.clk, 4)            # input register, memory read, margin
            responses.append(int(dut.resp_data.value))
        dut.resp_consumed.value = count

    async def load_image(self, job: dict) -> None:
        if self.memory is not None:
            if job["image_bin"]:
                self.memory.load(job["image_offset"], Path(job["image_bin"]).read_bytes())
        elif job["image"]:
            await self.backdoor("mem_load", Path(job["image"]))

    async def dump_image(self, job: dict) -> None:
        if self.memory is not None:
            Path(job["dump"]).write_bytes(self.memory.dump())
        else:
            await self.backdoor("mem_dump", Path(job["dump"]))

    def status(self) -> dict:
        dut = self.dut
        out = {"counters": {name: int(getattr(dut, f"count_{name}").value) for name, _ in COUNTERS},
               "fed": int(dut.fed.value), "error": None, "stuck_units": None}
        if int(dut.error.value):
            info = int(dut.error_info.value)
            cause = _field(info, ERROR_LAYOUT, "cause")
            out["error"] = {"index": _field(info, ERROR_LAYOUT, "index"),
                            "funct": _field(info, ERROR_LAYOUT, "funct"),
                            "cause": ErrorCause(cause).name if cause in
                            {c.value for c in ErrorCause} else str(cause)}
        if int(dut.stuck.value):
            status = int(dut.stuck_status.value)
            from gemmini_gen.hw.ctrl.interface import STATUS_LAYOUT
            out["stuck_units"] = [unit for unit, _ in STATUS_UNITS
                                  if _field(status, STATUS_LAYOUT, unit)]
        return out

    async def run_job(self, job: dict, index: int) -> dict:
        """The job's preamble (if any) in a phase of its own, then the program."""
        if job.get("preamble"):
            result = await self.phase(None, job["preamble"], f"{index}p")
            if result["outcome"] != "done" or result["error"]:
                return {**result, "name": job["name"], "phase": "preamble"}
        result = await self.phase(job, job["commands"], f"{index}")
        if result["outcome"] == "done":
            await self.dump_image(job)
        return {**result, "name": job["name"], "phase": "program"}

    async def phase(self, job: dict | None, commands: str, tag: str) -> dict:
        """Reset, then run the commands of file `commands` until done, stuck or out of time."""
        dut = self.dut
        records = np.fromfile(commands, dtype=np.uint8).reshape(-1, RECORD_BYTES)
        loaded = await self.start(job, records, tag)
        responses: list[int] = []
        wall, cpu = time.perf_counter(), time.process_time()
        limit = self.setup.get("wall_limit_s")
        poll, outcome = FIRST_POLL, "done"
        while True:
            await Timer(poll * PERIOD_NS, unit="ns")
            poll = min(2 * poll, MAX_POLL)
            fed = int(dut.fed.value)
            if loaded < len(records) and loaded - fed <= self.depth // 2:
                loaded = await self.refill(records, loaded, fed, tag)
            await self.drain(responses)
            if int(dut.stuck.value):
                outcome = "stuck"
                break
            if int(dut.done.value):
                break
            if limit and time.perf_counter() - wall > limit:
                outcome = "timeout"
                break
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return {"outcome": outcome, "responses": responses, "total": len(records),
                "wall_seconds": wall, "cpu_seconds": cpu, **self.status()}


@cocotb.test()
async def run_jobs(dut):
    """Run every job of the setup; write the results JSON."""
    setup = json.loads(Path(os.environ[SETUP_ENV]).read_text())
    if not setup["hdl_clock"]:
        Clock(dut.clk, PERIOD_NS, unit="ns").start()
    session = Session(dut, setup)
    results = []
    try:
        for index, job in enumerate(setup["jobs"]):
            results.append(await session.run_job(job, index))
            if results[-1]["outcome"] != "done":
                break
    finally:
        Path(setup["results"]).write_text(json.dumps({"jobs": results}))
