"""Random commands near the legality boundaries of a design point, built from the ISA table.

Each field is drawn from values that matter for the checks of ISA.md: zero, one, the limits that
depend on the config (DIM, DIM*MAX_BLOCK_LEN, row counts) and one past them, GARBAGE and stray bits
in local addresses, Inf/NaN scales, and now and then a random value of the field's full width.
Reserved bits are usually zero.
"""

from __future__ import annotations

import random

from gemmini_gen.arith import f32_bits
from gemmini_gen.config import GemminiConfig
from gemmini_gen.isa import Command
from gemmini_gen.isa.layout import Kind
from gemmini_gen.isa.table import FORMATS, GARBAGE

__all__ = ["random_command", "interesting_local"]


def interesting_local(rng: random.Random, cfg: GemminiConfig) -> int:
    """A local address: mostly legal rows of either memory, sometimes GARBAGE, stray bits or rows
    just past the end."""
    acc = rng.random() < 0.4
    rows = cfg.acc_rows if acc else cfg.sp_rows
    row = rng.choice([0, 1, rows - 1, rows, rows + 1, rng.randrange(rows), rng.randrange(1 << 26)])
    flags = (rng.random() < 0.3) << 30 | (rng.random() < 0.3) << 29
    addr = (acc << 31) | flags | (row & (2**26 - 1))
    roll = rng.random()
    if roll < 0.1:
        return GARBAGE
    if roll < 0.15:
        addr |= rng.randrange(1, 8) << 26            # norm_cmd
    return addr


def _uint(rng: random.Random, width: int, cfg: GemminiConfig) -> int:
    limits = [cfg.dim, cfg.dim * cfg.max_block_len, cfg.acc_bits, 44, 7, 3]
    candidates = [0, 1, 2] + [v + d for v in limits for d in (-1, 0, 1)]
    if rng.random() < 0.15:
        return rng.randrange(1 << width)
    return rng.choice([c for c in candidates if 0 <= c < (1 << width)])


def _fp32(rng: random.Random) -> int:
    return f32_bits(rng.choice([1.0, 0.5, 2.0, -1.5, 0.0])) if rng.random() < 0.8 else \
        rng.choice([0x7F800000, 0xFF800000, 0x7FC00000, 0xFFFFFFFF, rng.randrange(1 << 32)])


def random_command(rng: random.Random, cfg: GemminiConfig) -> Command:
    """One command of a random format (or a random unknown funct) with boundary field values."""
    if rng.random() < 0.03:
        return Command(rng.choice([22, 23, 24, 25, 30, 64, 100, 125]), rng.randrange(1 << 64),
                       rng.randrange(1 << 64))
    fmt = rng.choice(FORMATS)
    words = [0, 0]
    for reg, f in fmt.fields():
        index = 0 if reg == "rs1" else 1
        kind = f.kind
        if kind is Kind.CONST:
            value = f.const
        elif kind is Kind.RESERVED or kind is Kind.IGNORED:
            value = rng.randrange(1 << f.width) if rng.random() < 0.08 else 0
        elif kind is Kind.LOCAL:
            value = interesting_local(rng, cfg)
        elif kind is Kind.FP32:
            value = _fp32(rng)
        elif kind in (Kind.BOOL, Kind.ENUM):
            value = rng.randrange(1 << f.width)
        elif kind is Kind.ADDR:
            value = rng.choice([0, 0x1000, rng.randrange(1 << 64)])
        else:
            value = _uint(rng, f.width, cfg)
        words[index] |= (value & f.mask) << f.lsb
    return Command(fmt.funct, words[0], words[1])
