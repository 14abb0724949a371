"""The forward-mode pipeline, the reverse one's stages with the forward sweep in the middle:

    parse (frontend) -> fence -> lower (SSA, verified) -> forward sweep -> passes -> codegen -> load

`compile_forward` runs it for one function, one choice of parameters carrying tangents
and one set of scalar parameters. The result is exec'd from exactly the text shown
(registered in linecache), so adjoint's own frontend can read it back and differentiate
it again: reverse over forward for Hessian-vector products, forward over forward for
higher derivatives.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import codegen, ir, loader, passes
from ..fence import check_supported
from ..frontend import parse_function
from ..guards import guards_of
from ..lower import lower, namer_for
from .sweep import forward

PREFIX = {"pair": "jvp_", "tangent": "tangent_", "unit": "grad_"}


@dataclass
class ForwardCompiled:
    source: str
    function: object  # the live generated function
    wrt: tuple
    callees: list = field(default_factory=list)  # forward functions of the functions called through
    guards: tuple = ()


def compile_forward(func, wrt_names: tuple, scalar_params: frozenset = frozenset(), *,
                    mode: str = "pair", optimize: bool = True, name: str | None = None,
                    parsed=None) -> ForwardCompiled:
    parsed = parsed or parse_function(func)
    check_supported(parsed)
    fn = lower(parsed)
    ir.verify(fn)
    wrt = [next(p for p in fn.params if p.name == n) for n in wrt_names]
    namer = namer_for(parsed, fn, {name} if name else ())
    callees: list = []
    out = forward(fn, wrt, scalar_params, namer, mode, callees)
    if optimize:
        out = passes.optimize(out)
    out = replace(out, name=name or PREFIX[mode] + fn.name)
    ir.verify(out)
    along = ", ".join(wrt_names) or "nothing"
    header = {"pair": f"# forward mode (jvp) of {fn.name}: its value, and its tangent along {along}",
              "tangent": f"# forward mode (jvp) of {fn.name}: its tangent along {along}",
              "unit": f"# d{fn.name}/d{along}, by forward mode"}[mode]
    generated = codegen.generate(out, header)
    function = loader.load(generated.source, out.name, generated.namespace, generated.origins)
    _copy_defaults(func, function, out.params[len(fn.params):], fn.kwonly)
    function.dot_names = [p.name for p in out.params[len(fn.params):]]  # for keyword calls
    return ForwardCompiled(generated.source, function, wrt_names, callees, guards_of(parsed, fn))


def _copy_defaults(func, function, dots: list, kwonly: int) -> None:
    """f's defaults; tangent parameters after defaulted ones get None (never used: the
    generated callers always pass them)."""
    defaults = getattr(func, "__defaults__", None)
    kwdefaults = getattr(func, "__kwdefaults__", None)
    if dots and kwonly and kwdefaults:
        kwdefaults = dict(kwdefaults, **{d.name: None for d in dots})
    elif dots and defaults:
        defaults = defaults + (None,) * len(dots)
    function.__defaults__ = defaults
    function.__kwdefaults__ = kwdefaults
