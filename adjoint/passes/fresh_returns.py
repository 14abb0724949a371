"""A pass: a callee's backward hands back its gradients as they are when each is a new array.

    grad_h = grad_s0 @ Wh.T
    grad_Wh = h.T @ grad_s0                       ->   return (grad_h, grad_Wh)
    return separate(grad_h, grad_Wh)

`separate` makes every gradient one its receiver may update in place: views and read-only
arrays are copied, an array handed back twice is copied the second time, containers'
gradients become plain containers. None of that can happen to the value of an operator
expression or a ufunc call: numpy allocates a new, writeable array that nothing else
holds (or gives an immutable number); so do matmul_left and matmul_right (runtime.core),
which compute a new product and at most sum or reshape it: never their inputs, at most a
writeable view of the product only they hold. So where every gradient returned is such a value,
each from its own statement (a variable assigned once, by that expression), the gradients
are distinct and alias nothing, and `separate` can go. `+` is left out: the gradients of
tuples, dicts and objects (runtime.containers) return themselves from `g + 0`; so is
anything else (a copy `b = a`, a helper such as unbroadcast that may return its input or
a view, a tape pop): then `separate` stays.
"""
from __future__ import annotations

import dataclasses
import operator

import numpy as np

from .. import ir
from ..runtime.core import matmul_left, matmul_right, separate

# operators whose result, for arrays, is a new array; no container gradient defines them
NEW_VALUE_OPERATORS = (operator.sub, operator.mul, operator.truediv, operator.floordiv,
                       operator.mod, operator.pow, operator.matmul)


def hand_back_fresh(fn: ir.Function) -> ir.Function:
    """fn with `return separate(a, b, ...)` written `return (a, b, ...)` where proven safe."""
    assigned: dict = {}  # var -> the expressions assigned to it (None: not by an Assign)
    for stmt in ir.walk(fn.body):
        for target in ir.targets(stmt):
            single = isinstance(stmt, ir.Assign) and not isinstance(stmt.target, tuple)
            assigned.setdefault(target, []).append(stmt.value if single else None)
    body = [_plain_return(stmt, assigned) for stmt in fn.body]
    return fn if body == fn.body else dataclasses.replace(fn, body=body)


def _plain_return(stmt, assigned: dict):
    if not (isinstance(stmt, ir.Return) and isinstance(stmt.value, ir.Call)
            and stmt.value.func.value is separate and not stmt.value.kwargs):
        return stmt
    grads = stmt.value.args
    variables = [g for g in grads if isinstance(g, ir.Var)]
    if len(set(variables)) != len(variables):
        return stmt  # one array twice: separate copies the second
    if not all(_new_value(g) if not isinstance(g, ir.Var) else _assigned_new(g, assigned) for g in grads):
        return stmt
    return ir.Return(ir.TupleExpr(tuple(grads)), stmt.origin)


def _assigned_new(var: ir.Var, assigned: dict) -> bool:
    values = assigned.get(var, [])
    return len(values) == 1 and values[0] is not None and _new_value(values[0])


def _new_value(expr) -> bool:
    """Is expr's value an array nobody else holds (or an immutable number)?"""
    if isinstance(expr, ir.Const):
        return isinstance(expr.value, (int, float, complex)) and not isinstance(expr.value, bool)
    if isinstance(expr, ir.BinOp):
        return expr.op in NEW_VALUE_OPERATORS
    if isinstance(expr, ir.UnaryOp):
        return expr.op is operator.neg
    if isinstance(expr, ir.Call):  # a ufunc given only its inputs (a third one is out=)
        func = expr.func.value
        if func in (matmul_left, matmul_right):
            return len(expr.args) == 3 and not expr.kwargs
        return isinstance(func, np.ufunc) and not expr.kwargs and len(expr.args) == func.nin \
            and not any(isinstance(a, ir.Starred) for a in expr.args)
    return False
