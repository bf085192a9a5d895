"""The Python side of the host shim (``software/shim/``): runs a native C program's commands.

``gemmini_shim.c`` starts ``python -m gemmini_gen.software.shim --fd N`` and talks to it over a
socket: `protocol` (the wire format), `host_memory` (registered buffers as accelerator memory,
DRAM-address checks and relocation), `sessions` (golden: one machine for the whole program;
other backends: replay from reset), `server` (the request loop).  User docs: docs/software.md.
"""

from .host_memory import HostMemory, check_commands, dram_fields, relocate
from .protocol import Batch, ProtocolError
from .server import serve
from .sessions import GoldenSession, ReplaySession, open_session, resolve_config

__all__ = ["Batch", "GoldenSession", "HostMemory", "ProtocolError", "ReplaySession",
           "check_commands", "dram_fields", "open_session", "relocate", "resolve_config", "serve"]
