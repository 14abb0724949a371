"""Calls into the user's own functions, differentiated through.

A call, with no rule, of a Python function whose source adjoint can read is compiled
into a pair of functions, cached per signature (see `pipeline.compile_callee_pair`):

    def fwd_dense(x, W, b):                   def bwd_dense(grad_out, saved):
        s0 = x @ W                                x, W, s0, b = saved
        out = s0 + b                              ...
        return out, (x, W, s0, b)                 return (grad_x, grad_W, grad_b)

and in the caller the line `h = dense(x, W1, b1)` becomes

    h, dense_saved = fwd_dense(x, W1, b1)             # forward
    dense_grads = bwd_dense(grad_h, dense_saved)      # backward
    grad_W1 = dense_grads[1]

`saved` holds exactly what the callee's backward reads, so nothing is recomputed. A
recursive function calls its own pair; every callee is shown by `adjoint show --all`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

from .. import ir
from . import shapes
from ..errors import Problem, UnsupportedSyntax
from ..origin import is_user_code
from ..rules.registry import is_nondiff, lookup


@dataclass
class CallSite:
    vjp: object  # compiler.VJP
    operands: list  # the caller's operand for each differentiated parameter, in order
    saved: ir.Var


def differentiable_through(value) -> bool:
    """A call of the user's own Python function that has no rule. Library functions
    written in Python (numpy's, the standard library's) need a rule instead: their
    internals are not the user's code to differentiate."""
    if not isinstance(value, ir.Call):
        return False
    func = value.func.value
    if not inspect.isfunction(func) or lookup(func) is not None or is_nondiff(func):
        return False
    return is_user_code(func)


def rewrite_calls(rev, block: list, in_loop: bool = False) -> list:
    """Replace each useful call through a user function by its forward half."""
    out = []
    for stmt in block:
        if ir.blocks(stmt):
            stmt = ir.map_blocks(stmt, lambda block, loop: rewrite_calls(rev, block, in_loop or loop))
        elif isinstance(stmt, ir.Assign) and differentiable_through(stmt.value) \
                and any(t in rev.useful for t in ir.targets(stmt)):
            out += _rewrite(rev, stmt, in_loop)
            continue
        out.append(stmt)
    return out


@dataclass
class BoundCall:
    func: object  # the user's function
    name: str  # as the call spells it: helper, mod.helper
    arguments: dict  # parameter name -> the caller's operand
    wrt: tuple  # the parameters whose arguments carry gradient
    scalars: frozenset  # the parameters whose arguments are known scalars


def bind_call(rev, stmt: ir.Assign) -> BoundCall:
    """The call's arguments matched to the callee's parameters, and what they carry."""
    call = stmt.value
    func = call.func.value
    name = ".".join((call.func.root_name,) + tuple(call.func.path))
    try:
        arguments = inspect.signature(func).bind(*call.args, **dict(call.kwargs)).arguments
    except TypeError as exc:
        raise UnsupportedSyntax.at(stmt.origin, f"the call of {name} does not match its "
                                   f"signature: {exc}", "pass the arguments it takes") from None
    wrt = tuple(p for p, a in arguments.items() if any(v in rev.useful for v in ir.vars_in(a)))
    scalars = frozenset(p for p, a in arguments.items()
                        if shapes.expr_class(a, rev.classes) == shapes.SCALAR)
    return BoundCall(func, name, arguments, wrt, scalars)


def packed_argument_problems(bound: BoundCall, origin) -> list:
    """Differentiable values passed inside a tuple or list: not differentiated yet."""
    return [Problem(origin, f"argument {p} of {bound.name} holds differentiable values inside "
                    "a tuple or list", "pass them one by one")
            for p, a in bound.arguments.items() if p in bound.wrt and not isinstance(a, ir.Var)]


def _rewrite(rev, stmt: ir.Assign, in_loop: bool) -> list:
    bound = bind_call(rev, stmt)
    problems = packed_argument_problems(bound, stmt.origin)
    if problems:
        raise UnsupportedSyntax(problems[0].render(), tuple(problems))
    call, func, arguments = stmt.value, bound.func, bound.arguments
    vjp = rev.compile_callee(func, bound.wrt, bound.scalars, stmt.origin)
    rev.callees.append(vjp)
    saved = ir.Var(rev.namer.fresh(f"{vjp.name}_saved"), ir.Kind.TEMP)
    unpack = []
    target = stmt.target
    if isinstance(target, tuple):  # a, b = pair(x): one tuple value, then unpacked
        packed = ir.Var(rev.namer.fresh(f"{vjp.name}_result"), ir.Kind.TEMP)
        unpack = [ir.Assign(target, packed, stmt.origin)]
        target = packed
        rev.useful.add(packed)
        rev.active.add(packed)
    if in_loop:
        rev.dynamic.add(saved)
        rev.dynamic.add(target)
    new = ir.Assign((target, saved), ir.Call(vjp.fwd_ref, call.args, call.kwargs), stmt.origin)
    # the caller's operand per parameter the pair differentiates (a recursive pair does all:
    # one left to its default, or given a constant, gets nothing)
    operands = [arguments[p] if isinstance(arguments.get(p), ir.Var) else ir.Const(None)
                for p in vjp.wrt]
    rev.call_sites[id(new)] = CallSite(vjp, operands, saved)
    return [new] + unpack


def backprop_call(rev, stmt: ir.Assign, site: CallSite, assigned: set, own: dict) -> list:
    """grads = bwd_f(grad_y, f_saved), then each argument's share."""
    target = stmt.target[0]
    name = site.vjp.name
    grads = ir.Var(rev.namer.fresh(f"{name}_grads"), ir.Kind.LOCAL)
    out = [ir.Assign(grads, ir.Call(site.vjp.bwd_ref, (rev.grad_var(target), site.saved)), stmt.origin)]
    for k, operand in enumerate(site.operands):
        if not isinstance(operand, ir.Var):
            continue
        share = ir.Subscript(grads, ir.Const(k))
        if operand in own:  # h = cell(h, x): the old h's gradient, set after the new one is used
            own[operand].append(share)
        else:
            rev.contribute(operand, share, stmt.origin, assigned, out)
    return out
