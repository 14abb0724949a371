"""Functions differentiated through: a forward half that keeps what its backward needs,
and a backward half that takes the output's gradient and gives the inputs'.

    def fwd_dense(x, W, b):                   def bwd_dense(grad_value, saved):
        s0 = x @ W                                x, W, s0, b = saved
        out = s0 + b                              ...
        return out, (x, W, s0, b)                 return (grad_x, grad_W, grad_b)

Input: a user's function, the parameters that get gradients, which are scalars.
Output: a cached `VJP`. The pair is the value-and-gradient code of the function (made by
the same pipeline, with the seed a parameter) cut in two (`split_vjp`). A function that
calls itself gets one pair for all its arguments, which its recursive calls reuse.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import codegen, ir, loader, passes
from .codegen import Pending
from .errors import Location, NoSource, UnsupportedSyntax
from .fence import check_supported
from .frontend import parse_function
from .guards import guards_of
from .lower import lower, namer_for
from .recursion import with_room
from .reverse import differentiate


@dataclass
class VJP:
    name: str
    fwd_ref: ir.Ref
    bwd_ref: ir.Ref
    wrt: tuple  # the parameters whose gradients bwd returns, in order
    source: str = ""
    guards: tuple = ()  # what the halves assumed (see guards.py)
    callees: list = field(default_factory=list)


_VJPS: dict = {}  # (function, wrt, scalars, optimize, check_finite) -> VJP
_IN_PROGRESS: dict = {}  # function -> the VJP (of Pending halves) being compiled, in order


def forget_vjps() -> None:
    """Drop every cached pair (a function called through, or a global, changed)."""
    _VJPS.clear()


@with_room  # a chain of callees compiles each inside its caller: see recursion.py
def compile_vjp(func, wrt_names: tuple, scalar_params: frozenset, optimize: bool,
                call_site: Location | None = None, check_finite: bool = False) -> VJP:
    try:
        parsed = parse_function(func)
    except NoSource as exc:
        raise NoSource.at(call_site, f"cannot differentiate through the function called "
                          f"here: {exc.problems[0].what if exc.problems else exc}",
                          "define it with def in a .py file, or give it a rule with "
                          "@adjoint.rule") from None
    if func in _IN_PROGRESS:
        if next(reversed(_IN_PROGRESS)) is func:  # a recursive call: the pair being compiled
            return _IN_PROGRESS[func]
        raise UnsupportedSyntax.at(call_site, f"{parsed.node.name} is part of a cycle of "
                                   "functions calling each other, which adjoint cannot "
                                   "differentiate yet", "give one of them a rule with @adjoint.rule")
    if _calls_itself(func):  # one pair for every level: all arguments, generic shapes
        wrt_names = _parameter_names(parsed)
        scalar_params = frozenset()
    key = (func, wrt_names, scalar_params, optimize, check_finite)
    if key in _VJPS:
        return _VJPS[key]
    name = _pair_name(parsed, wrt_names, scalar_params)
    fwd, bwd = Pending(f"fwd_{name}"), Pending(f"bwd_{name}")
    _IN_PROGRESS[func] = VJP(parsed.node.name, ir.Ref(fwd.name, fwd, (), fwd),
                             ir.Ref(bwd.name, bwd, (), bwd), wrt_names)
    try:
        vjp = _build_vjp(parsed, func, name, wrt_names, scalar_params, optimize, check_finite)
    finally:
        del _IN_PROGRESS[func]
    _VJPS[key] = vjp
    return vjp


def _build_vjp(parsed, func, name, wrt_names, scalar_params, optimize, check_finite=False) -> VJP:
    check_supported(parsed)
    fn = _one_result(lower(parsed))
    ir.verify(fn)
    _check_base_case(fn, func)
    wrt = [next(p for p in fn.params if p.name == n) for n in wrt_names]
    namer = namer_for(parsed, fn, {"saved", f"fwd_{name}", f"bwd_{name}"})
    seed = ir.Var(namer.fresh("grad_value"), ir.Kind.PARAM)
    combined, callees = differentiate(fn, wrt, scalar_params, namer, True, False,
                                      optimize=optimize, seed=seed, check_finite=check_finite)
    if optimize:
        combined = passes.optimize(combined)
    fwd, bwd = split_vjp(combined, seed, f"fwd_{name}", f"bwd_{name}")
    ir.verify(fwd)
    header = (f"# {fn.name}, differentiated through: forward keeps what the backward needs;\n"
              f"# backward gives the gradients of {', '.join(wrt_names) or 'nothing'}")
    generated = codegen.generate([fwd, bwd], header, check_finite)
    functions = loader.load_module(generated.source, f"{fwd.name}, {bwd.name}", generated.namespace,
                                   generated.origins)
    functions[fwd.name].__defaults__ = getattr(func, "__defaults__", None)
    functions[fwd.name].__kwdefaults__ = getattr(func, "__kwdefaults__", None)
    make = lambda f: ir.Ref(f.__name__, f, (), f)  # noqa: E731
    return VJP(fn.name, make(functions[fwd.name]), make(functions[bwd.name]), wrt_names,
               generated.source, guards_of(parsed, fn), callees)


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


def _one_result(fn: ir.Function) -> ir.Function:
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


def _pair_name(parsed, wrt: tuple, scalars: frozenset) -> str:
    """The function's name, plus what sets this pair apart from its other pairs: the
    parameters it differentiates (if not all) and those known to be scalars. The same
    function and signature always get the same name: fwd_dense, fwd_dense_W_b, ..."""
    name = parsed.node.name
    if wrt != _parameter_names(parsed):
        name += "_" + "_".join(wrt)
    if scalars:
        name += "_scalar_" + "_".join(sorted(scalars))
    return name


def _parameter_names(parsed) -> tuple:
    args = parsed.node.args
    return tuple(a.id for a in args.posonlyargs + args.args + args.kwonlyargs)


def _calls_itself(func) -> bool:
    return func.__name__ in func.__code__.co_names


def _check_base_case(fn: ir.Function, func) -> None:
    """A function that calls itself needs a branch that does not."""
    calls_itself = any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Call)
                       and s.value.func.value is func for s in ir.walk(fn.body))
    if calls_itself and not any(isinstance(s, ir.If) for s in ir.walk(fn.body)):
        raise UnsupportedSyntax.at(fn.origin, f"{fn.name} calls itself on every path: the "
                                   "recursion has no base case", "add a branch that returns "
                                   "without calling it (the base case)")

