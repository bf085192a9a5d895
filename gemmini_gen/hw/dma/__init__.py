"""AXI4 DMA engines: the reader (MVIN rows from DRAM) and the writer (MVOUT rows to DRAM).

See ``docs/dma.md`` for the stream interfaces, handshakes and latencies.
"""

from .bursts import BurstSplitter
from .params import DMAParams, max_dma_row_bytes
from .reader import DMAReader
from .writer import DMAWriter

__all__ = ["BurstSplitter", "DMAParams", "DMAReader", "DMAWriter", "max_dma_row_bytes"]
