"""The pipeline, as one explicit list of stages:

    parse (frontend) -> fence -> lower (SSA, verified) -> reverse -> passes -> codegen -> load

`compile_gradient` runs it for one function, one choice of `wrt` and one set of scalar
parameters, and returns a `Compiled` holding the generated source and the live function.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import codegen, ir, loader, passes, rules  # noqa: F401  (rules register themselves)
from .errors import Location, UnsupportedSyntax
from .fence import check_supported
from .frontend import parse_function
from .lower import lower, user_names
from .names import Namer
from .reverse import differentiate


@dataclass
class Compiled:
    source: str
    function: object  # the live generated function
    free: dict  # free names of the user's function -> objects, for staleness checks
    return_location: Location | None
    stages: dict  # stage name -> IR text, for dumps
    callees: list = field(default_factory=list)  # VJPs of functions differentiated through


@dataclass
class VJP:
    """The forward and backward halves of a function differentiated through."""

    name: str
    fwd_ref: ir.Ref
    bwd_ref: ir.Ref
    source: str = ""
    guards: tuple = ()  # (globals dict, name, object) the halves were compiled against
    callees: list = field(default_factory=list)


class Pending:
    """The halves of a function still being compiled: a recursive call names them, and
    the definitions in the same generated module bind them."""

    def __init__(self, name: str):
        self.name = name


_VJPS: dict = {}  # (function, wrt, scalars, optimize) -> VJP
_IN_PROGRESS: list = []  # keys being compiled, innermost last


def compile_gradient(func, wrt_names: tuple, scalar_params: frozenset, *,
                     return_value: bool, optimize: bool = True, single: bool = True,
                     has_aux: bool = False) -> Compiled:
    parsed = parse_function(func)
    check_supported(parsed)
    fn = lower(parsed)
    ir.verify(fn)
    stages = {"lower": fn}
    wrt = [next(p for p in fn.params if p.name == name) for name in wrt_names]
    namer = Namer(user_names(parsed.node) | set(fn.free or ()))
    for stmt in fn.body:
        namer.taken.update(v.name for v in ir.targets(stmt))
    grad_fn, callees = differentiate(fn, wrt, scalar_params, namer, return_value, single,
                                     optimize=optimize, has_aux=has_aux)
    stages["reverse"] = grad_fn
    if optimize:
        grad_fn = passes.optimize(grad_fn)
        stages["optimize"] = grad_fn
    prefix = "value_and_grad_" if return_value else "grad_"
    grad_fn = replace(grad_fn, name=prefix + fn.name)
    ir.verify(grad_fn)
    header = f"# gradient of {fn.name} with respect to {', '.join(wrt_names)}"
    generated = codegen.generate(grad_fn, header)
    function = loader.load(generated.source, grad_fn.name, generated.namespace)
    function.__defaults__ = getattr(func, "__defaults__", None)
    function.__kwdefaults__ = getattr(func, "__kwdefaults__", None)
    return Compiled(generated.source, function, dict(fn.free or {}), fn.body[-1].origin,
                    {name: str(stage) for name, stage in stages.items()}, callees)


def forget_vjps() -> None:
    """Drop every cached pair (a function called through, or a global, changed)."""
    _VJPS.clear()


def compile_vjp(func, wrt_names: tuple, scalar_params: frozenset, optimize: bool,
                call_site: Location | None = None) -> VJP:
    """fwd_f(*args) -> (value, saved) and bwd_f(grad_value, saved) -> grads of wrt."""
    key = (func, wrt_names, scalar_params, optimize)
    if key in _VJPS:
        return _VJPS[key]
    name = parse_function(func).node.name  # a lambda's name is the one it is bound to
    if key in _IN_PROGRESS:
        if _IN_PROGRESS[-1] != key:
            raise UnsupportedSyntax.at(call_site, f"{name} is part of a cycle of functions "
                                       "calling each other, which adjoint cannot differentiate yet",
                                       f"give one of them a rule with @adjoint.rule")
        fwd, bwd = Pending(f"fwd_{name}"), Pending(f"bwd_{name}")
        return VJP(name, ir.Ref(fwd.name, fwd, (), fwd), ir.Ref(bwd.name, bwd, (), bwd))
    _IN_PROGRESS.append(key)
    try:
        vjp = _build_vjp(func, wrt_names, scalar_params, optimize)
    finally:
        _IN_PROGRESS.pop()
    _VJPS[key] = vjp
    return vjp


def _build_vjp(func, wrt_names, scalar_params, optimize) -> VJP:
    parsed = parse_function(func)
    check_supported(parsed)
    fn = lower(parsed)
    ir.verify(fn)
    _check_base_case(fn, func)
    wrt = [next(p for p in fn.params if p.name == name) for name in wrt_names]
    namer = Namer(user_names(parsed.node) | set(fn.free or ()) | {"saved", f"fwd_{fn.name}", f"bwd_{fn.name}"})
    for stmt in ir.walk(fn.body):
        namer.taken.update(v.name for v in ir.targets(stmt))
    seed = ir.Var(namer.fresh("grad_value"), ir.Kind.PARAM)
    combined, callees = differentiate(fn, wrt, scalar_params, namer, True, False,
                                      optimize=optimize, seed=seed)
    if optimize:
        combined = passes.optimize(combined)
    fwd, bwd = split_vjp(combined, seed, f"fwd_{fn.name}", f"bwd_{fn.name}")
    ir.verify(fwd)
    header = (f"# {fn.name}, differentiated through: forward keeps what the backward needs;\n"
              f"# backward gives the gradients of {', '.join(wrt_names) or 'nothing'}")
    generated = codegen.generate([fwd, bwd], header)
    functions = loader.load_module(generated.source, f"{fwd.name}, {bwd.name}", generated.namespace)
    functions[fwd.name].__defaults__ = getattr(func, "__defaults__", None)
    functions[fwd.name].__kwdefaults__ = getattr(func, "__kwdefaults__", None)
    guards = tuple((parsed.globals, n, parsed.globals.get(n)) for n in sorted(fn.free or {})
                   if n in parsed.globals)
    make = lambda f: ir.Ref(f.__name__, f, (), f)  # noqa: E731
    return VJP(fn.name, make(functions[fwd.name]), make(functions[bwd.name]), generated.source,
               guards, callees)


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
    if not isinstance(grads, ir.TupleExpr) and not isinstance(grads, ir.Call):
        grads = ir.TupleExpr((grads,))
    bwd = replace(combined, name=bwd_name, params=[seed, saved_param], posonly=0, kwonly=0,
                  body=unpack + backward + [ir.Return(grads, ret.origin)])
    return fwd, bwd


def _check_base_case(fn: ir.Function, func) -> None:
    """A function that calls itself needs a branch that does not."""
    calls_itself = any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Call)
                       and s.value.func.value is func for s in ir.walk(fn.body))
    if calls_itself and not any(isinstance(s, ir.If) for s in ir.walk(fn.body)):
        raise UnsupportedSyntax.at(fn.origin, f"{fn.name} calls itself on every path: the "
                                   "recursion has no base case", "add a branch that returns "
                                   "without calling it (the base case)")
