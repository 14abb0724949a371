"""Activity analysis: which values carry a gradient, and which of those reach the result.

A value is *active* when it is computed from a `wrt` parameter by a differentiable
operation; it is *useful* when it also flows into the returned value. Only values that
are both get backward code. Both are reachability over def-use edges (worklists), so a
loop-carried value (s = s + x * w) is found active whatever the order of its assignments.
"""
from __future__ import annotations

import operator

import numpy as np

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
    if isinstance(value, (ir.Const, ir.Ref, ir.Compare, ir.Logic)) or casts_to_integer(value):
        return False
    return not is_nondiff(primal_key(value))


INTEGER_KINDS = "biu"  # numpy dtype kinds whose values carry no gradient


def casts_to_integer(value) -> bool:
    """A call with a constant dtype= that is integer or boolean (x.astype(int),
    np.asarray(x, dtype=bool)): its result is piecewise constant in its input."""
    if not isinstance(value, ir.Call):
        return False
    r = lookup(value.func.value)
    given = dict(zip(r.params, value.args)) if r is not None else {}  # np.astype(x, int)
    given.update(value.kwargs)
    dtype = given.get("dtype")
    if not isinstance(dtype, (ir.Const, ir.Ref)) or dtype.value is None:
        return False
    try:
        return np.dtype(dtype.value).kind in INTEGER_KINDS
    except TypeError:
        return False


def active_vars(body, wrt) -> set:
    """The least set holding wrt and closed under "an operand is active, so are the
    targets": a forward worklist over def-use edges, each statement visited once per
    operand that turns active (not a whole-function pass per new fact)."""
    readers: dict = {}  # var -> the statements that pass its gradient on to their targets
    for stmt in ir.walk(body):
        if isinstance(stmt, ir.SetItem):  # x[i] = v: x carries v's gradient from here on
            gives = (stmt.target,)
        elif isinstance(stmt, ir.Assign) and differentiable(stmt):
            gives = ir.targets(stmt)
        else:
            continue
        for var in dict.fromkeys(ir.vars_in(stmt.value)):
            readers.setdefault(var, []).append(gives)
    active = set(wrt)
    pending = list(active)
    while pending:
        for gives in readers.get(pending.pop(), ()):
            for target in gives:
                if target not in active:
                    active.add(target)
                    pending.append(target)
    return active


def useful_vars(body, active: set, result) -> set:
    """Active values the result depends on: a backward worklist from the result over
    the statements defining each value found useful (x[i] = v defines x too)."""
    operands: dict = {}  # var -> the active operands of each statement that defines it
    for stmt in ir.walk(body):
        if isinstance(stmt, ir.SetItem):
            defines = (stmt.target,)
        elif isinstance(stmt, ir.Assign) and differentiable(stmt):
            defines = ir.targets(stmt)
        else:
            continue
        reads = [v for v in dict.fromkeys(ir.vars_in(stmt.value)) if v in active]
        for var in defines:
            operands.setdefault(var, []).append(reads)
    useful = {result} if result in active else set()
    pending = list(useful)
    while pending:
        for reads in operands.get(pending.pop(), ()):
            for var in reads:
                if var not in useful:
                    useful.add(var)
                    pending.append(var)
    return useful
