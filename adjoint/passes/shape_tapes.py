"""A pass: a value the backward reads only for its shape keeps only its shape on the tape.

In an RNN step, s2 = h @ Wh is read by the backward only through unbroadcast(g, s2),
which needs its shape. Rather than keep every step's s2 array alive on s2_tape:

    s2_tape.append(s2)                     s2 = h @ Wh
    s2 = h @ Wh                      ->    s2_shape_tape.append(s2_shape)
                                           s2_shape = np.shape(s2)
    ...                                    ...
    grad_s2 = unbroadcast(grad_s5, s2)     grad_s2 = unbroadcast_to(grad_s5, s2_shape)
    s2 = s2_tape.pop()                     s2_shape = s2_shape_tape.pop()

Runs after dead code is gone (so only real reads count); changes nothing it is not sure
of: the tape must push and pop one variable, read in the backward only for its shape.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import ir
from ..names import Namer
from ..runtime.core import unbroadcast, unbroadcast_to

NP_SHAPE = ir.Ref("np", np, ("shape",), np.shape)
UNBROADCAST_TO = ir.Ref("unbroadcast_to", unbroadcast_to, (), unbroadcast_to)


def tape_shapes_only(fn: ir.Function) -> ir.Function:
    statements = list(ir.walk(fn.body))
    pops = [s for s in statements if isinstance(s, ir.Pop)]
    if not pops:
        return fn  # no tape is read back
    pushes = [s for s in statements if isinstance(s, ir.Push)]
    namer = Namer({v.name for s in statements for v in ir.targets(s)} | {p.name for p in fn.params}
                  | {s.tape.name for s in pops + pushes})
    changes = {}
    value_read, read = _backward_reads(fn)
    loop_targets = {s.target for s in statements if isinstance(s, ir.For)}  # their shapes
    # would have to follow inside the loop
    popped, pushed = _by_tape(pops, "target"), _by_tape(pushes, "value")
    for tape in dict.fromkeys(s.tape for s in pops):  # program order: deterministic names
        var = _single_variable(popped.get(tape, set()), pushed.get(tape, set()))
        if var is not None and var in read and var not in value_read \
                and var not in loop_targets:  # read only for its shape
            shape = ir.Var(namer.fresh(var.name + "_shape"), ir.Kind.TEMP)
            changes[tape] = (var, shape, ir.Var(namer.fresh(var.name + "_shape_tape"), ir.Kind.TAPE))
    if not changes:
        return fn
    body = _rewrite(fn.body, changes)
    # a parameter's shape is known from the start (its first value is pushed like any other)
    inits = [ir.Assign(shape, ir.Call(NP_SHAPE, (var,)) if var in fn.params else ir.Const(None),
                       fn.origin) for var, shape, _ in changes.values()]
    dynamic = fn.dynamic | {shape for _, shape, _ in changes.values()}
    return dataclasses.replace(fn, body=inits + body, dynamic=frozenset(dynamic))


def _by_tape(statements, field: str) -> dict:
    """tape -> the set of what its pops restore (or its pushes keep)."""
    out: dict = {}
    for stmt in statements:
        out.setdefault(stmt.tape, set()).add(getattr(stmt, field))
    return out


def _single_variable(popped: set, pushed: set):
    """The one variable a tape's pops restore and its pushes keep, if there is one."""
    popped = set(popped)
    if len(popped) == 1 and popped == pushed:
        var = popped.pop()
        return var if isinstance(var, ir.Var) else None
    return None


def _backward_reads(fn) -> tuple:
    """(variables the backward reads for their values, variables it reads at all): one
    pass for every tape (a var read only as unbroadcast's second argument is in the
    second set only)."""
    value_read, read = set(), set()
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, (ir.Pop, ir.Push)) or not getattr(stmt, "backward", isinstance(stmt, ir.Return)):
            continue
        for expr in _expressions(stmt):
            value_read |= _value_reads(expr)
            read.update(ir.vars_in(expr))
    return value_read, read


