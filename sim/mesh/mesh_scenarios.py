"""Block sequences for the `MeshWithDelays` regression, with their expected results.

Every scenario is a list of `Block`s (`mesh_model`); `save` runs the numpy model over it and writes
the .npz the cocotb testbench (`test_mesh.py`) reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gemmini_gen.config import GemminiConfig

from mesh_model import Block, MeshModel, as_arrays

#: Transpose combinations the ISA permits (ISA.md section 4.3), per dataflow.
PERMITTED = {True: [(0, 0), (1, 0), (0, 1)], False: [(0, 0), (1, 0), (1, 1)]}
ALL_TRANSPOSES = [(0, 0), (1, 0), (0, 1), (1, 1)]


def dataflows(cfg: GemminiConfig) -> list[bool]:
    """The dataflows the design supports, as `ws` flags."""
    return [ws for ws, ok in ((False, cfg.has_os), (True, cfg.has_ws)) if ok]


def _matrix(rng, cfg: GemminiConfig, kind: str = "random") -> np.ndarray:
    d = cfg.dim
    if kind == "min":
        return np.full((d, d), cfg.elem_min, np.int64)
    if kind == "max":
        return np.full((d, d), cfg.elem_max, np.int64)
    return rng.integers(cfg.elem_min, cfg.elem_max + 1, (d, d), dtype=np.int64)


def random_blocks(cfg: GemminiConfig, n: int, rng, *, transposes=None, flip_prob=0.5,
                  ws_choices=None, kinds=("random",)) -> list[Block]:
    """`n` random blocks; the first block of each dataflow run flips (a program preloads first)."""
    ws_choices = ws_choices or dataflows(cfg)
    blocks = []
    for i in range(n):
        ws = bool(rng.choice(ws_choices))
        combos = transposes or PERMITTED[ws]
        at, bt = combos[rng.integers(len(combos))]
        new_run = i == 0 or blocks[-1].ws != ws
        a, x, p = (_matrix(rng, cfg, str(rng.choice(kinds))) for _ in range(3))
        blocks.append(Block(a, x, p, ws=ws, flip=new_run or bool(rng.random() < flip_prob),
                            a_transpose=bool(at), b_transpose=bool(bt), tag=i % 256))
    return blocks


def chains(cfg: GemminiConfig, rng, *, kind="random", length=6) -> list[Block]:
    """compute_preloaded followed by compute_accumulated chains in each dataflow: OS sums keep
    growing (and wrap with extreme values), WS weights are reused."""
    blocks = []
    for ws in dataflows(cfg):
        for flips in ([True] + [False] * (length - 1), [True, False, True, False, False]):
            for flip in flips:
                a, x, p = (_matrix(rng, cfg, kind) for _ in range(3))
                blocks.append(Block(a, x, p, ws=ws, flip=flip, tag=len(blocks) % 256))
    return blocks


def extremes(cfg: GemminiConfig, rng) -> list[Block]:
    """All-min / all-max operands in every combination and transpose, in long OS chains."""
    blocks = []
    for ws in dataflows(cfg):
        for ka, kx, kp in ((a, x, p) for a in ("min", "max") for x in ("min", "max")
                           for p in ("min", "max")):
            for i, (at, bt) in enumerate(PERMITTED[ws]):
                blocks.append(Block(_matrix(rng, cfg, ka), _matrix(rng, cfg, kx),
                                    _matrix(rng, cfg, kp), ws=ws, flip=i == 0,
                                    a_transpose=bool(at), b_transpose=bool(bt),
                                    tag=len(blocks) % 256))
    return blocks


def across_dataflows(cfg: GemminiConfig, rng) -> list[Block]:
    """Blocks that do not flip right after a dataflow switch, so the PE state carries over: OS
    sums become the weights of a WS block (their low W_IN bits), WS weights the starting sums of
    an OS block."""
    order = [(False, True), (False, False), (True, False), (True, True), (False, False),
             (True, True), (True, False), (False, False)]
    return [Block(*(_matrix(rng, cfg) for _ in range(3)), ws=ws, flip=flip, tag=i)
            for i, (ws, flip) in enumerate(order)]


def save(cfg: GemminiConfig, blocks: list[Block], path: Path) -> Path:
    """Write `blocks` and the model's results to `path` (.npz)."""
    model = MeshModel(cfg.dim, cfg.input_bits, cfg.acc_bits)
    if not cfg.has_ws or not cfg.has_os:
        for b in blocks:            # a fixed-dataflow array ignores the dataflow field
            b.ws = cfg.has_ws
    expected = model.run_all(blocks)
    np.savez(path, **as_arrays(blocks), expected=np.stack(expected))
    return path
