"""In-place updates: `x += v` is compiled as `x = x + v`; `x[i] = v` changes x in place.

The first is exactly what Python does for numbers, and for an array no other name can
see. The second tracks gradients by name, so it is right only while no other name (nor
the caller) can see the array. Where another name may share the array, Python would
change it too, and the gradient would silently go astray: such an update is refused,
naming the line. On the SSA form the question is asked of the value being updated:

- its every assignment makes a new value (arithmetic, a ufunc, np.zeros, np.copy, ...);
- it is never shared: not copied to another name, sliced or transposed (views), put in a
  tuple or list, or passed to a call that might return it.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import ir
from . import shapes
from ..runtime.containers import appended, dict_items, dict_values, make_dict
from ..errors import Problem, UnsupportedSyntax
from ..runtime.tangents import writable_tangent, zero_tangent

SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}


def check_in_place(fn: ir.Function, classes: dict) -> None:
    for problem in in_place_problems(fn, classes):
        raise UnsupportedSyntax(problem.render(), (problem,))  # the first one


def in_place_problems(fn: ir.Function, classes: dict):
    """Every refused in-place update, in order (`adjoint.check` lists them all)."""
    updates = [s for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and s.may_alias]
    writes = [s for s in ir.walk(fn.body) if isinstance(s, ir.SetItem)]
    if not updates and not writes:
        return
    order, loop_of = _positions(fn.body)
    for stmt in writes:
        unsafe = _shared_or_borrowed(fn, _before(stmt, order, loop_of))
        if stmt.target in unsafe:
            name = stmt.target.name
            whose = "the caller's array" if stmt.target in fn.params else \
                "an array that another name (a copy, slice or view) may share"
            yield Problem(
                stmt.origin, f"{name}[...] = ... would change {whose}, which adjoint does not track",
                f"write into a copy: {name} = np.copy({name}) first, or build a new array "
                "(np.where, np.concatenate)")
    for stmt in updates:
        unsafe = _shared_or_borrowed(fn, _before(stmt, order, loop_of))
        value = stmt.value
        old = value.left if isinstance(value, ir.BinOp) else \
            value.args[0] if isinstance(value, ir.Call) and value.args else None  # xs.append(v)
        if isinstance(old, ir.Var) and old in unsafe and classes.get(old) != shapes.SCALAR:
            name = stmt.may_alias
            if isinstance(value, ir.Call):
                yield Problem(
                    stmt.origin, f"{name}.append(...) would change a list that {name} may share "
                    "with another name (or with the caller), which adjoint does not track",
                    f"append to a new list: {name} = list({name}) first")
            else:
                yield Problem(
                    stmt.origin, f"{name} op= ... would change an array that {name} may share "
                    "with another name (or with the caller), which adjoint does not track",
                    f"write {name} = {name} + ... (a new array), or copy first: {name} = np.copy({name})")


def _positions(body: list):
    """Each statement's index in program order, and the outermost loop around it."""
    order, loop_of = {}, {}

    def visit(block, loop):
        for stmt in block:
            order[id(stmt)] = len(order)
            loop_of[id(stmt)] = loop
            for inner in ir.blocks(stmt):
                visit(inner, loop if loop is not None or not isinstance(stmt, (ir.For, ir.While))
                      else stmt)
    visit(body, None)
    return order, loop_of


def _before(stmt, order: dict, loop_of: dict):
    """Which statements can run before `stmt` runs (again): those earlier in the code,
    and, inside a loop, every statement of that loop."""
    k, loop = order[id(stmt)], loop_of[id(stmt)]
    return lambda other: order[id(other)] < k or loop is not None and loop_of[id(other)] is loop


