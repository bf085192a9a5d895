"""The Python memory for the harness's external-AXI variant: a cocotbext-axi `AxiRam` with random
back-pressure and latency on all five channels, plus an AXI4 rule checker.

This is the protocol-test configuration of the `rtl` backend (`memory="axiram"`): slower than the
HDL memory model (Python runs every cycle), for small programs.  The checker raises (failing the
simulation) when the accelerator breaks an AXI4 rule the memory model would tolerate:

* VALID, once high, stays high and the payload stays stable until the handshake (AR, AW, W);
* bursts are INCR, full-width beats (AxSIZE = log2 of the bus width), at most `dma_max_bytes` long,
  and never cross a 4 KiB boundary;
* WLAST marks exactly the last beat of each burst (W bursts follow AW order), WSTRB is never zero.
"""

from __future__ import annotations

import random

from cocotb.triggers import RisingEdge

__all__ = ["PythonMemory"]

_CHANNELS = ("ar", "aw", "w")


class PythonMemory:
    """`AxiRam` on the harness's ``axi__*`` port (`size` bytes, addresses wrap) with random pauses
    (each channel idles with probability `pause` per cycle) and a protocol checker."""

    def __init__(self, dut, size: int, bus_bytes: int, max_burst_bytes: int, seed: int,
                 pause: float) -> None:
        from cocotbext.axi import AxiBus, AxiRam

        self.dut, self.bus_bytes, self.max_burst = dut, bus_bytes, max_burst_bytes
        self.ram = AxiRam(AxiBus.from_prefix(dut, "axi_"), dut.clk, dut.reset, size=size)
        self.ram.read_if.ar_channel.queue_occupancy_limit = 64
        self.ram.write_if.aw_channel.queue_occupancy_limit = 64
        rng = random.Random(seed)
        for channel in (self.ram.read_if.ar_channel, self.ram.read_if.r_channel,
                        self.ram.write_if.aw_channel, self.ram.write_if.w_channel,
                        self.ram.write_if.b_channel):
            channel.set_pause_generator(iter(lambda: rng.random() < pause, None))
        self.violations: list[str] = []
        self._aw_beats: list[int] = []      # beats announced by AW bursts not yet matched
        self._w_runs: list[int] = []        # beats of W bursts (ended by WLAST) not yet matched
        self._w_beats = 0                   # beats of the W burst in progress

    def load(self, offset: int, data: bytes) -> None:
        self.ram.write(offset, data)

    def dump(self) -> bytes:
        return self.ram.read(0, self.ram.size)

    def _signals(self, ch: str) -> dict:
        names = {"ar": ("araddr", "arlen", "arsize", "arburst", "arid"),
                 "aw": ("awaddr", "awlen", "awsize", "awburst", "awid"),
                 "w": ("wdata", "wstrb", "wlast")}[ch]
        return {n: int(getattr(self.dut, f"axi__{n}").value) for n in names}

    def _burst(self, ch: str, s: dict) -> None:
        addr, beats = s[f"{ch}addr"], s[f"{ch}len"] + 1
        size_code = self.bus_bytes.bit_length() - 1
        if s[f"{ch}burst"] != 1:
            self.violations.append(f"{ch.upper()} burst type {s[f'{ch}burst']} (expected INCR)")
        if s[f"{ch}size"] != size_code:
            self.violations.append(f"{ch.upper()}SIZE {s[f'{ch}size']} (expected {size_code})")
        if beats * self.bus_bytes > self.max_burst:
            self.violations.append(f"{ch.upper()} burst of {beats} beats exceeds "
                                   f"{self.max_burst} bytes")
        first = addr - addr % self.bus_bytes
        if first // 4096 != (first + beats * self.bus_bytes - 1) // 4096:
            self.violations.append(f"{ch.upper()} burst at {addr:#x} crosses a 4 KiB boundary")

    async def check_protocol(self) -> None:
        """Run forever: check every cycle's AR/AW/W traffic (start with `cocotb.start_soon`)."""
        dut = self.dut
        held: dict[str, dict | None] = {ch: None for ch in _CHANNELS}
        while True:
            await RisingEdge(dut.clk)
            if int(dut.reset.value):
                held = {ch: None for ch in _CHANNELS}
                continue
            for ch in _CHANNELS:
                valid = int(getattr(dut, f"axi__{ch}valid").value)
                ready = int(getattr(dut, f"axi__{ch}ready").value)
                if held[ch] is not None and not valid:
                    self.violations.append(f"{ch.upper()}VALID dropped before its handshake")
                if not valid:
                    held[ch] = None
                    continue
                s = self._signals(ch)
                if held[ch] is not None and held[ch] != s:
                    self.violations.append(f"{ch.upper()} payload changed while VALID waited")
                held[ch] = None if ready else s
                if ready:
                    self._handshake(ch, s)
            if self.violations:
                raise AssertionError("AXI protocol: " + "; ".join(self.violations[:4]))

    def _handshake(self, ch: str, s: dict) -> None:
        if ch in ("ar", "aw"):
            self._burst(ch, s)
            if ch == "aw":
                self._aw_beats.append(s["awlen"] + 1)
        else:
            if s["wstrb"] == 0:
                self.violations.append("W beat with WSTRB = 0")
            self._w_beats += 1
            if s["wlast"]:
                self._w_runs.append(self._w_beats)
                self._w_beats = 0
        # W may run ahead of AW: match W bursts (as WLAST ends them) to AW bursts in order.
        while self._aw_beats and self._w_runs:
            announced, sent = self._aw_beats.pop(0), self._w_runs.pop(0)
            if announced != sent:
                self.violations.append(f"a W burst of {sent} beats (WLAST) for an AW of "
                                       f"{announced} beats")
