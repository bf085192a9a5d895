"""The Mesh: `mesh_rows` x `mesh_cols` Tiles with pipeline registers between them (Gemmini's Mesh).

Every Tile has registers on everything that leaves it: ``a`` to the right, ``b`` and the preload
and result chains downwards each pass ``S = tile_latency + 1`` registers.  The bottom outputs of the
mesh pass ``M = mesh_output_delay`` more registers.

The control of a beat reaches tile ``(t, c)`` ``(t+c)*S`` cycles after it enters the mesh, so all
tiles on one anti-diagonal ``t + c`` see the same control value.  The mesh therefore keeps a single
delay line of the control and hands tap ``k*S`` to every tile of diagonal `k`: ``R + C - 1`` taps
instead of a register chain down every column, which is cheaper in hardware and in simulation.
Likewise the preload chain (pure delay, the same for every column) is kept by the mesh as one
register per chain position holding that position of every column; PE ``(t, q)`` of a tile reads
position ``t*(tile_rows+S) + q + 1``, exactly where its own link and the tile's output registers
would put it.

Timing (the caller skews the data inputs so that one *beat* meets itself in every tile):

* a beat whose ``ctrl`` enters the mesh in cycle ``x``, whose ``a`` enters mesh row `t` in cycle
  ``x + t*S`` and whose ``b_in`` enters mesh column `c` in cycle ``x + c*S`` is processed by tile
  ``(t, c)`` in cycle ``x + (t+c)*S``;
* its ``b`` leaves column `c` (on ``b_out``, together with its ``ctrl_out``) in cycle
  ``x + (R+c)*S + M``;
* preload chain: feed row ``r`` (``r = 0..D-1``) of a preloaded matrix on ``preload`` in beat
  ``x - D + r`` (column-skewed like ``b_in``), i.e. in the `D` beats right before a block whose first
  beat is ``x``.  When that first beat (the one with ``load``) reaches a tile, the PE in physical row
  ``rho = t*tile_rows + q`` holds its column's element of row ``D-1-rho`` (the last row ends up at the
  top);
* result chain: if the beat with ``capture`` is processed by tile ``(R-1, c)`` in cycle ``z``, column
  `c` of ``result`` carries the captured sums of physical rows ``D-1, D-2, ..., 0`` in cycles
  ``z + S + M + 1, ..., z + S + M + D``.

`MeshWithDelays` mirrors the rows (logical row ``i`` lives in physical row ``D-1-i``), so both chains
move matrices in ordinary row order.

Hierarchy: a `MeshRegion` of ``rows x cols`` tiles (with their registers) is built from two or four
half-size regions, down to single tiles.  All regions of one size are identical, so by default each
size is converted once to its own Verilog module and instantiated (see `hierarchy`): converting a
DIM 64 array then handles a few modules instead of 4096 tiles.  A region whose input ports exceed
what Amaranth can number in one module (2**16 bits: the preload links of a DIM 64 int16 array are
65,536 bits alone) is elaborated inline in its parent instead; its parts are still instances.  ``cells="inline"`` elaborates
everything in Amaranth instead (needed for `amaranth.sim`; slow to convert for large arrays).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Shape, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..config import GemminiConfig
from .hierarchy import place
from .pipeline import delay_line, delayed, elements
from .pe import PE_CONTROL, ArrayWidths
from .tile import Tile

__all__ = ["Mesh", "MeshRegion", "region_signature"]


def _vertical_paths(w: ArrayWidths) -> dict:
    """Element shape of each vertical path that passes through the tiles."""
    paths = {"b": signed(w.b)}
    if w.has_os:
        paths["result"] = signed(w.acc)
    return paths


def _grouped(shape, groups: int, per_group: int) -> data.ArrayLayout:
    return data.ArrayLayout(data.ArrayLayout(shape, per_group), groups)


#: Amaranth numbers the input bits of a module (its ports plus ``clk`` and ``rst``) with 16 bits.
_MODULE_INPUT_BITS = 1 << 16


def _fits_one_module(signature: wiring.Signature) -> bool:
    """Whether a component with `signature` can be converted as its own (clocked) module."""
    bits = sum(Shape.cast(member.shape).width for member in signature.members.values()
               if member.flow == In)
    return bits + 2 < _MODULE_INPUT_BITS


def _separate_module(config: GemminiConfig, rows: int, cols: int, prefix: str) -> str | None:
    """Name of the Verilog module a region of `rows` x `cols` tiles is converted to, or None when
    its inputs do not fit one module (the region is then elaborated inline in its parent)."""
    if not _fits_one_module(region_signature(config, rows, cols)):
        return None
    return f"{prefix}_{rows}x{cols}"


def _part_of(port, index: int, size: int):
    """The groups of part `index` (of `size` groups each) of a region port."""
    return elements(port, index * size, (index + 1) * size)


def _preload_row_bits(config: GemminiConfig, cols: int) -> int:
    """Bits of one PE row's preload links in a region `cols` tiles wide: element ``[g][p]`` (PE
    column `p` of tile column `g`), as a plain bit vector.

    A port declared with a layout gets a named wire per element in the Verilog (with one element
    per PE that doubled the DIM 64 mesh's Verilog and its conversion time); one port per PE row
    keeps every port far below the 2**16 bits Amaranth can number in one signal (a single port
    for all links of a DIM 64 int16 array would be 65,536 bits)."""
    return cols * config.tile_cols * ArrayWidths(config).input


def _preload_names(config: GemminiConfig, rows: int) -> list[str]:
    """Port names of the preload links of a region `rows` tiles high, one per PE row."""
    return [f"preload_{r}" for r in range(rows * config.tile_rows)]


def region_signature(config: GemminiConfig, rows: int, cols: int) -> wiring.Signature:
    """Ports of a `MeshRegion` of `rows` x `cols` tiles: ``a_in``/``a_out`` (per tile row),
    ``ctrl`` (per anti-diagonal: element `k` drives the tiles with local row + column = `k`),
    ``preload_<r>`` (the preload links of PE row `r`, see `_preload_row_bits`) and
    ``<path>_in``/``<path>_out`` for each vertical path (per tile column)."""
    w = ArrayWidths(config)
    members = {
        "a_in": In(_grouped(signed(w.input), rows, config.tile_rows)),
        "a_out": Out(_grouped(signed(w.input), rows, config.tile_rows)),
        "ctrl": In(data.ArrayLayout(PE_CONTROL, rows + cols - 1)),
    }
    members.update({name: In(_preload_row_bits(config, cols)) for name in _preload_names(config, rows)})
    for name, shape in _vertical_paths(w).items():
        members[f"{name}_in"] = In(_grouped(shape, cols, config.tile_cols))
        members[f"{name}_out"] = Out(_grouped(shape, cols, config.tile_cols))
    return wiring.Signature(members)


class MeshRegion(wiring.Component):
    """`rows` x `cols` tiles, each with its output registers.  Every ``*_out`` port is the registered
    output of the region's last tile in that row or column.  The control (per anti-diagonal) and the
    preload links come in already delayed (see the module docstring).

    A single tile is a `Tile` plus ``tile_latency + 1`` registers per output; a larger region is a
    grid of half-size regions (halving each dimension that is larger than one), placed as instances
    of module ``<module_prefix>_<rows>x<cols>`` or inline (`cells`)."""

    def __init__(self, config: GemminiConfig, rows: int, cols: int, *, cells: str = "instance",
                 module_prefix: str = "gemmini_mesh"):
        if cells not in ("instance", "inline"):
            raise ValueError(f"cells must be 'instance' or 'inline', got {cells!r}")
        for label, n, limit in (("rows", rows, config.mesh_rows), ("cols", cols, config.mesh_cols)):
            if not isinstance(n, int) or n < 1 or n & (n - 1) or limit % n:
                raise ValueError(f"region {label} must be a power of two dividing {limit}, got {n!r}")
        self.widths = ArrayWidths(config)
        self.config, self.rows, self.cols = config, rows, cols
        self.cells, self.module_prefix = cells, module_prefix
        super().__init__(region_signature(config, rows, cols))

    @property
    def module_name(self) -> str:
        return f"{self.module_prefix}_{self.rows}x{self.cols}"

    @property
    def converted_separately(self) -> bool:
        """Whether this region is instantiated as its own Verilog module (else: inline)."""
        return self.cells == "instance" and _separate_module(
            self.config, self.rows, self.cols, self.module_prefix) is not None

    @property
    def part_size(self) -> tuple[int, int]:
        """Rows and columns of the regions this one is built from."""
        return max(self.rows // 2, 1), max(self.cols // 2, 1)

    def _part(self) -> "MeshRegion":
        return MeshRegion(self.config, *self.part_size, cells=self.cells,
                          module_prefix=self.module_prefix)

    def verilog_modules(self) -> dict[str, wiring.Component]:
        """The modules of the smaller regions this region instantiates."""
        if self.cells == "inline":
            return {}
        return _region_modules(self.config, self.rows, self.cols, self.module_prefix)

    def elaborate(self, platform):
        m = Module()
        if self.rows == self.cols == 1:
            self._elaborate_tile(m)
            return m
        part_rows, part_cols = self.part_size
        grid_rows, grid_cols = self.rows // part_rows, self.cols // part_cols
        paths = list(_vertical_paths(self.widths))
        signature = region_signature(self.config, part_rows, part_cols)
        module_name = (_separate_module(self.config, part_rows, part_cols, self.module_prefix)
                       if self.cells == "instance" else None)
        from_left = [_part_of(self.a_in, i, part_rows) for i in range(grid_rows)]
        from_above = [{p: _part_of(getattr(self, f"{p}_in"), j, part_cols) for p in paths}
                      for j in range(grid_cols)]
        for i in range(grid_rows):
            for j in range(grid_cols):
                inputs = {"a_in": from_left[i], **{f"{p}_in": from_above[j][p] for p in paths},
                          "ctrl": elements(self.ctrl, i * part_rows + j * part_cols,
                                           (i + 1) * part_rows + (j + 1) * part_cols - 1),
                          **self._part_links(i, j)}
                outputs = place(m, f"part_{i}_{j}", signature, inputs, module_name=module_name,
                                build=self._part)
                from_left[i] = outputs["a_out"]
                for p in paths:
                    from_above[j][p] = outputs[f"{p}_out"]
        for i in range(grid_rows):
            m.d.comb += _part_of(self.a_out, i, part_rows).eq(from_left[i])
        for j in range(grid_cols):
            for p in paths:
                m.d.comb += _part_of(getattr(self, f"{p}_out"), j, part_cols).eq(
                    from_above[j][p])
        return m

    def _part_links(self, i: int, j: int):
        """The preload link inputs of part ``(i, j)``: its rows' slices of this region's rows."""
        part_rows, part_cols = self.part_size
        pe_rows = part_rows * self.config.tile_rows
        width = _preload_row_bits(self.config, part_cols)
        return {name: getattr(self, f"preload_{i * pe_rows + r}")[j * width:(j + 1) * width]
                for r, name in enumerate(_preload_names(self.config, part_rows))}

    def _elaborate_tile(self, m: Module):
        m.submodules.tile = tile = Tile(self.config)
        step = self.config.tile_latency + 1
        m.d.comb += [tile.a.eq(self.a_in[0]), tile.ctrl.eq(self.ctrl[0]),
                     tile.preload.eq(Cat(getattr(self, name)
                                         for name in _preload_names(self.config, 1)))]
        m.d.comb += self.a_out[0].eq(delayed(m, self.a_in[0], step, "a"))
        for name in _vertical_paths(self.widths):
            m.d.comb += getattr(tile, f"{name}_in").eq(getattr(self, f"{name}_in")[0])
            registered = delayed(m, getattr(tile, f"{name}_out"), step, name)
            m.d.comb += getattr(self, f"{name}_out")[0].eq(registered)


def _region_modules(config: GemminiConfig, rows: int, cols: int, prefix: str) -> dict:
    """The separately converted modules inside a region of `rows` x `cols` tiles (not the region
    itself): one per smaller region size whose ports fit a module."""
    if rows == cols == 1:
        return {}
    part_rows, part_cols = max(rows // 2, 1), max(cols // 2, 1)
    modules = _region_modules(config, part_rows, part_cols, prefix)
    name = _separate_module(config, part_rows, part_cols, prefix)
    if name is not None:
        modules[name] = MeshRegion(config, part_rows, part_cols, module_prefix=prefix)
    return modules


class Mesh(wiring.Component):
    """The array for `config` (see the module docstring for the timing).

    Ports (element ``[g][k]`` of a grouped port is PE row/column ``k`` of tile row/column ``g``):

    * ``a``: ``In(ArrayLayout(ArrayLayout(signed(W_IN), tile_rows), mesh_rows))``
    * ``ctrl``: the `PE_CONTROL` of the beat entering tile (0, 0); the mesh delays it for the others
    * ``b_in``: per PE column, the top of the ``b`` path (WS partial-sum bias, OS streamed operand)
    * ``preload``: per PE column, the top of the preload chain
    * ``b_out``, ``ctrl_out``, and (OS) ``result``: the bottom of each column
    """

    def __init__(self, config: GemminiConfig, *, cells: str = "instance",
                 module_prefix: str | None = None):
        if cells not in ("instance", "inline"):
            raise ValueError(f"cells must be 'instance' or 'inline', got {cells!r}")
        self.widths = w = ArrayWidths(config)
        self.config = config
        prefix = module_prefix or f"gemmini_mesh_{config.content_hash()[:8]}"
        self.region = MeshRegion(config, config.mesh_rows, config.mesh_cols, cells=cells,
                                 module_prefix=prefix)
        R, C = config.mesh_rows, config.mesh_cols
        tr, tc = config.tile_rows, config.tile_cols
        members = {
            "a": In(_grouped(signed(w.input), R, tr)),
            "ctrl": In(PE_CONTROL),
            "b_in": In(_grouped(signed(w.b), C, tc)),
            "preload": In(_grouped(signed(w.input), C, tc)),
            "b_out": Out(_grouped(signed(w.b), C, tc)),
            "ctrl_out": Out(data.ArrayLayout(PE_CONTROL, C)),
        }
        if w.has_os:
            members["result"] = Out(_grouped(signed(w.acc), C, tc))
        super().__init__(members)

    def verilog_modules(self) -> dict[str, wiring.Component]:
        """Separately converted modules this mesh instantiates: ``{module name: component}``."""
        own = {self.region.module_name: self.region} if self.region.converted_separately else {}
        return {**own, **self.region.verilog_modules()}

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        m = Module()
        R, C, S = cfg.mesh_rows, cfg.mesh_cols, cfg.tile_latency + 1
        out_delay = cfg.mesh_output_delay
        # Tap t*S of the control line drives diagonal t; tap (R+c)*S + M leaves below column c.
        line = delay_line(m, self.ctrl, (R + C - 1) * S + out_delay, "ctrl", reset_less=False)
        diagonals = Signal(data.ArrayLayout(PE_CONTROL, R + C - 1))
        for k in range(R + C - 1):
            m.d.comb += diagonals[k].eq(line[k * S])
        for c in range(C):
            m.d.comb += self.ctrl_out[c].eq(line[(R + c) * S + out_delay])
        # The preload chain: PE row rho = t*tr + q reads position rho + t*S + 1.
        tr = cfg.tile_rows
        chain = delay_line(m, self.preload.as_value(), (R - 1) * (tr + S) + tr, "preload")
        inputs = {"a_in": self.a, "ctrl": diagonals, "b_in": self.b_in}
        for rho, name in enumerate(_preload_names(cfg, R)):
            inputs[name] = chain[rho + (rho // tr) * S + 1]
        if w.has_os:       # the result chain starts empty
            inputs["result_in"] = Signal.like(self.result)
        separate = self.region.converted_separately
        outputs = place(m, "region", self.region.signature, inputs,
                        module_name=self.region.module_name if separate else None,
                        build=lambda: self.region)
        m.d.comb += self.b_out.eq(delayed(m, outputs["b_out"], out_delay, "b_out"))
        if w.has_os:
            m.d.comb += self.result.eq(delayed(m, outputs["result_out"], out_delay, "result_out"))
        return m
