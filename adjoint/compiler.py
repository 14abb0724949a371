"""The pipeline, as one explicit list of stages:

    parse (frontend) -> fence -> lower (SSA, verified) -> reverse -> passes -> codegen -> load

`compile_gradient` runs it for one function, one choice of `wrt` and one set of scalar
parameters, and returns a `Compiled` holding the generated source and the live function.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import codegen, ir, loader, passes, rules  # noqa: F401  (rules register themselves)
from .errors import Location
from .guards import guards_of
from .lowering.fence import check_supported
from .lowering.frontend import parse_function
from .lowering.lower import lower, namer_for
from .reverse.sweep import differentiate


@dataclass
class Compiled:
    source: str
    function: object  # the live generated function
    return_location: Location | None
    stages: dict  # stage name -> IR text, for dumps
    callees: list = field(default_factory=list)  # VJPs of functions differentiated through
    guards: tuple = ()  # what the code assumed of the user's modules (see guards.py)
    check_finite: bool = False  # compiled with a finite check after each backward assignment


def compile_gradient(func, wrt_names: tuple, scalar_params: frozenset, *,
                     return_value: bool, optimize: bool = True, single: bool = True,
                     has_aux: bool = False, check_finite: bool = False) -> Compiled:
    parsed = parse_function(func)
    check_supported(parsed)
    fn = lower(parsed)
    ir.verify(fn)
    stages = {"lower": fn}
    wrt = [next(p for p in fn.params if p.name == name) for name in wrt_names]
    namer = namer_for(parsed, fn)
    grad_fn, callees = differentiate(fn, wrt, scalar_params, namer, return_value, single,
                                     optimize=optimize, has_aux=has_aux, check_finite=check_finite)
    stages["reverse"] = grad_fn
    if optimize:
        grad_fn = passes.optimize(grad_fn)
        stages["optimize"] = grad_fn
    prefix = "value_and_grad_" if return_value else "grad_"
    grad_fn = replace(grad_fn, name=prefix + fn.name)
    ir.verify(grad_fn)
    header = f"# gradient of {fn.name} with respect to {', '.join(wrt_names)}"
    generated = codegen.generate(grad_fn, header, check_finite)
    function = loader.load(generated.source, grad_fn.name, generated.namespace, generated.origins)
    function.__defaults__ = getattr(func, "__defaults__", None)
    function.__kwdefaults__ = getattr(func, "__kwdefaults__", None)
    return Compiled(generated.source, function, fn.body[-1].origin,
                    {name: str(stage) for name, stage in stages.items()}, callees,
                    guards_of(parsed, fn, names=False), check_finite)
