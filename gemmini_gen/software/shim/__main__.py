"""`python -m gemmini_gen.software.shim --fd N`: the shim server, started by ``gemmini_shim.c``.

`N` is the server's end of the socket pair.  The server's standard output (also that of any
simulator it runs) goes to the file named by GEMMINI_SHIM_LOG, else nowhere, so neither the C
program's output nor its terminal fills with simulator logs.
"""

from __future__ import annotations

import argparse
import os
import sys

from .protocol import read_hello, write_error
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gemmini_gen.software.shim",
                                     description="Serve one C program linked with gemmini_shim.c.")
    parser.add_argument("--fd", type=int, required=True, help="the socket to the C program")
    args = parser.parse_args(argv)
    log = os.environ.get("GEMMINI_SHIM_LOG") or os.devnull
    startup_error = None
    try:
        os.dup2(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644), 1)
    except OSError as e:
        startup_error = f"cannot open GEMMINI_SHIM_LOG={log}: {e.strerror}"
    try:
        with os.fdopen(args.fd, "rb") as reader, os.fdopen(os.dup(args.fd), "wb") as writer:
            if startup_error:
                read_hello(reader)
                write_error(writer, startup_error)
                return 2
            return serve(reader, writer, os.environ)
    except (BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        return 1            # the program is gone: nobody to report to

if __name__ == "__main__":
    sys.exit(main())
