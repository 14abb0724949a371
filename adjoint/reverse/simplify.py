"""Simplification of pasted rule expressions (always on; it never changes a value).

- unbroadcast(e, a) -> e when the shape classes prove e already has a's shape;
- constant arithmetic is folded (2 - 1 -> 1) and e ** 1 -> e; power_slope(x, 3) -> 3 * x ** 2;
- (grad_a, grad_b)[1] -> grad_b;
- trailing arguments equal to the defaults of adjoint's own helpers are dropped
  (expand_to(g, x, None, False) -> expand_to(g, x)).
"""
from __future__ import annotations

import inspect
import operator

from .. import ir
from . import shapes
from ..runtime.core import power_slope, unbroadcast


def simplify(expr, classes: dict):
    if isinstance(expr, ir.Call):
        args = tuple(simplify(a, classes) for a in expr.args)
        if expr.func.value is power_slope and len(args) == 2 and _plain_exponent(args[1]):
            c = args[1]  # x ** 3: 3 * x ** 2
            return simplify(ir.BinOp(operator.mul, c, ir.BinOp(operator.pow, args[0],
                                                                ir.Const(c.value - 1))), classes)
        if expr.func.value is unbroadcast and len(args) == 2:
            c = shapes.expr_class(args[0], classes)
            if c is not None and c == shapes.expr_class(args[1], classes):
                return args[0]
        args = _without_default_tail(expr.func.value, args)
        return ir.Call(expr.func, args, tuple((k, simplify(v, classes)) for k, v in expr.kwargs))
    if isinstance(expr, ir.BinOp):
        left, right = simplify(expr.left, classes), simplify(expr.right, classes)
        if isinstance(left, ir.Const) and isinstance(right, ir.Const) and _numbers(left, right):
            try:
                return ir.Const(expr.op(left.value, right.value))
            except ArithmeticError:
                pass
        if expr.op is operator.pow and isinstance(right, ir.Const) and _numbers(right) \
                and right.value == 1:
            return left
        return ir.BinOp(expr.op, left, right)
    if isinstance(expr, ir.UnaryOp):
        return ir.UnaryOp(expr.op, simplify(expr.operand, classes))
    if isinstance(expr, ir.Subscript):
        value = simplify(expr.value, classes)
        if isinstance(value, ir.TupleExpr) and isinstance(expr.index, ir.Const) \
                and isinstance(expr.index.value, int):
            return value.elts[expr.index.value]
        return ir.Subscript(value, simplify(expr.index, classes))
    return expr


def _without_default_tail(func, args: tuple) -> tuple:
    if not (getattr(func, "__module__", "") or "").startswith("adjoint."):
        return args
    params = _parameters(func)
    if params is None:
        return args
    while args and len(args) <= len(params):
        default = params[len(args) - 1].default
        last = args[-1]
        if not (isinstance(last, ir.Const) and default is not inspect.Parameter.empty
                and type(last.value) is type(default) and last.value == default):
            break
        args = args[:-1]
    return args


_PARAMETERS: dict = {}  # adjoint's own module-level function -> its parameters or None


def _parameters(func):
    """The helper's parameters (None: no signature). For adjoint's own module-level
    functions, which nothing redefines, read once: inspect.signature, asked for every
    pasted call, was a twentieth of compiling long code."""
    kept = inspect.isfunction(func) and "<locals>" not in func.__qualname__
    if kept and func in _PARAMETERS:
        return _PARAMETERS[func]
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        params = None
    if kept:
        _PARAMETERS[func] = params
    return params


def _plain_exponent(c) -> bool:
    """A constant exponent whose slope c * a ** (c - 1) Python computes wherever the power
    itself is defined: not 0 <= c < 1 (0.0 ** (c - 1) would raise; the slope is 0 or inf)."""
    return isinstance(c, ir.Const) and _numbers(c) and not 0 <= c.value < 1


def _numbers(*consts) -> bool:
    return all(isinstance(c.value, (int, float)) and not isinstance(c.value, bool) for c in consts)
