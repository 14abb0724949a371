"""One name, one callable: a name assigned in several places must hold the same one.

A call `g(x)` of a name known when compiling is compiled to a call of the function (or
method) it holds, chosen while lowering. A name assigned in a branch or a loop keeps one
variable (flow.py), so what it holds must not depend on the path taken:

    if c > 0:                              g = self.a     (an A)
        g = self.a              ->         g(x) compiled as A.__call__(g, x): wrong when
    else:                                  c <= 0 (g is a B, whose code differs)
        g = self.b
    return g(x)

Every assignment of such a variable is compared, once the whole function is lowered,
with the key of what it was compiled for (statics.static_key); a variable used as known
and assigned anything else is refused at its use, never compiled for one of the paths.
"""
from __future__ import annotations

from .. import ir
from ..errors import UnsupportedSyntax
from .frontend import MISSING
from .statics import static_key


class StaticNames:
    def note_static_use(self, var: ir.Var) -> None:
        """A variable assigned more than once was used as known here (checked at the end)."""
        if var in self.dynamic and var not in self.static_uses:
            self.static_uses[var] = self.origin

    def check_static_names(self, body: list) -> None:
        keys: dict = {}  # var -> {static key or None: where assigned}
        for var in self.static_uses:
            if var.kind is ir.Kind.PARAM and var.name in self.statics:  # as passed in
                keys[var] = {_key(self.statics[var.name]): None}
        for stmt in ir.walk(body):
            if not isinstance(stmt, ir.Assign):
                continue
            single = not isinstance(stmt.target, tuple)
            for var in (stmt.target,) if single else stmt.target:
                if var in self.static_uses:
                    held = self.assigned_static(stmt.value) if single else MISSING
                    keys.setdefault(var, {}).setdefault(_key(held), stmt.origin)
        for var, where in keys.items():
            if len(where) > 1:
                lines = sorted({o.line for o in where.values() if o is not None}) or ["?"]
                raise UnsupportedSyntax.at(
                    self.static_uses[var], f"{var.name} holds different functions or objects "
                    f"depending on the path taken (assigned on lines "
                    f"{', '.join(map(str, lines))}), so the call here cannot be compiled for one",
                    "call each one where it is chosen (inside the branch or loop), or give "
                    "each its own name")

    def assigned_static(self, value):
        if isinstance(value, ir.Var):
            return self.static_of.get(value, MISSING)
        if isinstance(value, ir.Ref):
            return self.static_value(value)
        return self.display_static(value)


def _key(example):
    return None if example is MISSING else static_key(example)
