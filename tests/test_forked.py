"""`gemmini_gen.forked.call_forked`: results and exceptions cross the fork; the child's work stays
in the child; no fork while another thread runs.

Each case runs in a fresh Python process: `call_forked` does not fork while another thread is
alive, and earlier tests in the same session may leave one (tqdm's monitor thread, for example)."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="call_forked forks only on Linux")

PRELUDE = """
import os, threading
from gemmini_gen.forked import ChildProcessFailed, call_forked, can_fork
assert can_fork()
"""


def run(script: str) -> str:
    """Run `script` (after PRELUDE) in a fresh interpreter; its stdout (it must exit with 0)."""
    done = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_result_comes_from_a_child_process():
    run("""
        child, values = call_forked(lambda: (os.getpid(), [1, 2, 3]))
        assert child != os.getpid() and values == [1, 2, 3]
    """)


def test_child_state_does_not_leak_into_the_parent():
    run("""
        box = []
        call_forked(lambda: box.append("child"))
        assert box == []
    """)


def test_exception_is_raised_in_the_parent():
    run("""
        from gemmini_gen.config import ConfigError
        def fail():
            raise ConfigError("dim must be a power of two >= 2, got 12")
        try:
            call_forked(fail)
        except ConfigError as error:
            assert "got 12" in str(error)
        else:
            raise AssertionError("no exception")
    """)


def test_unpicklable_result_and_dead_child_are_clear_errors():
    run("""
        for fn, words in ((lambda: (lambda: None), "result did not pickle"),
                          (lambda: os._exit(3), "gave no result")):
            try:
                call_forked(fn)
            except ChildProcessFailed as error:
                assert words in str(error), error
            else:
                raise AssertionError("no exception")
    """)


def test_child_output_is_not_duplicated():
    out = run("""
        print("before")                  # buffered: stdout is a pipe
        call_forked(lambda: print("in child"))
    """)
    assert out.count("before") == 1 and out.count("in child") == 1


def test_runs_in_process_while_another_thread_runs():
    run("""
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        try:
            assert not can_fork()
            assert call_forked(os.getpid) == os.getpid()
        finally:
            stop.set()
            worker.join()
    """)


def test_convert_built_matches_convert():
    run("""
        from amaranth.hdl import signed
        from gemmini_gen.emit import convert, convert_built
        from gemmini_gen.hw.transposer import TransposingBuffer
        build = lambda: TransposingBuffer(4, signed(8), 2)
        text, ports = convert_built(build, "tbuf", lambda top: sorted(top.signature.members))
        assert text == convert(build(), "tbuf")
        assert ports == ["read", "read_data", "write"]
    """)