def _rewrite(block: list, changes: dict) -> list:
    by_var = {var: (tape, shape, shape_tape) for tape, (var, shape, shape_tape) in changes.items()}
    out, waiting = [], {}
    for stmt in block:
        if isinstance(stmt, ir.Push) and stmt.tape in changes:
            waiting[stmt.value] = stmt  # moves after the assignment it guards
            continue
        if isinstance(stmt, ir.Pop) and stmt.tape in changes:
            _, shape, shape_tape = changes[stmt.tape]
            out.append(ir.Pop(shape, shape_tape, stmt.origin, stmt.backward, stmt.site))
            continue
        if ir.blocks(stmt):
            stmt = ir.map_blocks(stmt, lambda block, _: _rewrite(block, changes))
        elif isinstance(stmt, (ir.Assign, ir.ExprStmt, ir.SetItem)) and stmt.backward:
            stmt = dataclasses.replace(stmt, value=_to_shapes(stmt.value, by_var))
        elif isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.TupleExpr) and stmt.value.is_list \
                and not stmt.value.elts and stmt.target in changes:  # the empty tape
            stmt = dataclasses.replace(stmt, target=changes[stmt.target][2])
        out.append(stmt)
        for var in ir.targets(stmt):
            if var in waiting:
                push = waiting.pop(var)
                _, shape, shape_tape = by_var[var]
                out.append(ir.Push(shape_tape, shape, push.origin, push.backward, push.site))
                out.append(ir.Assign(shape, ir.Call(NP_SHAPE, (var,)), push.origin))
            elif var in by_var and isinstance(stmt, ir.Assign) and not stmt.backward \
                    and stmt.value != ir.Const(None):  # (not a placeholder: its shape is None)
                # an assignment nothing had to be kept for (r = 0.0 before the loop): the
                # shape follows the value all the same, for the next push to keep
                out.append(ir.Assign(by_var[var][1], ir.Call(NP_SHAPE, (var,)), stmt.origin))
    return out


def _to_shapes(expr, by_var: dict):
    if _is_unbroadcast(expr) and expr.args[1] in by_var:
        return ir.Call(UNBROADCAST_TO, (_to_shapes(expr.args[0], by_var), by_var[expr.args[1]][1]))
    if isinstance(expr, ir.Call):
        return ir.Call(expr.func, tuple(_to_shapes(a, by_var) for a in expr.args),
                       tuple((k, _to_shapes(v, by_var)) for k, v in expr.kwargs))
    if isinstance(expr, ir.BinOp):
        return ir.BinOp(expr.op, _to_shapes(expr.left, by_var), _to_shapes(expr.right, by_var))
    if isinstance(expr, ir.UnaryOp):
        return ir.UnaryOp(expr.op, _to_shapes(expr.operand, by_var))
    if isinstance(expr, ir.Subscript):
        return ir.Subscript(_to_shapes(expr.value, by_var), _to_shapes(expr.index, by_var))
    if isinstance(expr, ir.TupleExpr):
        return ir.TupleExpr(tuple(_to_shapes(e, by_var) for e in expr.elts), expr.is_list)
    return expr


def _is_unbroadcast(expr) -> bool:
    return isinstance(expr, ir.Call) and expr.func.value is unbroadcast and len(expr.args) == 2 \
        and isinstance(expr.args[1], ir.Var)


def _value_reads(expr) -> set:
    """Variables an expression reads for their values (not only their shapes)."""
    if isinstance(expr, ir.Var):
        return {expr}
    if _is_unbroadcast(expr):
        return _value_reads(expr.args[0])
    out = set()
    for child in ir.children(expr):
        out |= _value_reads(child)
    return out


def _expressions(stmt) -> list:
    """What a statement reads, as expressions (x[i] = v reads x too)."""
    return ir.expressions(stmt) + ([stmt.target] if isinstance(stmt, ir.SetItem) else [])
