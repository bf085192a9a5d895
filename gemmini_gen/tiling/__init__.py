"""The tiling library: turn GEMMs, convolutions, residual adds and global average pools into
accelerator programs (Gemmini's `tiled_matmul_auto`, `tiled_conv_auto`, `tiled_resadd`,
`tiled_global_average`).

Every tiler returns a `TiledProgram`: the `Program`, the `Memory` layout it runs against, named
input/output ports that convert numpy tensors to and from that memory, and the plan it chose
(`MatmulPlan` / `StreamPlan`).  `plan_matmul` / `plan_conv` give the plan alone, fast, for the
performance model.  `reference` holds numpy int64 references with the accelerator's arithmetic.
Design notes: docs/tiling.md.
"""

from .conv import plan_conv, tiled_conv_auto
from .conv_geometry import ConvShape, conv_shape
from .errors import TilingError
from .matmul import plan_matmul, tiled_matmul_auto
from .plan import MatmulPlan, StepPlan
from .pool import tiled_global_average
from .reference import (
    conv_reference, global_average_reference, matmul_reference, resadd_reference,
)
from .resadd import tiled_resadd
from .stream import StreamPlan
from .tiled_program import Port, TiledProgram, TiledRun
from .tile_choice import choose_tiles
from .tiles import TileShape, gemmini_tiles, split_blocks

__all__ = [
    "ConvShape", "MatmulPlan", "Port", "StepPlan", "StreamPlan", "TileShape", "TiledProgram",
    "TiledRun", "TilingError", "choose_tiles", "conv_reference", "conv_shape",
    "gemmini_tiles", "global_average_reference", "matmul_reference", "plan_conv", "plan_matmul",
    "resadd_reference", "split_blocks", "tiled_conv_auto", "tiled_global_average",
    "tiled_matmul_auto", "tiled_resadd",
]
