"""Run a function in a forked child process and return its result.

Converting a design with Amaranth leaves about 1.4 million netlist objects in reference cycles (DIM
16), which only Python's cyclic garbage collector can free: one full collection costs 0.3-0.4 s of
CPU, a tenth of the whole emission.  A forked child does the conversion and exits; the operating
system takes its memory back at once, and the parent never holds the netlists.  The child inherits
everything the parent has imported, so there is no start-up cost beyond the fork itself.

`call_forked(fn)` returns ``fn()``'s result (it must pickle) or raises the exception ``fn`` raised.
Where forking is not safe -- another Python thread is running (it might hold a lock the child
needs), or the platform is not Linux -- ``fn`` runs in this process instead.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from typing import Callable, TypeVar

__all__ = ["ChildProcessFailed", "call_forked", "can_fork"]

T = TypeVar("T")


class ChildProcessFailed(RuntimeError):
    """The child died without a result (killed, or its result or exception did not pickle)."""


def can_fork() -> bool:
    """Whether `call_forked` forks here (else it calls the function in this process)."""
    return sys.platform == "linux" and threading.active_count() == 1


def call_forked(fn: Callable[[], T]) -> T:
    """``fn()``, computed in a forked child process where `can_fork`, else in this process."""
    if not can_fork():
        return fn()
    sys.stdout.flush()                   # (or the child would write the parent's buffered output)
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                         # the child: never returns
        os.close(read_end)
        _child(fn, write_end)
    os.close(write_end)
    reaped = False
    try:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:                   # interrupted: do not leave the child running
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    try:
        ok, value = pickle.loads(payload)
    except Exception:
        raise ChildProcessFailed(f"forked child process gave no result (wait status "
                                 f"{status})") from None
    if ok:
        return value
    raise value


def _child(fn: Callable, write_end: int) -> None:
    """Run `fn`, send ``(True, result)`` or ``(False, exception)`` through the pipe, exit.  The
    child never collects garbage: it lives for one call, and its memory goes back at exit."""
    gc.disable()
    status = 0
    try:
        try:
            outcome = (True, fn())
        except BaseException as error:               # noqa: BLE001 -- handed to the parent
            outcome = (False, error)
        try:
            message = pickle.dumps(outcome)
        except Exception as error:
            what = "result" if outcome[0] else f"{type(outcome[1]).__name__}: {outcome[1]}"
            message = pickle.dumps((False, ChildProcessFailed(
                f"forked child process: {what} did not pickle ({error})")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(message)
    except BaseException:                            # noqa: BLE001 -- the parent reports it
        status = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)             # no garbage collection, no atexit handlers: the point
