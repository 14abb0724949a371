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
A tape that pops into a variable of its own (x = f(x) keeps the old x as x_prev, which
the backward may read only for unbroadcast) pushes that shape directly:

    acc_tape.append(acc)             ->    acc_prev_shape_tape.append(np.shape(acc))
    acc_prev = acc_tape.pop()        ->    acc_prev_shape = acc_prev_shape_tape.pop()
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
    pushes = [s for s in statements if isinstance(s, ir.Push)]
    namer = Namer({v.name for s in statements for v in ir.targets(s)} | {p.name for p in fn.params}
                  | {s.tape.name for s in pops + pushes})
    changes = {}
    for tape in dict.fromkeys(s.tape for s in pops):  # program order: deterministic names
        var = _single_variable(tape, pops, pushes, statements)
        if var is not None and _only_shape_read(var, fn):
            shape = ir.Var(namer.fresh(var.name + "_shape"), ir.Kind.TEMP)
            changes[tape] = (var, shape, ir.Var(namer.fresh(var.name + "_shape_tape"), ir.Kind.TAPE))
    if not changes:
        return fn
    body = _rewrite(fn.body, changes)
    # a parameter's shape is known at entry: the first value a pop in the backward restores
    inits = [ir.Assign(shape, ir.Call(NP_SHAPE, (var,)) if var in fn.params else ir.Const(None),
                       fn.origin) for var, shape, _ in changes.values()]
    dynamic = fn.dynamic | {shape for _, shape, _ in changes.values()}
    return dataclasses.replace(fn, body=inits + body, dynamic=frozenset(dynamic))


def _single_variable(tape, pops, pushes, statements):
    """The one variable the tape pops into, when it pushes one variable: the same one,
    or another that nothing but these pops assigns (x_prev of x = f(x))."""
    popped = {s.target for s in pops if s.tape == tape}
    pushed = {s.value for s in pushes if s.tape == tape}
    if len(popped) != 1 or len(pushed) != 1 or not all(isinstance(v, ir.Var) for v in popped | pushed):
        return None
    var = next(iter(popped))
    if popped == pushed:
        return var
    others = [s for s in statements if var in ir.targets(s) and not (isinstance(s, ir.Pop) and s.tape == tape)]
    return None if others else var


def _only_shape_read(var, fn) -> bool:
    """Does the backward read var only as unbroadcast's second argument (and read it)?"""
    shape_read = False
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, (ir.Pop, ir.Push)) or not getattr(stmt, "backward", isinstance(stmt, ir.Return)):
            continue
        for expr in _expressions(stmt):
            if var in _value_reads(expr):
                return False
            shape_read = shape_read or var in ir.vars_in(expr)
    return shape_read


def _rewrite(block: list, changes: dict) -> list:
    by_var = {var: (tape, shape, shape_tape) for tape, (var, shape, shape_tape) in changes.items()}
    out, waiting = [], {}
    for stmt in block:
        if isinstance(stmt, ir.Push) and stmt.tape in changes:
            var, _, shape_tape = changes[stmt.tape]
            if stmt.value != var:  # pops into a variable of its own: push the shape now
                out.append(ir.Push(shape_tape, ir.Call(NP_SHAPE, (stmt.value,)), stmt.origin,
                                   stmt.backward, stmt.site))
            else:
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
            elif var in by_var and not isinstance(stmt, ir.Pop) and not getattr(stmt, "backward", False) \
                    and not _placeholder(stmt):
                # an assignment with no push (before the loop): its shape is the first one
                # a pop in the backward restores, so it must be recorded too
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


def _placeholder(stmt) -> bool:
    """x = None, which the sweep writes first so a variable of a loop exists before it:
    no value of the user's, so no shape the backward reads."""
    return isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Const) and stmt.value.value is None
