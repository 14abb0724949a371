"""Activity analysis: which values carry a gradient, and which of those reach the result.

A value is *active* when it is computed from a `wrt` parameter by a differentiable
operation; it is *useful* when it also flows into the returned value. Only values that
are both get backward code. Loops are handled by iterating to a fixed point, so a
loop-carried value (s = s + x * w) is found active from its second assignment.
"""
from __future__ import annotations

import operator

from .. import ir
from ..rules.registry import is_nondiff, lookup


def primal_key(value):
    """The registry key of the operation an expression performs."""
    if isinstance(value, (ir.BinOp, ir.UnaryOp)):
        return value.op
    if isinstance(value, ir.Call):
        return value.func.value
    if isinstance(value, ir.Attr):
        return "." + value.name
    if isinstance(value, ir.Subscript):
        subscripted = value.value.value if isinstance(value.value, ir.Ref) else None
        if subscripted is not None and lookup(subscripted) is not None:
            return subscripted  # np.r_[a, b]: an indexing object with a rule of its own
        return operator.getitem
    return None


def differentiable(stmt) -> bool:
    """Does an assignment pass gradients from its operands to its targets?"""
    value = stmt.value
    if isinstance(value, ir.Var):
        return True
    if isinstance(value, (ir.Const, ir.Ref, ir.Compare, ir.Logic)):
        return False
    return not is_nondiff(primal_key(value))


def active_vars(body, wrt) -> set:
    active = set(wrt)
    changed = True
    while changed:
        changed = False
        for stmt in ir.walk(body):
            if isinstance(stmt, ir.SetItem):  # x[i] = v: x carries v's gradient from here on
                if stmt.target not in active and any(v in active for v in ir.vars_in(stmt.value)):
                    active.add(stmt.target)
                    changed = True
                continue
            if not isinstance(stmt, ir.Assign) or not differentiable(stmt):
                continue
            if any(v in active for v in ir.vars_in(stmt.value)):
                new = set(ir.targets(stmt)) - active
                if new:
                    active |= new
                    changed = True
    return active


def useful_vars(body, active: set, result) -> set:
    """Active values the result depends on."""
    useful = {result} if result in active else set()
    changed = True
    while changed:
        changed = False
        for stmt in ir.walk(body):
            if isinstance(stmt, ir.SetItem) and stmt.target in useful:
                new = {v for v in ir.vars_in(stmt.value) if v in active} - useful
                if new:
                    useful |= new
                    changed = True
                continue
            if not isinstance(stmt, ir.Assign) or not differentiable(stmt):
                continue
            if any(t in useful for t in ir.targets(stmt)):
                new = {v for v in ir.vars_in(stmt.value) if v in active} - useful
                if new:
                    useful |= new
                    changed = True
    return useful
