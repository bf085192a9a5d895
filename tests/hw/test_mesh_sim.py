"""`MeshWithDelays` with inline cells in amaranth.sim (small arrays), and argument validation.

The Verilator regression (test_mesh_rtl.py) covers the instance-based hierarchy the generator
emits; this covers ``cells="inline"`` and runs without a build.
"""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest
from amaranth.hdl import unsigned
from amaranth.lib import data
from amaranth.sim import Simulator

import mesh_scenarios as sc
from gemmini_gen.config import GemminiConfig
from gemmini_gen.hw.mesh import Mesh, MeshRegion
from gemmini_gen.hw.mesh_with_delays import MeshWithDelays


async def put(ctx, stream, payload):
    """Send one beat on a valid/ready stream."""
    ctx.set(stream.payload, payload)
    ctx.set(stream.valid, 1)
    await ctx.tick().until(stream.ready)
    ctx.set(stream.valid, 0)


def beat(block, r: int, tag) -> dict:
    return {"a": [int(v) for v in block.a[r]], "x": [int(v) for v in block.x[r]],
            "p": [int(v) for v in block.p[r]],
            "ctrl": {"dataflow": int(block.ws), "flip": int(block.flip),
                     "a_transpose": int(block.a_transpose), "b_transpose": int(block.b_transpose),
                     "tag": tag}}


def simulate(cfg: GemminiConfig, blocks, *, gap: float, seed: int, tag_shape=unsigned(8),
             encode_tag=lambda tag: tag):
    """Results of `blocks` as (tags, indices, rows) arrays (tags as raw integers).
    `encode_tag` turns a block's integer tag into a value of `tag_shape`."""
    dut = MeshWithDelays(cfg, cells="inline", tag_shape=tag_shape)
    rng = np.random.default_rng(seed)
    out = []

    async def producer(ctx):
        for block in blocks:
            for r in range(cfg.dim):
                if rng.random() < gap:
                    await ctx.tick().repeat(int(rng.integers(1, 4)))
                await put(ctx, dut.feed, beat(block, r, encode_tag(block.tag)))

    async def consumer(ctx):
        idle = 0
        async for _, _, valid, payload in ctx.tick().sample(dut.result.valid, dut.result.payload):
            if valid:
                tag = payload.tag if isinstance(payload.tag, int) else payload.tag.as_value().value
                out.append((tag, payload.index, [int(v) for v in payload.row]))
                idle = 0
                if len(out) == len(blocks) * cfg.dim:
                    return
            idle += 1
            assert idle < 500, f"MeshWithDelays: no result for 500 cycles ({len(out)} rows out)"

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    tags, indices, rows = zip(*out)
    return np.array(tags), np.array(indices), np.array(rows)


@pytest.mark.parametrize("cfg", [GemminiConfig().with_dim(2),
                                 GemminiConfig().replace(tile_rows=2, tile_cols=2, mesh_rows=2,
                                                         mesh_cols=2)],
                         ids=["dim2", "dim4_tiles_2x2"])
def test_inline_mesh_matches_model(cfg):
    rng = np.random.default_rng(cfg.dim)
    blocks = sc.random_blocks(cfg, 10, rng, transposes=sc.ALL_TRANSPOSES)
    model = sc.MeshModel(cfg.dim, cfg.input_bits, cfg.acc_bits)
    expected = np.stack(model.run_all(blocks))
    tags, indices, rows = simulate(cfg, blocks, gap=0.3, seed=cfg.dim)
    d = cfg.dim
    assert np.array_equal(tags, np.repeat([b.tag for b in blocks], d))
    assert np.array_equal(indices, np.tile(np.arange(d), len(blocks)))
    assert np.array_equal(rows.reshape(len(blocks), d, d), expected)


def test_struct_tag_travels_with_its_block():
    """A `data.Layout` tag comes back unchanged with every row of its block."""
    cfg = GemminiConfig().with_dim(2)
    tag_shape = data.StructLayout({"op": 3, "slot": 5})
    rng = np.random.default_rng(7)
    blocks = sc.random_blocks(cfg, 6, rng)
    for i, b in enumerate(blocks):
        b.tag = (i * 37 + 5) % 256
    tags, _, _ = simulate(cfg, blocks, gap=0.5, seed=7, tag_shape=tag_shape,
                          encode_tag=lambda t: {"op": t & 7, "slot": t >> 3})
    assert np.array_equal(tags, np.repeat([b.tag for b in blocks], cfg.dim))


def test_rejects_bad_arguments():
    with warnings.catch_warnings():
        # A component whose constructor raises is never elaborated; Amaranth warns about that when
        # the half-built object is collected.
        warnings.filterwarnings("ignore", message=".*created but never used")
        with pytest.raises(TypeError, match="GemminiConfig"):
            MeshWithDelays({"dim": 4})
        with pytest.raises(ValueError, match="tag_shape"):
            MeshWithDelays(GemminiConfig().with_dim(2), tag_shape=unsigned(0))
        with pytest.raises(ValueError, match="cells"):
            Mesh(GemminiConfig().with_dim(2), cells="flat")
        with pytest.raises(ValueError, match="region rows"):
            MeshRegion(GemminiConfig().with_dim(4), 3, 1)
        gc.collect()
