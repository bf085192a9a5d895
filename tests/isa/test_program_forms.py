"""Program text (assembly) and binary forms: exact round trips (hypothesis), the canonical text of a
known program, tolerant assembly, and one-line errors."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemmini_gen.isa import (
    FORMATS, GARBAGE, AssemblyError, Command, Program, ProgramFormatError, acc, compute_preloaded,
    config_ex, config_ld, config_st, counter_configure, mvin, mvout, preload, sp,
)
from gemmini_gen.memory import Region

A = Region("A", 0x1000, 0x100)
C = Region("C.out", 0x2000, 0x40)


def sample_program():
    return Program([
        config_ex("WS", act=1, a_transpose=True),
        config_ld(64, 0.1, block_stride=16, id=1),
        config_st(16, act=1, scale=float("inf")),
        mvin(A.base + 0x40, sp(12), 16, 4),
        mvin(0, acc(3, accumulate=True), 4, 1),
        preload(sp(0), acc(0, accumulate=True, read_full=True), 16, 16, 16, 16),
        compute_preloaded(sp(16), GARBAGE, 16, 16, 16, 16),
        mvout(C.base, acc(0) | 3 << 26, 16, 1),
        mvout(0x5000, sp(1), 1, 1),
        counter_configure(2, 46),
        Command(0, 1 << 5 | 0x7FC00001 << 32, 7),      # reserved bits and a NaN scale
        Command(25, 1, 2),                              # RTL-only funct
    ], [A, C], name="demo program", comment="line one\n\n  indented  ")


EXPECTED_TEXT = """\
.program demo program
.comment line one
.comment
.comment   indented  
.region A 0x1000 0x100
.region C.out 0x2000 0x40
config_ex            dataflow=WS act=RELU a_transpose a_stride=1 acc_scale=1.0 c_stride=1
config_ld            id=1 pixel_repeats=1 block_stride=16 scale=0.1 stride=64
config_st            act=RELU stride=16 scale=inf
mvin                 dram=A+0x40 sp[12] rows=4 cols=16
mvin                 dram=0 acc[3].accumulate rows=1 cols=4
preload              bd=sp[0] bd_rows=16 bd_cols=16 c=acc[0].accumulate.read_full c_rows=16 c_cols=16
compute_preloaded    a=sp[16] a_rows=16 a_cols=16 bd=garbage bd_rows=16 bd_cols=16
mvout                dram=C.out acc[0].norm3 rows=1 cols=16
mvout                dram=0x5000 sp[1] rows=1 cols=1
counter              configure index=2 event=2 external
config_ex            dataflow=OS act=NONE acc_scale=0x7fc00001 in_shift=7 rs1[6:5]=0x1
raw                  funct=25 rs1=0x1 rs2=0x2
"""


def test_canonical_text_of_a_known_program():
    program = sample_program()
    assert program.to_text() == EXPECTED_TEXT
    assert Program.from_text(EXPECTED_TEXT) == program


def test_assembler_accepts_any_order_numbers_and_comments():
    text = """
    # a comment line
    .region A 4096 256
    mvin  cols=0x10 rows=4 sp[12] dram=A+64   # trailing comment
    config_ex a_transpose=1 dataflow=1 act=relu c_stride=1 a_stride=1 acc_scale=1
    """
    program = Program.from_text(text)
    assert program.commands == [mvin(A.base + 64, sp(12), 16, 4),
                                config_ex("WS", act=1, a_transpose=True)]


@pytest.mark.parametrize("text,line,message", [
    ("nop", 1, "unknown instruction 'nop'"),
    ("mvin bogus=1", 1, "no field 'bogus'"),
    ("\nmvin rows=1 rows=2", 2, "rows given twice"),
    ("mvin sp[1].oops", 1, "suffix .oops"),
    ("mvin rows=70000", 1, "does not fit in 16 bits"),
    ("mvin dram=B+4", 1, "unknown region"),
    (".region A 1 2 3", 1, "needs a name"),
    ("config_ex act=SIGMOID", 1, "unknown act"),
    ("raw funct=1 rs1=2", 1, "exactly funct"),
    ("config_ex rs1[2:0]=1", 1, "not a reserved field"),
    (".what", 1, "unknown directive"),
])
def test_assembly_errors_name_the_line(text, line, message):
    with pytest.raises(AssemblyError, match=message) as err:
        Program.from_text(text)
    assert err.value.line == line and str(err.value).startswith(f"line {line}: ")


def test_binary_layout():
    program = sample_program()
    data = program.to_bytes()
    assert data[:8] == b"GMNIPROG"
    version, header_bytes, count, regions = struct.unpack_from("<IIQI", data, 8)
    assert (version, count, regions) == (1, len(program), 2)
    assert header_bytes % 8 == 0 and len(data) == header_bytes + 24 * count
    assert struct.unpack_from("<QQQ", data, header_bytes) == tuple(program.commands[0])
    assert struct.unpack_from("<QQ", data, 40) == (A.base, A.size)
    assert Program.from_bytes(data) == program and Program.from_bytes(data).to_bytes() == data


@pytest.mark.parametrize("corrupt,message", [
    (lambda d: b"XXXXXXXX" + d[8:], "magic"),
    (lambda d: d[:8] + struct.pack("<I", 2) + d[12:], "version 2"),
    (lambda d: d[:-1], "commands need"),
    (lambda d: d + bytes(24), "commands need"),
    (lambda d: d[:20], "truncated"),
    (lambda d: d[:40 + 16 + 8 + 1] + b"\x01" + d[40 + 16 + 8 + 2:], "padding"),
])
def test_binary_errors(corrupt, message):
    data = Program([mvin(1, sp(0), 1, 1)], [Region("A", 0x1000, 16)], name="n").to_bytes()
    with pytest.raises(ProgramFormatError, match=message):
        Program.from_bytes(corrupt(data))


def test_program_validation_of_its_parts():
    with pytest.raises(ValueError, match="rs1 must be an unsigned 64-bit"):
        Program([Command(2, -1, 0)])
    with pytest.raises(ValueError, match="overlaps"):
        Program([], [Region("A", 0x1000, 16), Region("B", 0x1008, 16)])
    with pytest.raises(ValueError, match="one line"):
        Program([], name="two\nlines")


# ------------------------------------------------------------------------------------------------
# Round-trip properties over arbitrary bits
# ------------------------------------------------------------------------------------------------
KNOWN_FUNCTS = sorted({fmt.funct for fmt in FORMATS})
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,8}", fullmatch=True)


@st.composite
def programs(draw):
    bases = draw(st.lists(st.integers(1, 1 << 20), min_size=0, max_size=3, unique=True))
    regions = [Region(f"r{i}_{draw(names)}", base << 12, draw(st.integers(1, 4096)))
               for i, base in enumerate(sorted(bases))]
    near = [r.base + draw(st.integers(0, r.size - 1)) for r in regions]
    word = st.one_of(st.integers(0, 2 ** 64 - 1), st.integers(0, 2 ** 16),
                     st.sampled_from([GARBAGE, GARBAGE | 5 << 48] + near or [0]))
    commands = draw(st.lists(st.builds(Command, st.one_of(st.sampled_from(KNOWN_FUNCTS),
                                                            st.integers(0, 127)), word, word),
                             max_size=12))
    comment = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                  blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e"
                                                  "\x85\u2028\u2029"), max_size=20))
    name = draw(st.text(alphabet="abc XYZ_-#1", max_size=10)).strip()
    return Program(commands, regions, name=name, comment=comment)


@settings(max_examples=300, deadline=None)
@given(programs())
def test_text_round_trip(program):
    text = program.to_text()
    again = Program.from_text(text)
    assert again == program
    assert again.to_text() == text


@settings(max_examples=300, deadline=None)
@given(programs())
def test_binary_round_trip(program):
    data = program.to_bytes()
    again = Program.from_bytes(data)
    assert again == program and again.to_bytes() == data
