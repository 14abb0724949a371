"""Functions differentiated through: a forward half that keeps what its backward needs,
and a backward half that takes the output's gradient and gives the inputs'.

    def fwd_dense(x, W, b):                   def bwd_dense(grad_value, saved):
        s0 = x @ W                                x, W, s0, b = saved
        out = s0 + b                              ...
        return out, (x, W, s0, b)                 return (grad_x, grad_W, grad_b)

The pair is the value-and-gradient code of the function (made by the pipeline,
adjoint/pipeline.py `compile_callee_pair`, with the seed a parameter) cut in two here
(`split_vjp`). A function that calls itself gets one pair for all its arguments, which its
recursive calls reuse. This module holds the pieces of that: the `VJP` record, the cut, the
pair's name and the checks on a recursive function.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import ir
from ..errors import UnsupportedSyntax
from ..lowering.frontend import signature_arguments


@dataclass
class VJP:
    name: str
    fwd_ref: ir.Ref
    bwd_ref: ir.Ref
    wrt: tuple  # the parameters whose gradients bwd returns, in order
    source: str = ""
    guards: tuple = ()  # what the halves assumed (see guards.py)
    callees: list = field(default_factory=list)
    statics: tuple = ()  # the key of the callables and objects it was compiled for


def split_vjp(combined: ir.Function, seed: ir.Var, fwd_name: str, bwd_name: str):
    """Cut value-and-gradient code into its forward and backward halves."""
    *body, ret = combined.body
    forward = [s for s in body if not getattr(s, "backward", False)]
    backward = [s for s in body if getattr(s, "backward", False)]
    value, grads = ret.value.elts
    defined_forward = set(combined.params)
    for stmt in ir.walk(forward):
        defined_forward.update(ir.targets(stmt))
    read = []
    for stmt in list(ir.walk(backward)) + [ir.Return(grads)]:
        for var in ir.reads(stmt):
            if var in defined_forward and var not in read:
                read.append(var)
    saved = tuple(read)
    saved_param = ir.Var("saved", ir.Kind.PARAM)
    # a value set on one path only is None on the others (the backward never reads it there)
    nested = {t for s in forward if ir.blocks(s) for inner in ir.walk([s]) for t in ir.targets(inner)}
    top = {t for s in forward if not ir.blocks(s) for t in ir.targets(s)}
    unbound = [v for v in saved if v in nested - top and v not in combined.params]
    inits = [ir.Assign(v, ir.Const(None), combined.origin) for v in unbound]
    fwd = replace(combined, name=fwd_name, dynamic=combined.dynamic | frozenset(unbound),
                  body=inits + forward + [ir.Return(ir.TupleExpr((value, ir.TupleExpr(saved))), ret.origin)])
    unpack = [ir.Assign(saved, saved_param, combined.origin)] if saved else []
    if not isinstance(grads, (ir.TupleExpr, ir.Call)):
        grads = ir.TupleExpr((grads,))
    bwd = replace(combined, name=bwd_name, params=[seed, saved_param], posonly=0, kwonly=0,
                  body=unpack + backward + [ir.Return(grads, ret.origin)])
    return fwd, bwd


def one_result(fn: ir.Function) -> ir.Function:
    """A function returning a, b returns one tuple value t = (a, b): the caller's
    gradient for it comes as one tuple of gradients."""
    ret = fn.body[-1]
    if not isinstance(ret.value, ir.TupleExpr):
        return fn
    packed = ir.Var("result", ir.Kind.TEMP)
    while any(packed in ir.targets(s) for s in ir.walk(fn.body)) or packed in fn.params:
        packed = ir.Var(packed.name + "_", ir.Kind.TEMP)
    return replace(fn, body=fn.body[:-1] + [ir.Assign(packed, ret.value, ret.origin),
                                             ir.Return(packed, ret.origin)])


def pair_name(parsed, wrt: tuple, scalars: frozenset, statics=None, written=()) -> str:
    """The function's name, plus what sets this pair apart from its other pairs: the
    parameters it differentiates (if not all), those known to be scalars and the functions
    passed in by name, and the parameters it also returns because it writes into them
    (runtime/written_calls.py). The same function and signature always get the same name:
    fwd_dense, fwd_dense_W_b, fwd_rk4_f_decay, fwd_h_writes_p, ..."""
    name = parsed.node.name + "".join(f"_writes_{p}" for p in written)
    for param, value in sorted((statics or {}).items()):
        label = getattr(value, "__name__", "")
        if callable(value) and label.isidentifier():
            name += f"_{param}_{label}"
    if wrt != parameter_names(parsed):
        name += "_" + "_".join(wrt)
    if scalars:
        name += "_scalar_" + "_".join(sorted(scalars))
    return name


def parameter_names(parsed) -> tuple:
    return tuple(a.id for a in signature_arguments(parsed.node.args))


def calls_itself(func) -> bool:
    return func.__name__ in func.__code__.co_names


def check_base_case(fn: ir.Function, func) -> None:
    """A function that calls itself needs a branch that does not."""
    calls_itself = any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Call)
                       and s.value.func.value is func for s in ir.walk(fn.body))
    if calls_itself and not any(isinstance(s, ir.If) for s in ir.walk(fn.body)):
        raise UnsupportedSyntax.at(fn.origin, f"{fn.name} calls itself on every path: the "
                                   "recursion has no base case", "add a branch that returns "
                                   "without calling it (the base case)")

