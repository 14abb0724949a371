"""Guards: what compiled code assumed about the world, checked before it runs again.

Generated code binds the objects its function's free names meant when it was compiled
(a helper, a constant, a module's function) and was written from one version of each
function's code. If one is rebound later (a redefined helper in a notebook, a changed
constant, `mod.f = g`, `np.tanh = ...`, a closure variable changed by `nonlocal`, a
function's `__code__` replaced in place by IPython's %autoreload), the code must be
compiled again rather than give a stale gradient. A guard is a triple
(table, key, object): stale when `table.get(key, MISSING) is not object`.
"""
from __future__ import annotations

import types

from . import ir
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


class AttributeTable:
    """An object's attributes seen as a table: guards a function's `__code__`."""

    def __init__(self, owner):
        self.owner = owner

    def get(self, key, default=None):
        return getattr(self.owner, key, default)


def code_guard(func) -> tuple:
    """Stale once `func.__code__` is replaced (IPython's %autoreload does that in place)."""
    return (AttributeTable(func), "__code__", func.__code__)


def guards_of(parsed, fn: ir.Function, skip_names=frozenset()) -> tuple:
    """Guards for the free names a lowered function read (except `skip_names`), and for the module attributes it read (np.tanh,
    math.sin, mymodule.helper)."""
    out = []
    for name in sorted(set(fn.free or {}) - set(skip_names)):
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
    """np.linalg.norm -> guards on np's `linalg` and on np.linalg's `norm`."""
    out, owner = [], ref.root
    for attr in ref.path:
        if not isinstance(owner, types.ModuleType):
            break
        value = getattr(owner, attr, MISSING)
        if (id(owner), attr) not in seen:
            seen.add((id(owner), attr))
            out.append((vars(owner), attr, value))
        owner = value
    return out


def is_stale(guards) -> bool:
    """Whether anything a guard recorded has been rebound since."""
    for table, key, obj in guards:
        if table.get(key, MISSING) is not obj:
            return True
    return False


def merged(*groups) -> tuple:
    """The guards of several groups, each once: the same (table, key, expected object);
    two code guards of one function are one (each makes its own AttributeTable)."""
    out = {}
    for group in groups:
        for table, key, obj in group:
            where = table.owner if isinstance(table, AttributeTable) else table
            out.setdefault((id(where), key, id(obj)), (table, key, obj))
    return tuple(out.values())
