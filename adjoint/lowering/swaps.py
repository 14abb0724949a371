"""Tuple assignments whose later values read what an earlier target rebinds.

    for i in range(n):                      for i in range(n):
        x, y = y * 1.1, x           ->          s1 = y * 1.1
                                                s2 = x          # read before x changes
                                                x = s1
                                                y = s2

Python evaluates every value before it assigns any target. The lowering assigns the
targets one after another; in straight code each assignment makes a new SSA version
(x_1 = s1; y_1 = x still reads the old x), but a name assigned in a loop or a branch is
one variable all along (`merged`), so `y = x` after `x = s1` would read the new x (the
value and the gradient silently wrong). Such reads go through a copy made first.
"""
from __future__ import annotations

import gast

from .. import ir


def read_before_rebinding(lowering, targets: list, values: list) -> list:
    """`values` (one atom per target) with each variable an earlier target rebinds in
    place replaced by a copy of it made now, before any target is assigned."""
    rebound: set = set()  # the merged variables the targets so far assign
    stale: set = set()  # those a later value reads
    for target, value in zip(targets, values):
        stale.update(v for v in ir.vars_in(value) if v in rebound)
        rebound.update(lowering.current[n] for n in bound_names(target)
                       if n in lowering.merged and n in lowering.current)
    if not stale:
        return values
    copies = {}
    for var in sorted(stale, key=lambda v: v.name):  # (a deterministic order)
        copies[var] = ir.Var(lowering.namer.temp(), ir.Kind.TEMP)
        lowering.emit(ir.Assign(copies[var], var, lowering.origin))
    return [ir.substitute(value, copies) for value in values]


def bound_names(target) -> list:
    """The names a target rebinds: a, or those of (a, *b) (not x in x[i], which is written)."""
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, gast.Starred):
        return bound_names(target.value)
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for t in target.elts for n in bound_names(t)]
    return []
