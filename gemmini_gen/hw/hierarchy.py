"""Instantiate a component as a separately emitted Verilog module.

Amaranth elaborates and converts every instance of a component on its own, at a cost that grows with
the bits of its logic.  A systolic array repeats one cell hundreds or thousands of times, so the
generator converts the cell once (as its own Verilog module) and instantiates it with `Instance`.
`place` adds one copy of a component with flat ports to a module either way (inline, or as an
instance of the separately converted module) with the same port wiring; `place_interface` does the
same for a component with nested interfaces (streams, memory ports) and returns an object with the
component's members to connect.  Components that instantiate modules list them in
`verilog_modules()` so that `gemmini_gen.emit` converts them too.
"""

from __future__ import annotations

from typing import Callable

from amaranth.hdl import ClockSignal, Const, DomainRenamer, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring

__all__ = ["place", "place_interface"]


def place(m: Module, name: str, signature: wiring.Signature, inputs: dict, *,
          module_name: str | None, build: Callable[[], wiring.Component],
          clocked: bool = True, domain: str = "sync") -> dict:
    """Add one copy of a component with `signature` to `m` and return its outputs by member name.

    `inputs` maps every input member to the value that drives it.  With `module_name`, the copy is
    an `Instance` of that Verilog module (the conversion of `build()`, a ``sync``-domain design with
    ports ``clk`` and ``rst``, or with `clocked` false a purely combinational design without them),
    wired straight to the given values; otherwise `build()` is elaborated inline as submodule
    `name`.  Either way the copy's ``sync`` logic runs in clock domain `domain`."""
    members = signature.members
    for member_name, member in members.items():
        if not member.is_port:
            raise TypeError(f"{name}.{member_name}: only flat port members can be placed")
    missing = {n for n, mb in members.items() if mb.flow == wiring.In} - set(inputs)
    if missing:
        raise ValueError(f"{name}: inputs not driven: {', '.join(sorted(missing))}")
    if module_name is None:
        component = build()
        m.submodules[name] = component if domain == "sync" else DomainRenamer(domain)(component)
        m.d.comb += [getattr(component, n).eq(v) for n, v in inputs.items()]
        return {n: getattr(component, n) for n, mb in members.items() if mb.flow == wiring.Out}
    outputs = {n: Signal(mb.shape, name=f"{name}__{n}")
               for n, mb in members.items() if mb.flow == wiring.Out}
    ports = {"i_clk": ClockSignal(domain), "i_rst": ResetSignal(domain)} if clocked else {}
    ports.update({f"i_{n}": v for n, v in inputs.items()})
    ports.update({f"o_{n}": v for n, v in outputs.items()})
    m.submodules[name] = Instance(module_name, **ports)
    return outputs


def place_interface(m: Module, name: str, signature: wiring.Signature, *, module_name: str | None,
                    build: Callable[[], wiring.Component]):
    """Add one copy of a component with `signature` to `m` and return its interface: the component
    itself (`build()` elaborated inline as submodule `name`) without `module_name`, otherwise an
    `Instance` of that Verilog module (the conversion of `build()`, a ``sync``-domain design) wired
    to ``signature.create()``.  Either way the caller drives and reads the members as it would the
    component's; the module's ports are the signature's members with their paths joined by
    ``__``, as `gemmini_gen.emit` names them (constant members, such as an always-ready stream's
    ``ready``, are no ports)."""
    if module_name is None:
        component = m.submodules[name] = build()
        return component
    interface = signature.create(path=(name,))
    ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
    for path, member, value in signature.flatten(interface):
        if not isinstance(value, Const):
            direction = "i" if member.flow == wiring.In else "o"
            ports[f"{direction}_{'__'.join(map(str, path))}"] = value
    m.submodules[name] = Instance(module_name, **ports)
    return interface
