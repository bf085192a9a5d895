"""Keep what simulator processes print off the user's terminal.

Verilator models and cocotb write to file descriptors 1 and 2 of the process that starts them, so
redirecting `sys.stdout` is not enough: `simulator_output_to(log)` points both descriptors at a file
for the duration of a block and yields a stream on the original stderr (for a progress bar).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["simulator_output_to"]


@contextlib.contextmanager
def simulator_output_to(log: Path | None) -> Iterator[TextIO]:
    """Send what simulator processes print (to file descriptors 1 and 2) into `log`, appending; yield
    a stream on the original stderr.  With `log` None nothing is redirected."""
    if log is None:
        yield sys.stderr
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    terminal = os.fdopen(os.dup(saved[1]), "w")
    try:
        with open(log, "ab") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        terminal.close()
