"""AXI4 slave memory model for fast simulation (Verilator): fixed read latency, pipelined, no Python.

`AXI4Memory` answers a full AXI4 master at one beat per cycle per direction:

* **Reads.** Up to ``max_reads`` AR requests are queued; each is stamped on arrival and its first R
  beat is offered exactly ``read_latency`` cycles after the AR handshake (later only when the R
  channel is busy with earlier bursts or stalled by ``rready``).  Bursts stream back to back, so
  with enough outstanding requests a master sees one beat per cycle.
* **Writes.** AW requests queue (``max_writes``); W beats are accepted at one per cycle for the head
  AW (W before its AW waits), written with WSTRB byte enables; the data is in memory from the cycle
  after a beat, and the B response is offered ``max(write_latency, 2)`` cycles after the burst's
  last beat.
* FIXED, INCR and WRAP bursts with any AxSIZE up to the bus width; RESP is always OKAY; addresses wrap
  modulo ``size_bytes`` (no decode errors).

The storage is a small hand-written Verilog module (:data:`STORAGE_VERILOG`, pass
:func:`write_storage_verilog`'s file to the simulator with the design) because an Amaranth memory of
megabytes would be emitted as one initial assignment per word.  It adds a backdoor for whole images:
put a file name (ASCII, right-aligned, zero-padded on the left as Verilog strings are) on
``image.path`` and pulse ``image.load`` or ``image.dump`` for one cycle.  Both files are binary, so
the simulator moves bytes instead of parsing hex text (a 4 MiB image loads in 0.047 s against 0.30 s
through `$readmemh`, `benchmarks/bench_image_load.py`; the command ring reloads megabytes during a
long run):

* a **load file** is a sequence of segments, each an 8-byte header (first word, word count: two
  big-endian u32) and that many words, most significant byte first (what ``$fread`` expects);
  :func:`storage_segment` writes one from little-endian words, :func:`image_segments` from bytes at
  a byte address;
* a **dump file** is every word of the memory, word 0 first, least significant byte first and
  padded to a multiple of 4 bytes (``$fwrite`` with ``%u``): the memory's bytes in address order
  when words are 32 bits or wider; :func:`image_from_dump` reads it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from amaranth.hdl import ClockSignal, Instance, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2, exact_log2

from .axi import AXI4Signature, Burst, Resp
from .fifo import BufferedFIFO

__all__ = ["AXI4Memory", "ImageSignature", "STORAGE_MODULE", "STORAGE_VERILOG",
           "write_storage_verilog", "storage_segment", "image_segments", "image_from_dump",
           "encode_path"]

STORAGE_MODULE = "gemmini_axi_memory_storage"

STORAGE_VERILOG = f"""\
// Word-addressed storage of gemmini_gen.hw.axi_memory.AXI4Memory (simulation model).
// One synchronous read port, one write port with byte enables, and a binary backdoor triggered by
// `load` ($fread of segments: u32 first word, u32 count, then the words; see axi_memory.py) or
// `dump` (every word by $fwrite %u) with the file name held in `path`.
module {STORAGE_MODULE} #(
    parameter WIDTH = 128,
    parameter ABITS = 16,
    parameter PATH_BYTES = 256
) (
    input clk,
    input rd_en,
    input [ABITS-1:0] rd_addr,
    output reg [WIDTH-1:0] rd_data,
    input wr_en,
    input [ABITS-1:0] wr_addr,
    input [WIDTH-1:0] wr_data,
    input [WIDTH/8-1:0] wr_strb,
    input [8*PATH_BYTES-1:0] path,
    input load,
    input dump
);
    reg [WIDTH-1:0] mem [0:(1<<ABITS)-1];
    reg [63:0] segment;
    integer i, fd, got;
    always @(posedge clk) begin
        if (load) begin
            fd = $fopen(path, "rb");
            if (fd == 0) $fatal(1, "memory backdoor: cannot open %0s", path);
            while ($fread(segment, fd) == 8)
                got = $fread(mem, fd, segment[63:32], segment[31:0]);
            $fclose(fd);
        end
        if (dump) begin
            fd = $fopen(path, "wb");
            if (fd == 0) $fatal(1, "memory backdoor: cannot create %0s", path);
            for (i = 0; i < (1<<ABITS); i = i + 1) $fwrite(fd, "%u", mem[i]);
            $fclose(fd);
        end
        if (rd_en) rd_data <= mem[rd_addr];
        if (wr_en)
            for (i = 0; i < WIDTH/8; i = i + 1)
                if (wr_strb[i]) mem[wr_addr][8*i +: 8] <= wr_data[8*i +: 8];
    end
