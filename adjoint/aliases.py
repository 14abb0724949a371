"""In-place updates: `x += v` is compiled as `x = x + v`.

That is exactly what Python does for numbers, and for an array no other name can see.
Where another name (or the caller) may share the array, Python would change it too,
and the rebinding would silently compute something else: such an update is refused,
naming the line. On the SSA form the question is asked of the value being updated:

- its every assignment makes a new value (arithmetic, a ufunc, np.zeros, np.copy, ...);
- it is never shared: not copied to another name, sliced or transposed (views), put in a
  tuple or list, or passed to a call that might return it.
"""
from __future__ import annotations

import builtins

import numpy as np

from . import ir, shapes
from .errors import UnsupportedSyntax

SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}


def check_in_place(fn: ir.Function, classes: dict) -> None:
    updates = [s for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and s.may_alias]
    if not updates:
        return
    unsafe = _shared_or_borrowed(fn)
    for stmt in updates:
        old = stmt.value.left if isinstance(stmt.value, ir.BinOp) else None
        if isinstance(old, ir.Var) and old in unsafe and classes.get(old) != shapes.SCALAR:
            name = stmt.may_alias
            raise UnsupportedSyntax.at(
                stmt.origin, f"{name} op= ... would change an array that {name} may share "
                "with another name (or with the caller), which adjoint does not track",
                f"write {name} = {name} + ... (a new array), or copy first: {name} = np.copy({name})")


def _shared_or_borrowed(fn: ir.Function) -> set:
    unsafe = set(fn.params)
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Assign):
            if not _makes_new_value(stmt.value):
                unsafe.update(ir.targets(stmt))
            if isinstance(stmt.value, ir.Var):
                unsafe.add(stmt.value)
        if isinstance(stmt, ir.For) and stmt.target is not None:
            unsafe.add(stmt.target)
        for expr in _expressions(stmt):
            unsafe |= _sharing_uses(expr)
    return unsafe


def _sharing_uses(expr) -> set:
    found = set()
    if isinstance(expr, ir.Subscript) and isinstance(expr.value, ir.Var):
        found.add(expr.value)
    elif isinstance(expr, ir.Attr) and isinstance(expr.value, ir.Var) \
            and expr.name not in SHAPE_ATTRIBUTES:
        found.add(expr.value)
    elif isinstance(expr, ir.TupleExpr):
        found.update(e for e in expr.elts if isinstance(e, ir.Var))
    elif isinstance(expr, ir.Call) and not _fresh_callable(expr.func.value):
        found.update(a for a in expr.args if isinstance(a, ir.Var))
        found.update(v for _, v in expr.kwargs if isinstance(v, ir.Var))
    for child in ir.children(expr):
        found |= _sharing_uses(child)
    return found


def _expressions(stmt) -> list:
    if isinstance(stmt, (ir.Assign, ir.ExprStmt, ir.Return, ir.Push)):
        return [stmt.value]
    if isinstance(stmt, (ir.If, ir.While)):
        return [stmt.test]
    if isinstance(stmt, ir.For):
        return [stmt.start, stmt.stop, stmt.step]
    return []


def _makes_new_value(value) -> bool:
    if isinstance(value, (ir.BinOp, ir.UnaryOp, ir.Compare, ir.Logic, ir.Const)):
        return True
    return isinstance(value, ir.Call) and _fresh_callable(value.func.value)


def _fresh_callable(func) -> bool:
    """Always returns a new array (or an immutable number)."""
    if isinstance(func, np.ufunc) or getattr(func, "__module__", None) == "math":
        return True
    try:
        return func in _FRESH
    except TypeError:
        return False


_FRESH = {np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like, np.full_like,
          np.empty_like, np.array, np.copy, np.arange, np.linspace, np.eye, np.identity,
          np.sum, np.mean, np.prod, np.cumsum, np.dot, np.outer, np.concatenate, np.stack,
          np.where, np.clip, np.max, np.min, builtins.float, builtins.abs, builtins.len}
