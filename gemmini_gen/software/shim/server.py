"""The shim server: one per C program, started by ``gemmini_shim.c`` at its first synchronisation.

`serve(reader, writer, environ)` answers the hello (config check, session), then runs batches
until the C side closes the connection.  Every failure becomes one error reply (the C side prints
it as one line and exits with status 2) and ends the server with status 1.  Exceptions that are
not the program's fault also get their traceback written to the server's log.

``GEMMINI_SHIM_VERBOSE=1`` prints one line per batch on stderr (commands, backend, cycles).
"""

from __future__ import annotations

import sys
import time
import traceback
from typing import BinaryIO, Mapping

from ...isa import IllegalInstruction
from .protocol import read_batch, read_hello, write_error, write_reply
from .sessions import open_session

__all__ = ["serve"]


def _describe(error: Exception) -> str:
    """One line for an error: the message of the errors the program or setup can cause, type and
    message otherwise."""
    if isinstance(error, (ValueError, RuntimeError, OSError)):
        return str(error)
    return f"{type(error).__name__}: {error}"


def serve(reader: BinaryIO, writer: BinaryIO, environ: Mapping[str, str]) -> int:
    """Serve one C program; return the exit status (0 when it closed the connection normally)."""
    verbose = environ.get("GEMMINI_SHIM_VERBOSE", "") not in ("", "0")
    try:
        session = open_session(read_hello(reader), environ)
    except Exception as e:          # bad config or backend, not a shim client
        write_error(writer, _describe(e))
        return 1
    write_reply(writer)
    batches = 0
    while True:
        try:
            batch = read_batch(reader)
            if batch is None:
                return 0
            start = time.monotonic()
            responses, changed = session.run(batch)
        except IllegalInstruction as e:
            write_error(writer, str(e), e.index)
            return 1
        except Exception as e:
            if not isinstance(e, (ValueError, RuntimeError)):
                traceback.print_exc(file=sys.stdout)       # the server's log
            write_error(writer, f"{session.name} backend: {_describe(e)}")
            return 1
        write_reply(writer, responses, changed if batch.write_back else None)
        batches += 1
        if verbose:
            cycles = getattr(session, "last_cycles", None)
            print(f"gemmini-shim: batch {batches}: {len(batch.commands)} commands on "
                  f"{session.name} ({session.config.name})"
                  + (f", {cycles} cycles since reset" if cycles is not None else "")
                  + f", {time.monotonic() - start:.2f} s", file=sys.stderr, flush=True)
