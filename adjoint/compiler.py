"""The pipeline, as one explicit list of stages:

    parse (frontend) -> fence -> lower (SSA, verified) -> reverse -> passes -> codegen -> load

`compile_gradient` runs it for one function, one choice of `wrt` and one set of scalar
parameters, and returns a `Compiled` holding the generated source and the live function.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from . import codegen, ir, loader, passes, rules  # noqa: F401  (rules register themselves)
from .errors import Location
from .guards import guards_of
from .fence import check_supported
from .frontend import parse_function
from .lower import lower, namer_for
from .recursion import with_room
from .reverse import differentiate


@dataclass
class Compiled:
    source: str
    function: object  # the live generated function
    return_location: Location | None
    stages: Mapping  # stage name -> IR text, for dumps (printed when first asked for)
    callees: list = field(default_factory=list)  # VJPs of functions differentiated through
    guards: tuple = ()  # what the code assumed of the user's modules (see guards.py)
    check_finite: bool = False  # compiled with a finite check after each backward assignment


@with_room  # deep code (long expressions) may need a higher recursion limit: see recursion.py
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
    return Compiled(generated.source, function, fn.body[-1].origin, _StageTexts(stages), callees,
                    guards_of(parsed, fn, names=False), check_finite)


class _StageTexts(Mapping):
    """Stage name -> the IR's text, printed on first use: printing every stage of every
    compile took as long as the rest of the compile, and only dumps read them. The IR
    is not changed after its stage (passes build new statements), so the text is the
    stage's."""

    def __init__(self, stages: dict):
        self._stages = dict(stages)
        self._texts: dict = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._texts:
            self._texts[name] = str(self._stages[name])
        return self._texts[name]

    def __iter__(self):
        return iter(self._stages)

    def __len__(self) -> int:
        return len(self._stages)