def _shared_or_borrowed(fn: ir.Function, earlier=lambda stmt: True) -> set:
    unsafe = set(fn.params)
    integers = _integer_valued(fn)
    for stmt in ir.walk(fn.body):
        if not earlier(stmt):
            continue
        if isinstance(stmt, ir.Assign):
            if not _makes_new_value(stmt.value):
                unsafe.update(ir.targets(stmt))
            if isinstance(stmt.value, ir.Var):
                unsafe.add(stmt.value)
        if isinstance(stmt, ir.For) and stmt.target is not None:
            unsafe.add(stmt.target)
        if isinstance(stmt, ir.Assign) and stmt.transient:
            continue  # x[1:3] += v reads the view x[1:3] once, before writing it
        for expr in ir.expressions(stmt):
            unsafe |= _sharing_uses(expr, integers)
    return unsafe


def _integer_valued(fn: ir.Function) -> set:
    """Variables that hold ints (loop counters, len(x), x.shape[0], i - 1): indexing
    with them gives a copy of an entry, not a view."""
    integers = {s.target for s in ir.walk(fn.body) if isinstance(s, ir.For) and s.target is not None}
    for _ in range(5):
        for stmt in ir.walk(fn.body):
            if isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var) and \
                    _integer_expression(stmt.value, integers):
                integers.add(stmt.target)
    return integers


def _integer_expression(expr, integers) -> bool:
    if isinstance(expr, ir.Const):
        return isinstance(expr.value, int) and not isinstance(expr.value, bool)
    if isinstance(expr, ir.Var):
        return expr in integers
    if isinstance(expr, ir.BinOp):
        return _integer_expression(expr.left, integers) and _integer_expression(expr.right, integers)
    if isinstance(expr, ir.Call):
        return expr.func.value is builtins.len
    if isinstance(expr, ir.Attr):
        return expr.name in ("shape", "ndim", "size")
    if isinstance(expr, ir.Subscript):  # x.shape[0]
        return isinstance(expr.value, ir.Var) and expr.value in integers
    return False


def _sharing_uses(expr, integers=frozenset()) -> set:
    found = set()
    if isinstance(expr, ir.Subscript) and isinstance(expr.value, ir.Var):
        index = expr.index.elts if isinstance(expr.index, ir.TupleExpr) else (expr.index,)
        if not all(_integer_expression(i, integers) for i in index):
            found.add(expr.value)  # x[1:3] is a view of x; x[i] is a copy of an entry
    elif isinstance(expr, ir.Attr) and isinstance(expr.value, ir.Var) \
            and expr.name not in SHAPE_ATTRIBUTES:
        found.add(expr.value)
    elif isinstance(expr, ir.TupleExpr):
        found.update(e for e in expr.elts if isinstance(e, ir.Var))
    elif isinstance(expr, ir.Call) and not _fresh_callable(expr.func.value):
        found.update(a for a in expr.args if isinstance(a, ir.Var))
        found.update(v for _, v in expr.kwargs if isinstance(v, ir.Var))
    for child in ir.children(expr):
        found |= _sharing_uses(child, integers)
    return found


def _makes_new_value(value) -> bool:
    if isinstance(value, (ir.BinOp, ir.UnaryOp, ir.Compare, ir.Logic, ir.Const, ir.TupleExpr)):
        return True  # (a tuple or list display is a new container)
    return isinstance(value, ir.Call) and _fresh_callable(value.func.value)


def _fresh_callable(func) -> bool:
    """Always returns a new array (or an immutable number)."""
    if isinstance(func, np.ufunc) or getattr(func, "__module__", None) == "math":
        return True
    try:
        return func in _FRESH
    except TypeError:
        return False


_FRESH = {appended, make_dict, dict_values, dict_items, builtins.sum, np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like, np.full_like,
          np.empty_like, np.array, np.copy, np.arange, np.linspace, np.eye, np.identity,
          np.sum, np.mean, np.prod, np.cumsum, np.dot, np.outer, np.concatenate, np.stack,
          np.where, np.clip, np.max, np.min, builtins.float, builtins.abs, builtins.len,
          writable_tangent, zero_tangent}  # (the last two: in forward-mode code)
