"""Shape classes: which values provably have the same shape, so `unbroadcast` can go.

Nothing here knows concrete shapes. A value's class is `SCALAR` (shape ()), a Var that
stands for "the same shape as this value", or None (unknown, equal to nothing). Inputs
known to be Python or numpy scalars start as SCALAR; every other input is its own class.
Elementwise operations give the broadcast of their operands' classes when one side is a
scalar or both sides agree; anything else starts a new class. A reduction with no axis
is a scalar.

    unbroadcast(g * b, a)  ->  g * b     when class(g * b) == class(a)
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import ir
from ..rules.registry import lookup
from .template import template_of
from ..runtime.core import unbroadcast

SCALAR = ()


def combine(classes):
    """The class of an elementwise result, or None when it cannot be proved."""
    result = SCALAR
    for c in classes:
        if c is None:
            return None
        if c == SCALAR:
            continue
        if result == SCALAR:
            result = c
        elif result != c:
            return None
    return result


def infer(fn: ir.Function, scalar_params: frozenset) -> dict:
    """Class of every variable the function defines.

    A variable assigned once whose class is unknown is a class of its own. A variable
    assigned more than once (in a loop, or in several branches: `fn.dynamic`) gets the
    class all its assignments agree on, else none (unknown), because a value computed
    from its old value would share its class after a reassignment changed its shape
    (h = x; loop: h = h * 1.5 + c grows h from x's shape to c's, and h * 1.5 had the
    old one) -- unless it is `settled`: then it is its own class again. Iterated to a
    fixed point, starting from each variable's first assignment (a loop-carried s = 0.0
    stays a scalar as long as s = s + ... keeps it one).
    """
    own = settled(fn)
    classes: dict = {p: SCALAR if p.name in scalar_params else p for p in fn.params}
    initial = dict(classes)
    for _ in range(20):
        options: dict = {}
        for stmt in ir.walk(fn.body):
            for var in ir.targets(stmt):
                if isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var):
                    c = expr_class(stmt.value, classes)
                elif isinstance(stmt, ir.For):
                    c = SCALAR  # a counter over range(...): an int
                else:
                    c = None  # unpacked values: nothing known
                if c is None and var in own:
                    c = var  # its own shape, whatever it is
                options.setdefault(var, []).append(c)
                if var not in classes:
                    classes[var] = c  # optimistic start: the first assignment's class
        changed = False
        for var, found in options.items():
            if var in initial:
                found = found + [initial[var]]
            new = found[0] if all(c == found[0] for c in found) else (var if var in own else None)
            if classes.get(var) != new:
                classes[var] = new
                changed = True
        if not changed:
            return classes
    # no fixed point: no class for reassigned variables, their own for the others (sound)
    classes = dict(initial)
    for stmt in ir.walk(fn.body):
        for var in ir.targets(stmt):
            if var in fn.dynamic or var in classes:
                classes[var] = None
            elif not isinstance(stmt, ir.Assign) or not isinstance(stmt.target, ir.Var):
                classes[var] = var
            else:
                classes[var] = expr_class(stmt.value, classes) or var
    return classes


def settled(fn: ir.Function) -> set:
    """Variables that may be their own shape class: those assigned once, and reassigned
    ones never read before one of their assignments (in program order, or anywhere in a
    loop that assigns them): every value computed from one of those saw its last value
    (z set in either branch of an if, then read)."""
    unsettled, read = set(), set()
    for stmt in ir.walk(fn.body):
        read.update(ir.reads(stmt))
        unsettled.update(v for v in ir.targets(stmt) if v in read)
        if isinstance(stmt, (ir.For, ir.While)):
            inside = list(ir.walk([stmt]))
            unsettled |= {v for s in inside for v in ir.targets(s)} & {v for s in inside for v in ir.reads(s)}
    assigned = {v for stmt in ir.walk(fn.body) for v in ir.targets(stmt)}
    return (assigned - set(fn.dynamic)) | (set(fn.dynamic) - unsettled)


def expr_class(expr, classes):
    if isinstance(expr, ir.Var):
        return classes.get(expr)
    if isinstance(expr, ir.Const):
        return SCALAR if _is_scalar_number(expr.value) else None
    if isinstance(expr, ir.Ref):
        return SCALAR if _is_scalar_number(expr.value) else None
    if isinstance(expr, ir.BinOp):
        r = lookup(expr.op)
        if r is not None and r.elementwise:
            return combine([expr_class(expr.left, classes), expr_class(expr.right, classes)])
        return None
    if isinstance(expr, (ir.UnaryOp, ir.Compare)):
        return combine([expr_class(c, classes) for c in ir.children(expr)])
    if isinstance(expr, ir.Call):
        return _call_class(expr, classes)
    return None


def _call_class(call: ir.Call, classes):
    func = call.func.value
    if func is unbroadcast and len(call.args) == 2:
        return expr_class(call.args[1], classes)
    if getattr(func, "__module__", None) == "math" or func in (float, int, len):
        return SCALAR  # math.* and float(...) return Python numbers
    r = lookup(func)
    if r is None:
        return None
    if r.elementwise or (r.elementwise is None and is_elementwise_rule(r)):
        return combine([expr_class(a, classes) for a in call.args])
    if "axis" in r.options and _no_axis(call, r):
        return SCALAR
    return None


def _no_axis(call: ir.Call, r) -> bool:
    given = dict(zip(r.params, call.args))
    given.update(call.kwargs)
    axis = given.get("axis")
    keepdims = given.get("keepdims")
    no_axis = axis is None or isinstance(axis, ir.Const) and axis.value is None
    no_keep = keepdims is None or isinstance(keepdims, ir.Const) and not keepdims.value
    return no_axis and no_keep and r.primal in _scalar_reductions()


def _scalar_reductions():
    return {np.sum, np.mean, np.max, np.min, np.prod}


def is_elementwise_rule(r) -> bool:
    """A rule whose every gradient formula is elementwise in g, y and the inputs."""
    template = template_of(r)
    if template.body:
        return False
    return all(ret is None or _elementwise_tree(ret) for ret in template.returns)


def _elementwise_tree(expr) -> bool:
    if isinstance(expr, (ir.Var, ir.Const)):
        return True
    if isinstance(expr, ir.Ref):
        return _is_scalar_number(expr.value)
    if isinstance(expr, (ir.BinOp, ir.UnaryOp, ir.Compare)):
        r = lookup(expr.op) if not isinstance(expr, ir.Compare) else None
        if isinstance(expr, ir.BinOp) and not (r and r.elementwise):
            return False
        return all(_elementwise_tree(c) for c in ir.children(expr))
    if isinstance(expr, ir.Call):
        r = lookup(expr.func.value)
        return bool(r and r.elementwise) and all(_elementwise_tree(a) for a in expr.args) \
            and not expr.kwargs
    return False


def _is_scalar_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, complex)