endmodule
"""


def write_storage_verilog(directory: str | Path) -> Path:
    """Write the storage module into `directory` (idempotent); returns the file path."""
    path = Path(directory) / f"{STORAGE_MODULE}.v"
    if not path.exists() or path.read_text() != STORAGE_VERILOG:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STORAGE_VERILOG)
    return path


def encode_path(path: str | Path, path_bytes: int) -> int:
    """The integer to drive on ``image.path`` for file `path` (a Verilog string)."""
    raw = str(path).encode()
    if len(raw) > path_bytes:
        raise ValueError(f"image path is {len(raw)} bytes, the memory model holds {path_bytes}: {path}")
    return int.from_bytes(raw, "big")


def storage_segment(words: np.ndarray, first: int) -> bytes:
    """One load-file segment placing `words` (N x word bytes, uint8, least significant byte first)
    at word addresses first.. of the storage."""
    words = np.ascontiguousarray(words, dtype=np.uint8)
    header = np.array([first, len(words)], dtype=">u4").tobytes()
    return header + words[:, ::-1].tobytes()


def image_segments(image: np.ndarray, base: int, bus_bytes: int) -> bytes:
    """A load-file segment placing the bytes `image` at byte address `base` (whole bus words: the
    bytes around the image in its first and last word are written as zeros)."""
    raw = np.ascontiguousarray(image, dtype=np.uint8).reshape(-1)
    lead = base % bus_bytes
    total = -(-(lead + raw.size) // bus_bytes) * bus_bytes
    words = np.zeros(total, np.uint8)
    words[lead:lead + raw.size] = raw
    return storage_segment(words.reshape(-1, bus_bytes), base // bus_bytes)


def image_from_dump(raw: bytes, bus_bytes: int, base: int = 0,
                    nbytes: int | None = None) -> np.ndarray:
    """Bytes `base`.. `base + nbytes` of the memory from a dump file (all of it without `nbytes`)."""
    stride = -(-bus_bytes // 4) * 4                  # %u pads every word to whole 32-bit units
    words = np.frombuffer(raw, np.uint8)
    if words.size % stride:
        raise ValueError(f"dump of {words.size} bytes is not a whole number of {stride}-byte words")
    flat = words.reshape(-1, stride)[:, :bus_bytes].reshape(-1)
    end = flat.size if nbytes is None else base + nbytes
    if end > flat.size:
        raise ValueError(f"dump holds {flat.size} bytes, asked for {base:#x}+{end - base}")
    return flat[base:end].copy()


class ImageSignature(wiring.Signature):
    """Backdoor of the memory model: `path` names an image file; pulse `load` or `dump`."""

    def __init__(self, path_bytes: int = 256):
        self.path_bytes = path_bytes
        super().__init__({"path": Out(8 * path_bytes), "load": Out(1), "dump": Out(1)})


class AXI4Memory(wiring.Component):
    """AXI4 slave memory (see module docstring).

    Ports: ``axi`` (In(AXI4Signature), the slave side), ``image`` (In(ImageSignature))."""

    def __init__(self, *, data_width: int = 128, addr_width: int = 64, id_width: int = 4,
                 size_bytes: int = 4 << 20, read_latency: int = 40, write_latency: int = 0,
                 max_reads: int = 64, max_writes: int = 16, path_bytes: int = 256):
        bus_bytes = data_width // 8
        if not isinstance(size_bytes, int) or size_bytes < bus_bytes or size_bytes & (size_bytes - 1):
            raise ValueError(f"size_bytes must be a power of two >= one bus word, got {size_bytes!r}")
        if size_bytes > 1 << addr_width:
            raise ValueError(f"size_bytes {size_bytes} exceeds the {addr_width}-bit address space")
        if not isinstance(read_latency, int) or not 4 <= read_latency < 1 << 20:
            raise ValueError(f"read_latency must be an integer >= 4, got {read_latency!r}")
        if not isinstance(write_latency, int) or not 0 <= write_latency < 1 << 20:
            raise ValueError(f"write_latency must be an integer >= 0, got {write_latency!r}")
        for name, value in (("max_reads", max_reads), ("max_writes", max_writes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        if not isinstance(path_bytes, int) or path_bytes < 1:
            raise ValueError(f"path_bytes must be >= 1, got {path_bytes!r}")
        self.bus_bytes = bus_bytes
        self.size_bytes = size_bytes
        self.read_latency = read_latency
        self.write_latency = write_latency
        self.max_reads = max_reads
        self.max_writes = max_writes
        self.path_bytes = path_bytes
        super().__init__({
            "axi": In(AXI4Signature(addr_width=addr_width, data_width=data_width,
                                    id_width=id_width)),
            "image": In(ImageSignature(path_bytes)),
        })

    def _addr_layout(self, stamped: bool) -> data.StructLayout:
        """An AR/AW request; `stamp` = the cycle it arrived (reads only)."""
        sig = self.axi.signature
        fields = {"id": unsigned(sig.id_width), "addr": unsigned(sig.addr_width),
                  "len": unsigned(8), "size": unsigned(3), "burst": unsigned(2)}
        if stamped:
            fields["stamp"] = unsigned(32)
        return data.StructLayout(fields)

    def _next_addr(self, cur, req):
        """Address of the beat after `cur` in burst `req` (FIXED / INCR / WRAP)."""
        step = (1 << req.size)
        wrap_mask = ((req.len + 1) << req.size) - 1
        incr = cur + step
        wrapped = cur - (cur & wrap_mask) + (incr & wrap_mask)   # (cur & ~mask) | (incr & mask)
        return Mux(req.burst == Burst.FIXED, cur, Mux(req.burst == Burst.WRAP, wrapped, incr))

    def elaborate(self, platform):
        m = Module()
        axi = self.axi
        shift = exact_log2(self.bus_bytes)
        abits = max(1, ceil_log2(self.size_bytes // self.bus_bytes))
        layout = self._addr_layout(stamped=True)
        wlayout = self._addr_layout(stamped=False)

        now = Signal(32)
        m.d.sync += now.eq(now + 1)

        rd_en = Signal()
        rd_addr = Signal(abits)
        rd_data = Signal(8 * self.bus_bytes)
        wr_en = Signal()
        wr_addr = Signal(abits)
        m.submodules.storage = Instance(
            STORAGE_MODULE,
            p_WIDTH=8 * self.bus_bytes, p_ABITS=abits, p_PATH_BYTES=self.path_bytes,
            i_clk=ClockSignal(), i_rd_en=rd_en, i_rd_addr=rd_addr, o_rd_data=rd_data,
            i_wr_en=wr_en, i_wr_addr=wr_addr, i_wr_data=axi.wdata, i_wr_strb=axi.wstrb,
            i_path=self.image.path, i_load=self.image.load, i_dump=self.image.dump)

        # ---- reads: AR queue stamped on arrival -> burst engine -> one registered data stage.
        m.submodules.ar_q = ar_q = BufferedFIFO(width=layout.size, depth=self.max_reads)
        ar_in = data.View(layout, ar_q.w_data)
        m.d.comb += [
            axi.arready.eq(ar_q.w_rdy), ar_q.w_en.eq(axi.arvalid),
            ar_in.id.eq(axi.arid), ar_in.addr.eq(axi.araddr), ar_in.len.eq(axi.arlen),
            ar_in.size.eq(axi.arsize), ar_in.burst.eq(axi.arburst), ar_in.stamp.eq(now),
        ]
        head = data.View(layout, ar_q.r_data)
        # The burst engine reads the storage one cycle before R shows the data: it may start
        # read_latency - 2 cycles after the AR handshake (stamp = handshake cycle; the AR queue
        # adds one more).
        due = (now - head.stamp)[:32] >= self.read_latency - 2

        burst = Signal(layout)
        cur = Signal(axi.signature.addr_width)
        left = Signal(8)
        active = Signal()
        r_valid = Signal()
        r_id = Signal.like(axi.rid)
        r_last = Signal()
        advance = ~r_valid | axi.rready
        m.d.comb += [
            axi.rvalid.eq(r_valid), axi.rdata.eq(rd_data), axi.rid.eq(r_id),
            axi.rlast.eq(r_last), axi.rresp.eq(Resp.OKAY),
            rd_en.eq(advance & active), rd_addr.eq(cur[shift:]),
        ]
        with m.If(advance):
            m.d.sync += [r_valid.eq(active), r_id.eq(burst.id), r_last.eq(left == 0)]
        finishing = ~active | (advance & (left == 0))
        with m.If(active & advance):
            m.d.sync += [cur.eq(self._next_addr(cur, burst)), left.eq(left - 1)]
        with m.If(finishing):
            m.d.sync += active.eq(0)
            with m.If(ar_q.r_rdy & due):
                m.d.comb += ar_q.r_en.eq(1)
                m.d.sync += [active.eq(1), burst.eq(head), cur.eq(head.addr), left.eq(head.len)]

        # ---- writes: AW queue -> W beats into storage -> B queue delayed by write_latency.
        m.submodules.aw_q = aw_q = BufferedFIFO(width=wlayout.size, depth=self.max_writes)
        aw_in = data.View(wlayout, aw_q.w_data)
        m.d.comb += [
            axi.awready.eq(aw_q.w_rdy), aw_q.w_en.eq(axi.awvalid),
            aw_in.id.eq(axi.awid), aw_in.addr.eq(axi.awaddr), aw_in.len.eq(axi.awlen),
            aw_in.size.eq(axi.awsize), aw_in.burst.eq(axi.awburst),
        ]
        b_layout = data.StructLayout({"id": unsigned(axi.signature.id_width), "stamp": unsigned(32)})
        m.submodules.b_q = b_q = BufferedFIFO(width=b_layout.size,
                                                depth=self.max_writes + 1)
        aw_head = data.View(wlayout, aw_q.r_data)
        wburst = Signal(wlayout)
        wcur = Signal(axi.signature.addr_width)
        wleft = Signal(8)
        wactive = Signal()
        w_fire = axi.wvalid & axi.wready
        w_end = w_fire & (wleft == 0)
        b_new = data.View(b_layout, b_q.w_data)
        m.d.comb += [
            axi.wready.eq(wactive & b_q.w_rdy),
            wr_en.eq(w_fire), wr_addr.eq(wcur[shift:]),
            b_q.w_en.eq(w_end), b_new.id.eq(wburst.id), b_new.stamp.eq(now),
        ]
        with m.If(w_fire):
            m.d.sync += [wcur.eq(self._next_addr(wcur, wburst)), wleft.eq(wleft - 1)]
        with m.If(~wactive | w_end):
            m.d.sync += wactive.eq(0)
            with m.If(aw_q.r_rdy):
                m.d.comb += aw_q.r_en.eq(1)
                m.d.sync += [wactive.eq(1), wburst.eq(aw_head), wcur.eq(aw_head.addr),
                             wleft.eq(aw_head.len)]

        b_head = data.View(b_layout, b_q.r_data)
        b_due = (now - b_head.stamp)[:32] >= self.write_latency
        m.d.comb += [
            axi.bvalid.eq(b_q.r_rdy & b_due), axi.bid.eq(b_head.id), axi.bresp.eq(Resp.OKAY),
            b_q.r_en.eq(axi.bvalid & axi.bready),
        ]
        return m
