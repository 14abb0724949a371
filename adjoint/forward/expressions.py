"""Expressions for the forward sweep: simplification of pasted rules, a primal expression
with some operands swapped for tangents (how linear rules apply themselves), and the
names and fixes its error messages give."""
from __future__ import annotations

import inspect

from .. import ir
from ..reverse.simplify import simplify as simplify_expression
from ..rules.registry import display_name
from ..runtime.tangents import broadcast_like, unit_tangent, writable_tangent, zero_tangent

# the helpers forward code calls (runtime/tangents.py)
BROADCAST = ir.Ref("broadcast_like", broadcast_like, (), broadcast_like)
WRITABLE = ir.Ref("writable_tangent", writable_tangent, (), writable_tangent)
ZERO = ir.Ref("zero_tangent", zero_tangent, (), zero_tangent)
UNIT = ir.Ref("unit_tangent", unit_tangent, (), unit_tangent)


def simplify(expr, classes):
    """simplify.simplify, also inside tuple displays (a pasted (w, v)[1] becomes v)."""
    if isinstance(expr, ir.TupleExpr):
        return ir.TupleExpr(tuple(simplify(e, classes) for e in expr.elts), expr.is_list)
    if isinstance(expr, ir.Subscript) and isinstance(expr.value, ir.TupleExpr):
        return simplify_expression(ir.Subscript(simplify(expr.value, classes), expr.index), classes)
    if isinstance(expr, (ir.BinOp, ir.UnaryOp, ir.Call)):
        expr = simplify_expression(expr, classes)
        parts = {ir.BinOp: lambda e: ir.BinOp(e.op, simplify(e.left, classes), simplify(e.right, classes)),
                 ir.UnaryOp: lambda e: ir.UnaryOp(e.op, simplify(e.operand, classes))}
        if type(expr) in parts:
            return parts[type(expr)](expr)
        if isinstance(expr, ir.Call):
            return ir.Call(expr.func, tuple(simplify(a, classes) for a in expr.args),
                           tuple((k, simplify(v, classes)) for k, v in expr.kwargs))
    return simplify_expression(expr, classes)


def with_operands(value, r, swapped: dict):
    """The primal expression with the operands of the named rule parameters replaced."""
    if isinstance(value, ir.Call):
        position = {name: k for k, name in enumerate(r.params)}
        args = list(value.args)
        for name, new in swapped.items():
            if position[name] < len(args):
                args[position[name]] = new
        kwargs = tuple((k, swapped.get(k, v)) for k, v in value.kwargs)
        return ir.Call(value.func, tuple(args), kwargs)
    parts = list(ir.operator_operands(value))
    for k, name in enumerate(r.params[:len(parts)]):
        if name in swapped:
            parts[k] = swapped[name]
    if isinstance(value, ir.BinOp):
        return ir.BinOp(value.op, parts[0], parts[1])
    if isinstance(value, ir.UnaryOp):
        return ir.UnaryOp(value.op, parts[0])
    if isinstance(value, ir.Attr):
        return ir.Attr(parts[0], value.name)
    return ir.Subscript(parts[0], parts[1])


def written_name(value, r, key=None) -> str:
    if isinstance(value, ir.Call):
        return ".".join((value.func.root_name,) + tuple(value.func.path))
    return display_name(r.primal if r is not None else key)


def forward_fix(r) -> str:
    func = r.func
    try:
        where = f" ({inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]})"
    except (OSError, TypeError):
        where = ""
    tangents = ", ".join(f"d{name}" for name in r.inputs)
    return (f"its reverse rule {func.__name__}{where} has no forward rule; add one: "
            f"@{func.__name__}.forward above def j(" + tangents + ", y, "
            + ", ".join(r.params) + ") returning each input's contribution to y's tangent")
