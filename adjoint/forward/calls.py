"""Calls into the user's own functions in forward mode: a `jvp_<f>` callee per signature.

A call, with no rule, of a Python function adjoint can read is compiled into its own
forward function (through adjoint/pipeline.py, mode "pair", by the callback the sweep
was given), cached per function, parameters with tangents and scalar parameters; the
caller's line

    h = dense(x, W1, b1)        becomes      h, dot_h = jvp_dense(x, W1, b1, dot_W1, dot_b1)

A function that calls itself gets one forward function with a tangent for every
parameter (constants passed zero tangents), which its recursive calls reuse.
"""
from __future__ import annotations

import inspect

from .. import ir
from ..errors import UnsupportedSyntax
from ..reverse import shapes
from .expressions import WRITABLE


def call_through(sweep, stmt: ir.Assign) -> list:
    call = stmt.value
    func = call.func.value
    name = ".".join((call.func.root_name,) + tuple(call.func.path))
    try:
        bound = inspect.signature(func).bind(*call.args, **dict(call.kwargs))
    except TypeError as exc:
        raise UnsupportedSyntax.at(stmt.origin, f"the call of {name} does not match its "
                                   f"signature: {exc}", "pass the arguments it takes") from None
    arguments = bound.arguments
    wrt = tuple(p for p, a in arguments.items() if sweep.carries(a))
    scalars = frozenset(p for p, a in arguments.items()
                        if shapes.expr_class(a, sweep.classes) == shapes.SCALAR)
    ref, wrt, compiled = sweep.compile_callee(func, wrt, scalars, stmt.origin)
    if compiled is not None:  # (None: a recursive call of the function being compiled)
        sweep.callees.append(compiled)
    dots = tuple(sweep.exact_tangent(arguments[p]) if p in arguments else ir.Const(0.0)
                 for p in wrt)
    # by name when the call leaves a parameter to its default: the tangents come after
    # every parameter of the jvp function
    if call.kwargs or len(call.args) < len(arguments) or has_keyword_only(func) or \
            leaves_defaults(func, arguments):
        names = getattr(ref.value, "dot_names", None) or ["dot_" + p for p in wrt]
        jvp_call = ir.Call(ref, call.args, call.kwargs + tuple(zip(names, dots)))
    else:
        jvp_call = ir.Call(ref, call.args + dots)
    targets = stmt.target if isinstance(stmt.target, tuple) else (stmt.target,)
    packed = stmt.target
    out = []
    if isinstance(stmt.target, tuple):  # a, b = pair(x): one tuple value, then unpacked
        packed = ir.Var(sweep.namer.fresh(f"{func.__name__}_result"), ir.Kind.TEMP)
    dot = ir.Var(sweep.namer.fresh("dot_" + packed.name), ir.Kind.GRAD)
    if packed in sweep.tangents:
        dot = sweep.tangents[packed]
    out.append(ir.Assign((packed, dot), jvp_call, stmt.origin))
    if isinstance(stmt.target, tuple):
        out.append(ir.Assign(stmt.target, packed, stmt.origin))
        for k, target in enumerate(targets):
            if target in sweep.active and target in sweep.useful:
                sweep.define(target, ir.Subscript(dot, ir.Const(k)), True, stmt.origin, out)
    else:
        sweep.tangents[packed] = dot
        if packed in sweep.written:
            out.append(ir.Assign(dot, ir.Call(WRITABLE, (dot, packed)), stmt.origin))
        if packed not in sweep.fn.dynamic:
            sweep.exact.add(dot)
    return out


def has_keyword_only(func) -> bool:
    return any(p.kind is p.KEYWORD_ONLY for p in inspect.signature(func).parameters.values())


def leaves_defaults(func, arguments: dict) -> bool:
    return any(p.default is not p.empty and name not in arguments
               for name, p in inspect.signature(func).parameters.items())
