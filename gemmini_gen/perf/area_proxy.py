"""A transparent area PROXY (millions of transistors) until the Yosys area model exists.

This is not an area: it is a first-principles transistor count used to rank design points on the
DSE Pareto plot ("cycles vs area-or-proxy").  Reports keep it in its own `area_proxy_mtr` column and
leave the `area` column empty until synthesis fills it.

Counted:
  * each PE: an in_bits x in_bits array multiplier (in_bits^2 full adders), an acc_bits adder, and
    pipeline/weight registers (3 * in_bits + acc_bits flip-flops, + acc_bits for the second
    dataflow of a BOTH array);
  * the scratchpad and accumulator SRAM bit cells.
Uncounted: SRAM periphery, DMA, controllers, scaling units (roughly constant across a sweep).
"""

from __future__ import annotations

from ..config import Dataflow, GemminiConfig

__all__ = ["area_proxy_mtr"]

FULL_ADDER_T = 28       # static CMOS mirror full adder
FLIP_FLOP_T = 24        # master-slave D flip-flop
SRAM_BIT_T = 6          # 6T bit cell


def area_proxy_mtr(config: GemminiConfig) -> float:
    """Transistor-count estimate of the array and on-chip memories, in millions."""
    w_in, w_acc = config.input_bits, config.acc_bits
    registers = 3 * w_in + w_acc + (w_acc if config.dataflow is Dataflow.BOTH else 0)
    pe = (w_in * w_in + w_acc) * FULL_ADDER_T + registers * FLIP_FLOP_T
    sram_bits = (config.sp_capacity_kib + config.acc_capacity_kib) * 1024 * 8
    return (config.dim * config.dim * pe + sram_bits * SRAM_BIT_T) / 1e6
