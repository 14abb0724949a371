"""Guards: what compiled code assumed about the world, checked before it runs again.

Generated code binds the objects its function's free names meant when it was compiled
(a helper, a constant, a module's function). If one is rebound later (a redefined
helper in a notebook, a changed constant, `mod.f = g`, a closure variable changed by
`nonlocal`), the code must be compiled again rather than give a stale gradient. A guard
is a triple (table, key, object): stale when `table.get(key, MISSING) is not object`.
"""
from __future__ import annotations

import types

from . import ir
from .origin import is_user_code
from .lowering.frontend import MISSING



class CellTable:
    """A closure cell seen as a one-entry table, so cells are guarded like globals."""

    def __init__(self, cell):
        self.cell = cell

    def get(self, key, default=None):
        try:
            return self.cell.cell_contents
        except ValueError:  # an empty cell
            return default


def guards_of(parsed, fn: ir.Function, names: bool = True) -> tuple:
    """Guards for the free names a lowered function read (unless names=False: the
    dispatcher checks those itself), and for the attributes it read from the user's own
    modules (mod.helper)."""
    out = []
    for name in sorted(fn.free or {}) if names else ():
        if name in parsed.closure:
            cell = parsed.closure[name]
            out.append((CellTable(cell), name, CellTable(cell).get(name, MISSING)))
        elif name in parsed.globals:
            out.append((parsed.globals, name, parsed.globals[name]))
    out += list(fn.guards)  # classes' methods and global objects' fields (lowering/objects.py)
    seen = set()
    for stmt in ir.walk(fn.body):
        for expr in ir.expressions(stmt):
            for ref in ir.refs_in(expr):
                out += _attribute_guards(ref, seen)
    return tuple(out)


def _attribute_guards(ref: ir.Ref, seen: set) -> list:
    out, owner = [], ref.root
    for attr in ref.path:
        if not isinstance(owner, types.ModuleType) or not is_user_code(owner):
            break
        value = getattr(owner, attr, MISSING)
        if (id(owner), attr) not in seen:
            seen.add((id(owner), attr))
            out.append((vars(owner), attr, value))
        owner = value
    return out



