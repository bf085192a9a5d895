"""Host shim: what it costs to run native C programs on the backends through `gemmini_shim.c`.

* example: wall time of `software/examples/matmul_ws.c` (4 synchronisations: counter configure,
  two fences, counter read) on the golden model (best of --repeat) and on the RTL (one run, cached
  simulator build) for the small preset;
* throughput: a C program streaming --commands MVIN/MVOUT commands of one DIM x DIM tile with a
  gemmini_fence() every --batch commands, on the golden model: commands per second through the
  shim (C buffering, socket, server, golden model, write-back), next to the same commands run as
  one `Program` directly on the golden backend.

    python benchmarks/bench_shim.py [--repeat 3] [--commands 20000] [--batch 2000] [--no-rtl]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gemmini_gen import preset
from gemmini_gen.backend import get_backend
from gemmini_gen.isa import Program, config_ld, config_st, fence, mvin, mvout, sp
from gemmini_gen.memory import Memory
from gemmini_gen.software import write_headers

ROOT = Path(__file__).resolve().parents[1]
SHIM = ROOT / "software" / "shim"

STREAM = r"""
#include <stdlib.h>
#include "gemmini_shim.h"
static elem_t in[DIM][DIM], out[DIM][DIM];
int main(int argc, char **argv) {
    long commands = atol(argv[1]), batch = atol(argv[2]);
    GEMMINI_SHIM_ARRAY(in);
    GEMMINI_SHIM_ARRAY(out);
    for (int i = 0; i < DIM; i++) in[i][i] = i + 1;
    gemmini_config_ld(DIM * sizeof(elem_t));
    gemmini_config_st(DIM * sizeof(elem_t));
    for (long n = 0; n < commands; n += 2) {
        gemmini_mvin(in, (n / 2) % 64 * DIM);
        gemmini_mvout(out, (n / 2) % 64 * DIM);
        if ((n + 2) % batch == 0)
            gemmini_fence();
    }
    gemmini_fence();
    return out[DIM - 1][DIM - 1] != DIM;
}
"""


def _build(source: Path, headers: Path, out: Path) -> Path:
    subprocess.run(["gcc", "-std=gnu11", "-O2", f"-I{headers}", f"-I{SHIM}", str(source),
                    str(SHIM / "gemmini_shim.c"), "-o", str(out)], check=True)
    return out


def _timed(argv, backend: str) -> float:
    env = {**os.environ, "GEMMINI_PYTHON": sys.executable, "GEMMINI_BACKEND": backend}
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed on {backend}: {done.stdout}{done.stderr}")
    return seconds


def _direct_seconds(cfg, commands: int) -> float:
    """The same MVIN/MVOUT stream as one program on the golden backend (no shim)."""
    memory = Memory()
    src, dst = memory.alloc("in", cfg.dim * cfg.dim), memory.alloc("out", cfg.dim * cfg.dim)
    cmds = [config_ld(cfg.dim, block_stride=cfg.dim), config_st(cfg.dim)]
    for n in range(0, commands, 2):
        row = (n // 2) % 64 * cfg.dim
        cmds += [mvin(src.base, sp(row), cfg.dim, cfg.dim), mvout(dst.base, sp(row), cfg.dim,
                                                                   cfg.dim)]
    program = Program(cmds + [fence()], memory.regions)
    memory.write_array("in", np.eye(cfg.dim, dtype=np.int8))
    start = time.perf_counter()
    get_backend("golden", cfg).run(program, memory)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--commands", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--no-rtl", action="store_true", help="skip the RTL run")
    args = parser.parse_args()
    cfg = preset("small")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_headers(cfg, work)
        example = _build(ROOT / "software" / "examples" / "matmul_ws.c", work, work / "example")
        (work / "stream.c").write_text(STREAM)
        stream = _build(work / "stream.c", work, work / "stream")

        print(f"example matmul_ws.c ({cfg.name}, DIM {cfg.dim}, 4 synchronisations)")
        best = min(_timed([str(example)], "golden") for _ in range(args.repeat))
        print(f"  golden: {best:.2f} s wall (best of {args.repeat})")
        if not args.no_rtl:
            print(f"  rtl:    {_timed([str(example)], 'rtl'):.2f} s wall (one run)")

        argv = [str(stream), str(args.commands), str(args.batch)]
        syncs = -(-args.commands // args.batch) + 1
        print(f"stream: {args.commands} MVIN/MVOUT commands, {syncs} fences, golden")
        best = min(_timed(argv, "golden") for _ in range(args.repeat))
        direct = _direct_seconds(cfg, args.commands)
        print(f"  through the shim: {best:.2f} s wall, {args.commands / best:,.0f} commands/s "
              f"(best of {args.repeat}, incl. server start)")
        print(f"  one Program on the golden backend: {direct:.2f} s, "
              f"{args.commands / direct:,.0f} commands/s")


if __name__ == "__main__":
    main()
