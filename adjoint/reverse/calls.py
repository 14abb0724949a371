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
from ..lowering.frontend import parse_function
from ..lowering.statics import Packed, kind_of, spread_names, static_defaults
from ..origin import is_user_code
from ..runtime.containers import make_dict
from ..runtime.python import joined
from ..runtime.pytrees import regathered
from ..runtime.written_calls import unwrapped
from ..rules.registry import is_nondiff, is_through_source, lookup


MAKE_DICT = ir.Ref("make_dict", make_dict, (), make_dict)
JOINED = ir.Ref("joined", joined, (), joined)
REGATHERED = ir.Ref("regathered", regathered, (), regathered)


@dataclass
class CallSite:
    vjp: object  # compiler.VJP
    operands: list  # the caller's operand for each differentiated parameter, in order
    saved: ir.Var


def differentiable_through(value) -> bool:
    """A call of the user's own Python function that has no rule, or of one of adjoint's
    helpers declared `through_source`. Library functions written in Python (numpy's, the
    standard library's) need a rule instead: their internals are not the user's code."""
    if not isinstance(value, ir.Call):
        return False
    func, _ = unwrapped(value.func.value)  # (h, also returning what it writes into)
    if not inspect.isfunction(func) or lookup(func) is not None or is_nondiff(func):
        return False
    return is_user_code(func) or is_through_source(func)


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
        arguments = _bound_arguments(func, call)
    except TypeError as exc:
        raise UnsupportedSyntax.at(stmt.origin, f"the call of {name} does not match its "
                                   f"signature: {exc}", "pass the arguments it takes") from None
    wrt = tuple(p for p, a in arguments.items() if any(v in rev.useful for v in _vars_in(a)))
    scalars = frozenset(p for p, a in arguments.items() if isinstance(a, (ir.Var, ir.Const, ir.Ref))
                        and shapes.expr_class(a, rev.classes) == shapes.SCALAR)
    return BoundCall(func, name, dict(arguments), wrt, scalars)


def packed_argument_problems(bound: BoundCall, origin) -> list:
    """Differentiable values nested two levels deep in an argument: not differentiated yet
    (one level, [W1, W2] or *args, is packed into one value: see _rewrite)."""
    return [Problem(origin, f"argument {p} of {bound.name} holds differentiable values nested "
                    "inside a tuple or list inside it", "assign the inner list to a name first")
            for p, a in bound.arguments.items() if p in bound.wrt and _packed(a) is None]


def _rewrite(rev, stmt: ir.Assign, in_loop: bool) -> list:
    bound = bind_call(rev, stmt)
    problems = packed_argument_problems(bound, stmt.origin)
    if problems:
        raise UnsupportedSyntax(problems[0].render(), tuple(problems))
    call, func, arguments = stmt.value, bound.func, bound.arguments
    statics = _statics(rev, func, arguments)  # (before *args and **kwargs are packed)
    packs = []
    for p in bound.wrt:  # [W1, W2], *args, **kwargs: one value, whose parts get their shares
        if not isinstance(arguments[p], ir.Var):
            value = arguments[p]
            if isinstance(value, tuple) and any(isinstance(a, ir.Starred) for a in value):
                value = _joined(rev, value, stmt.origin, in_loop, packs)  # f(h, *rest) into *args
            arguments[p] = _pack(rev, p, _packed(value), stmt.origin, in_loop, packs)
    vjp = rev.compile_callee(func, bound.wrt, bound.scalars, stmt.origin, statics, rev.fn, arguments)
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
    return packs + [new] + unpack


def _bound_arguments(func, call: ir.Call) -> dict:
    """Parameter name -> operand. Starred arguments (f(h, *rest)) must fall into the
    callee's *args, which then holds a tuple of operands and starred values."""
    args = list(call.args)
    signature = inspect.signature(func)
    if not any(isinstance(a, ir.Starred) for a in args):
        return dict(signature.bind(*args, **dict(call.kwargs)).arguments)
    star = next(k for k, a in enumerate(args) if isinstance(a, ir.Starred))
    params = list(signature.parameters.values())
    gather = next((k for k, p in enumerate(params) if p.kind is p.VAR_POSITIONAL), None)
    if gather is None or star < gather:
        raise TypeError("a starred argument (*xs) must go into the function's *args parameter")
    arguments = dict(signature.bind(*args[:gather], **dict(call.kwargs)).arguments)
    arguments[params[gather].name] = tuple(args[gather:])
    return arguments


