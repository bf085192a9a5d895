"""LOOP_WS (ISA.md section 8): identical final memory to its explicit expansion, numpy reference,
residual add, operand reuse, chained loops, and the well-formedness rules."""

import numpy as np
import pytest

from gemmini_gen import arith
from gemmini_gen.isa import (
    IllegalInstruction, LoopWsRegisters, config_ex, config_ld, config_st, decode, expand_loop_ws,
    loop_ws,
)

I8 = np.int8


def configs(cfg, *, a_stride, b_stride, d_stride, c_stride, low_d=False, full_c=False,
            a_t=False, b_t=False, act=0, scale=1.0):
    es, acc_bytes = cfg.input_bytes, cfg.acc_bytes
    dsz = es if low_d else acc_bytes
    csz = acc_bytes if full_c else es
    return [config_ex("WS", a_transpose=a_t, b_transpose=b_t),
            config_ld(a_stride * es, block_stride=cfg.dim, id=0),
            config_ld(b_stride * es, block_stride=cfg.dim, id=1),
            config_ld(d_stride * dsz, shrunk=low_d, block_stride=cfg.dim, id=2),
            config_st(c_stride * csz, act=act, scale=scale)]


def expand(cfg, loop_cmds):
    """The explicit commands for one `loop_ws(...)` group (5 configs + LOOP_WS)."""
    regs = LoopWsRegisters()
    for cmd in loop_cmds[:5]:
        regs.update(decode(cmd))
    return expand_loop_ws(regs, decode(loop_cmds[5]), cfg)


def matmul_case(bench, cfg, *, i, j, k, pad=(0, 0, 0), bias="none", full_c=False, a_t=False,
                b_t=False, act=1, scale=0.03):
    dim = cfg.dim
    m, n, kk = i * dim - pad[0], j * dim - pad[1], k * dim - pad[2]
    rng = np.random.default_rng(i * 100 + j * 10 + k)
    a = rng.integers(-128, 128, (m, kk), dtype=I8)
    b = rng.integers(-128, 128, (kk, n), dtype=I8)
    bb = bench(cfg)
    a_addr = bb.put("A", a.T.copy() if a_t else a)
    b_addr = bb.put("B", b.T.copy() if b_t else b)
    d_stride, d_addr, d = 0, 0, np.zeros((m, n), np.int64)
    if bias == "row":                          # one int32 row repeated (dram stride 0)
        row = rng.integers(-5000, 5000, n, dtype=np.int32)
        d_addr, d = bb.put("D", row), np.broadcast_to(row, (m, n))
    elif bias == "matrix":
        d = rng.integers(-5000, 5000, (m, n), dtype=np.int32)
        d_addr, d_stride = bb.put("D", d), n
    csz = 4 if full_c else 1
    c_addr = bb.space("C", m * n * csz)
    strides = dict(a_stride=m if a_t else kk, b_stride=k * dim - pad[2] if b_t else n,
                   d_stride=d_stride, c_stride=n)
    loop = loop_ws(i, j, k, *pad, a_addr, b_addr, d_addr, c_addr, strides["a_stride"],
                   strides["b_stride"], d_stride, n, a_transpose=a_t, b_transpose=b_t,
                   full_c=full_c, ex_accumulate=bias != "none", act=0)
    setup = configs(cfg, full_c=full_c, a_t=a_t, b_t=b_t, act=act, scale=scale, **strides)
    sums = arith.wrap(a.astype(np.int64) @ b.astype(np.int64) + d, 32)
    if full_c:
        expected, dtype = sums, np.int32
    else:
        expected = arith.scale_to_int(sums, scale, 8)
        expected, dtype = (np.maximum(expected, 0) if act else expected), I8
    return bb, setup, loop, expected, (m, n), dtype


@pytest.mark.parametrize("case", [
    dict(i=2, j=3, k=2),
    dict(i=3, j=2, k=3, pad=(1, 3, 2), bias="row"),
    dict(i=2, j=2, k=2, pad=(2, 1, 3), bias="matrix", full_c=True),
    dict(i=2, j=1, k=3, pad=(0, 2, 1), a_t=True),
    dict(i=1, j=3, k=2, pad=(3, 0, 1), b_t=True, bias="row", act=0),
])
def test_loop_ws_equals_its_expansion_and_the_reference(dim4, bench, case):
    bb, setup, loop, expected, shape, dtype = matmul_case(bench, dim4, **case)
    looped = bb.run(setup + loop)
    explicit = bb.run(setup + expand(dim4, loop))
    assert looped.memory == explicit.memory
    assert np.array_equal(looped.memory.read_array("C", shape, dtype), expected)
    assert looped.stats.instructions["loop_ws"] == 1
    assert looped.stats.compute_count == explicit.stats.compute_count == case["i"] * case["j"] * case["k"]


