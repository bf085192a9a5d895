"""Names of the performance-counter events (ISA.md section 10.2) as C programs spell them.

Gemmini's `gemmini_counter.h` gives every event a macro; `counter_configure(index, code)` takes
those codes.  Internal events are 1..44; the external events are numbered after them (code =
`NUM_INTERNAL_EVENTS` + external id), which `isa.encoders.counter_configure` and the generated C
`counter_configure` turn into the external flag and id.
"""

from __future__ import annotations

from ..isa.encoders import NUM_INTERNAL_EVENTS

__all__ = ["EXTERNAL_EVENTS", "INTERNAL_EVENTS", "event_codes"]

#: Internal event ids 1..44, in order.
INTERNAL_EVENTS = (
    "MAIN_LD_CYCLES", "MAIN_ST_CYCLES", "MAIN_EX_CYCLES", "MAIN_LD_ST_CYCLES",
    "MAIN_LD_EX_CYCLES", "MAIN_ST_EX_CYCLES", "MAIN_LD_ST_EX_CYCLES",
    "LOAD_DMA_WAIT_CYCLE", "LOAD_ACTIVE_CYCLE", "LOAD_SCRATCHPAD_WAIT_CYCLE",
    "STORE_DMA_WAIT_CYCLE", "STORE_ACTIVE_CYCLE", "STORE_POOLING_CYCLE",
    "STORE_SCRATCHPAD_WAIT_CYCLE",
    "DMA_TLB_MISS_CYCLE", "DMA_TLB_HIT_REQ", "DMA_TLB_TOTAL_REQ",
    "RDMA_ACTIVE_CYCLE", "RDMA_TLB_WAIT_CYCLES", "RDMA_TL_WAIT_CYCLES",
    "WDMA_ACTIVE_CYCLE", "WDMA_TLB_WAIT_CYCLES", "WDMA_TL_WAIT_CYCLES",
    "EXE_ACTIVE_CYCLE", "EXE_FLUSH_CYCLE", "EXE_CONTROL_Q_BLOCK_CYCLE", "EXE_PRELOAD_HAZ_CYCLE",
    "EXE_OVERLAP_HAZ_CYCLE",
    "SCRATCHPAD_A_WAIT_CYCLE", "SCRATCHPAD_B_WAIT_CYCLE", "SCRATCHPAD_D_WAIT_CYCLE",
    "ACC_A_WAIT_CYCLE", "ACC_B_WAIT_CYCLE", "ACC_D_WAIT_CYCLE",
    "A_GARBAGE_CYCLES", "B_GARBAGE_CYCLES", "D_GARBAGE_CYCLES",
    "IM2COL_MEM_CYCLES", "IM2COL_ACTIVE_CYCLES", "IM2COL_TRANSPOSER_WAIT_CYCLE",
    "RESERVATION_STATION_FULL_CYCLES", "RESERVATION_STATION_ACTIVE_CYCLES",
    "LOOP_MATMUL_ACTIVE_CYCLES", "TRANSPOSE_PRELOAD_UNROLLER_ACTIVE_CYCLES",
)

#: External event ids 1..7, in order.
EXTERNAL_EVENTS = (
    "RESERVATION_STATION_LD_COUNT", "RESERVATION_STATION_ST_COUNT",
    "RESERVATION_STATION_EX_COUNT", "RDMA_BYTES_REC", "WDMA_BYTES_SENT", "RDMA_TOTAL_LATENCY",
    "WDMA_TOTAL_LATENCY",
)


def event_codes() -> dict[str, int]:
    """Event name -> the code `counter_configure` takes (DISABLE = 0)."""
    codes = {"DISABLE": 0}
    codes.update({name: i for i, name in enumerate(INTERNAL_EVENTS, start=1)})
    codes.update({name: NUM_INTERNAL_EVENTS + i for i, name in enumerate(EXTERNAL_EVENTS, start=1)})
    return codes