def _pack(rev, name: str, value, origin, in_loop: bool, packs: list) -> ir.Var:
    """A new variable holding `value`, which carries gradient (assigned before the call)."""
    packed = ir.Var(rev.namer.fresh(name), ir.Kind.TEMP)
    packs.append(ir.Assign(packed, value, origin))
    rev.useful.add(packed)
    rev.active.add(packed)
    if in_loop:
        rev.dynamic.add(packed)
    return packed


def _joined(rev, items: tuple, origin, in_loop: bool, packs: list):
    """(h, *rest) -> joined((parts, rest)): runs of plain operands become tuples of their
    own, starred values are taken whole; joined's rule splits the gradient back."""
    parts, run = [], []
    for item in items + (None,):
        if isinstance(item, ir.Starred) or item is None:
            if run:
                parts.append(_pack(rev, "parts", ir.TupleExpr(tuple(run)), origin, in_loop, packs))
                run = []
            if item is not None:
                parts.append(item.value)
        else:
            run.append(item)
    return ir.Call(JOINED, (ir.TupleExpr(tuple(parts)),))


def _vars_in(argument) -> list:
    if isinstance(argument, tuple):  # the values gathered by *args
        return [v for a in argument for v in ir.vars_in(a)]
    if isinstance(argument, dict):  # the values gathered by **kwargs
        return [v for a in argument.values() for v in ir.vars_in(a)]
    return ir.vars_in(argument)


def _packed(argument):
    if isinstance(argument, ir.Call):  # joined(...)
        return argument
    if isinstance(argument, tuple) and any(isinstance(a, ir.Starred) for a in argument):
        return ir.Call(JOINED, (ir.TupleExpr(()),))  # (checked here; built by _joined)
    if isinstance(argument, tuple):
        return ir.TupleExpr(argument)
    if isinstance(argument, dict):
        return ir.Call(MAKE_DICT, (ir.TupleExpr(tuple(ir.Const(k) for k in argument)),
                                   ir.TupleExpr(tuple(argument.values()))))
    if isinstance(argument, ir.TupleExpr) and all(isinstance(e, (ir.Var, ir.Const, ir.Ref))
                                                  for e in argument.elts):
        return argument
    return argument if isinstance(argument, ir.Var) else None  # None: nested deeper


def _statics(rev, func, arguments: dict) -> dict:
    """The callables and objects the callee is compiled for: its arguments known when
    compiling (a function passed by name, an object), and callable defaults."""
    known = rev.fn.statics or {}
    spread = spread_names(parse_function(func).node)[0] if any(
        isinstance(a, (ir.Var, ir.TupleExpr)) and _is_length(known.get(a)) or isinstance(a, ir.TupleExpr)
        for a in arguments.values()) else set()  # (a length is known only where it is spread)
    out = {p: d for p, d in static_defaults(func).items() if p not in arguments}
    for p, a in arguments.items():
        if isinstance(a, dict):  # what **kwargs gathered: its keys, for f(**kwargs) inside
            out[p] = Packed(tuple(a))
        elif isinstance(a, tuple) and not any(isinstance(v, ir.Starred) for v in a):
            out[p] = Packed(len(a))  # what *args gathered: how many
        elif isinstance(a, ir.Var) and a in known and (not _is_length(known[a]) or p in spread):
            out[p] = known[a]
        elif isinstance(a, ir.TupleExpr) and p in spread and not any(isinstance(v, ir.Starred)
                                                                    for v in a.elts):
            out[p] = Packed(len(a.elts))  # g((x, y)): how many, for g's *pair
        elif isinstance(a, ir.Ref) and not inspect.ismodule(a.value) and kind_of(a.value):
            out[p] = a.value
    return out


def _is_length(example) -> bool:
    return isinstance(example, Packed) and isinstance(example.names, int)


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
        if kind_of((rev.fn.statics or {}).get(operand)) == "object":  # back to a GradObject
            share = ir.Call(REGATHERED, (share, operand))
        if operand in own:  # h = cell(h, x): the old h's gradient, set after the new one is used
            own[operand].append(share)
        else:
            rev.contribute(operand, share, stmt.origin, assigned, out)
    return out


def refuse_starred(rev, stmt, parts) -> None:
    """*xs of a value with a gradient where the parts' positions are known only when the
    code runs (a rule's arguments, a display): never let its gradient drop silently."""
    for part in parts:
        if isinstance(part, ir.Starred) and any(v in rev.useful for v in ir.vars_in(part)):
            raise UnsupportedSyntax.at(stmt.origin, "star-unpacking (*) a value that carries a "
                                       "gradient here is not supported",
                                       "pass the values one by one, or stack them (np.stack)")
