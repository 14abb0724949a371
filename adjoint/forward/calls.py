"""Calls into the user's own functions in forward mode: a `jvp_<f>` callee per signature.

A call, with no rule, of a Python function adjoint can read is compiled into its own
forward function (the same pipeline, mode "pair"), cached per function, parameters with
tangents and scalar parameters; the caller's line

    h = dense(x, W1, b1)        becomes      h, dot_h = jvp_dense(x, W1, b1, dot_W1, dot_b1)

A function that calls itself gets one forward function with a tangent for every
parameter (constants passed zero tangents), which its recursive calls reuse.
"""
from __future__ import annotations

import inspect

from .. import ir, shapes
from ..codegen import Pending
from ..errors import NoSource, UnsupportedSyntax
from ..frontend import parse_function

_CACHE: dict = {}  # (function, wrt, scalars) -> (ir.Ref to jvp_<f>, its ForwardCompiled)
_IN_PROGRESS: dict = {}  # function -> (Ref to its Pending forward function, wrt)


def forget_forward_callees() -> None:
    _CACHE.clear()


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
    ref, wrt = _callee(func, wrt, scalars, stmt.origin, sweep)
    dots = tuple(sweep.exact_tangent(arguments[p]) if p in arguments else ir.Const(0.0)
                 for p in wrt)
    if call.kwargs or len(call.args) < len(arguments) or _has_kwonly(func):
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
            out.append(ir.Assign(dot, ir.Call(_writable(), (dot, packed)), stmt.origin))
        if packed not in sweep.fn.dynamic:
            sweep.exact.add(dot)
    return out


def _callee(func, wrt: tuple, scalars: frozenset, call_site, sweep):
    from .compile import compile_forward
    try:
        parsed = parse_function(func)
    except NoSource as exc:
        raise NoSource.at(call_site, "cannot differentiate through the function called here: "
                          f"{exc.problems[0].what if exc.problems else exc}",
                          "define it with def in a .py file, or give it a rule with "
                          "@adjoint.rule") from None
    if func in _IN_PROGRESS:
        if next(reversed(_IN_PROGRESS)) is func:
            return _IN_PROGRESS[func]
        raise UnsupportedSyntax.at(call_site, f"{parsed.node.name} is part of a cycle of functions "
                                   "calling each other, which adjoint cannot differentiate yet",
                                   "give one of them a rule with @adjoint.rule")
    if func.__name__ in func.__code__.co_names:  # recursive: one function for every level
        wrt = tuple(inspect.signature(func).parameters)
        scalars = frozenset()
    key = (func, wrt, scalars)
    if key not in _CACHE:
        name = "jvp_" + parsed.node.name + ("" if wrt == tuple(inspect.signature(func).parameters)
                                            else "_" + "_".join(wrt))
        pending = Pending(name)
        _IN_PROGRESS[func] = (ir.Ref(name, pending, (), pending), wrt)
        try:
            compiled = compile_forward(func, wrt, scalars, mode="pair", name=name, parsed=parsed)
        finally:
            del _IN_PROGRESS[func]
        _CACHE[key] = (ir.Ref(name, compiled.function, (), compiled.function), compiled)
    ref, compiled = _CACHE[key]
    sweep.callees.append(compiled)
    return ref, wrt


def _has_kwonly(func) -> bool:
    return any(p.kind is p.KEYWORD_ONLY for p in inspect.signature(func).parameters.values())


def _writable():
    from .sweep import WRITABLE
    return WRITABLE