def test_chained_loops_continue_partial_sums_and_reuse_a(dim4, bench):
    """K split over two loops (second one ex_accumulate, D = 0), then a third loop reusing A."""
    dim = dim4.dim
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, (8, 16), dtype=I8)             # I = 2, K = 4 (two halves of 2)
    b = rng.integers(-128, 128, (16, 8), dtype=I8)             # J = 2
    b2 = rng.integers(-128, 128, (8, 8), dtype=I8)
    bb = bench(dim4)
    a_addr, b_addr, b2_addr = bb.put("A", a), bb.put("B", b), bb.put("B2", b2)
    c_addr, c2_addr = bb.space("C", 64), bb.space("C2", 64)
    setup = configs(dim4, a_stride=16, b_stride=8, d_stride=0, c_stride=8)
    first = loop_ws(2, 2, 2, 0, 0, 0, a_addr, b_addr, 0, 0, 16, 8, 0, 8)
    second = loop_ws(2, 2, 2, 0, 0, 0, a_addr + 2 * dim, b_addr + 8 * 8, 0, c_addr, 16, 8, 0, 8,
                     ex_accumulate=True, a_spad_id=1)
    reuse = loop_ws(2, 2, 2, 0, 0, 0, 0, b2_addr, 0, c2_addr, 16, 8, 0, 8, a_spad_id=1)
    result = bb.run(setup + first + second + reuse)
    full = arith.sat(a.astype(np.int64) @ b.astype(np.int64), 8)
    assert np.array_equal(result.memory.read_array("C", (8, 8), I8), full)
    reused = arith.sat(a[:, 8:].astype(np.int64) @ b2.astype(np.int64), 8)
    assert np.array_equal(result.memory.read_array("C2", (8, 8), I8), reused)


def test_resadd_matches_reference_and_expansion(dim4, bench):
    rng = np.random.default_rng(8)
    a = rng.integers(-128, 128, (6, 7), dtype=I8)
    b = rng.integers(-128, 128, (6, 7), dtype=I8)
    bb = bench(dim4)
    a_addr, b_addr, c_addr = bb.put("A", a), bb.put("B", b), bb.space("C", 42)
    setup = [config_ld(7, 0.5, shrunk=True, block_stride=4, id=0),
             config_ld(7, 2.0, shrunk=True, block_stride=4, id=1),
             config_st(7, act=1, scale=0.75)]
    loop = loop_ws(2, 2, 0, 2, 1, 0, a_addr, b_addr, 0, c_addr, 7, 7, 0, 7, is_resadd=True)
    looped = bb.run(setup + loop)
    assert looped.memory == bb.run(setup + expand(dim4, loop)).memory
    sums = arith.scale_to_int(a, 0.5, 8) + arith.scale_to_int(b, 2.0, 8)
    expected = np.maximum(arith.scale_to_int(sums, 0.75, 8), 0)
    assert np.array_equal(looped.memory.read_array("C", (6, 7), I8), expected)


def _rule_case(dim4, bench):
    bb = bench(dim4)
    a, b, c = bb.space("A", 64), bb.space("B", 64), bb.space("C", 64)
    return bb, configs(dim4, a_stride=8, b_stride=8, d_stride=0, c_stride=8), (a, b, c)


@pytest.mark.parametrize("mutate,field", [
    (lambda s, l: (s, l[1:]), "funct"),                                     # rule 3
    (lambda s, l: ([config_ex("OS")] + s[1:], l), "config_ex"),            # rule 1
    (lambda s, l: (s[:1] + [config_ld(9, block_stride=4)] + s[2:], l), "config_ld"),  # rule 2
    (lambda s, l: (s[:4] + [config_st(8, pool_stride=1, pool_size=1)], l), "config_st"),
])
def test_state_rules_name_the_loop_and_field(dim4, bench, mutate, field):
    bb, setup, (a, b, c) = _rule_case(dim4, bench)
    loop = loop_ws(2, 2, 2, 0, 0, 0, a, b, 0, c, 8, 8, 0, 8)
    setup, loop = mutate(setup, loop)
    with pytest.raises(IllegalInstruction) as err:
        bb.run(setup + loop)
    assert err.value.index == len(setup) + len(loop) - 1
    assert err.value.field == field and err.value.name == "loop_ws"


@pytest.mark.parametrize("kwargs,field", [
    (dict(a=0, a_spad_id=1), "a"),                          # rule 5: nothing to reuse
    (dict(a=0), "a"),                                       # reuse needs a spad id
    (dict(ex_accumulate=True), "ex_accumulate"),            # rule 6: nothing to continue
    (dict(d="A"), "ex_accumulate"),                         # a bias needs ex_accumulate
    (dict(i=9, j=9), "i/j"),                                # capacity of the accumulator
    (dict(k=0), "k"),
])
def test_register_rules(dim4, bench, kwargs, field):
    bb, setup, (a, b, c) = _rule_case(dim4, bench)
    args = dict(i=2, j=2, k=2, pad_i=0, pad_j=0, pad_k=0, a=a, b=b, d=0, c=c, a_stride=8,
                b_stride=8, d_stride=0, c_stride=8)
    args.update({key: a if value == "A" else value for key, value in kwargs.items()})
    with pytest.raises(IllegalInstruction) as err:
        bb.run(setup + loop_ws(**args))
    assert err.value.field == field and err.value.index == len(setup) + 5


def test_resadd_needs_both_operands(dim4, bench):
    bb, _, (a, b, c) = _rule_case(dim4, bench)
    setup = [config_ld(8, shrunk=True, block_stride=4, id=0),
             config_ld(8, shrunk=True, block_stride=4, id=1), config_st(8)]
    with pytest.raises(IllegalInstruction) as err:
        bb.run(setup + loop_ws(2, 2, 0, 0, 0, 0, a, 0, 0, c, 8, 8, 0, 8, is_resadd=True))
    assert err.value.field == "a/b" and err.value.index == len(setup) + 5
