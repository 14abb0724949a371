"""The gradient rule registry: one table keyed by the primal callable.

A rule is an ordinary, runnable Python function `d(g, y, *inputs, **options)`: `g` is the
gradient of the output, `y` the output, then the primal's inputs. Parameters with a
default are options (axis, keepdims, ...) and get no gradient. It returns one expression
per input (a tuple when there are several; `None` means "no contribution"). Because a
rule runs on its own, every rule gets its own finite-difference test; the compiler
instead parses the rule body and pastes it into the generated code with names
substituted, so the output reads like the math:

    @rule(np.tanh)
    def d_tanh(g, y, x):
        return g * (1 - y * y)          ->   grad_s1 = grad_h * (1 - h * h)

Operators are keyed by `operator.add`, `operator.matmul`, ...; attributes by ".T";
indexing by `operator.getitem`.

The forward-mode (JVP) rule of a primal sits on the same entry (`Rule.forward`), so the
two directions cannot drift into two tables. It is declared here (`@d_f.forward`,
`forward_rule`, `linear`, `multilinear`) and read by adjoint/forward/rules.py, which
also derives one for every elementwise rule.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from ..errors import AdjointError

RULES: dict = {}
NONDIFF: dict = {}  # callable or ".attr" -> short reason, for calls whose output has no gradient
# type -> function making the rule of a callable of that type on demand (calls of grad(f):
# adjoint/higher_calls.py registers one for GradientFunction)
RULE_MAKERS: dict = {}


@dataclass
class Rule:
    primal: object
    func: object
    func_params: tuple  # the rule's own names for g and y
    params: tuple  # every parameter name after g and y, in order
    inputs: tuple  # parameter names that receive a gradient slot
    options: dict  # parameter name -> default
    elementwise: bool | None  # result shape = broadcast of the inputs' shapes
    # the forward-mode rule (a ForwardRule): declared below, or derived (forward/rules.py)
    forward: object = field(default=None, repr=False)
    # the backward Template of a rule adjoint makes itself (calls of grad(f)); the others
    # are parsed from `func` (reverse/template.py)
    backward_template: object = field(default=None, repr=False)


@dataclass
class ForwardRule:
    kind: str  # "written", "elementwise", "linear" or "multilinear"
    over: tuple | None = None  # linear kinds: the inputs with a contribution (None: all with a gradient)
    func: object = None  # the written rule
    template: object = field(default=None, repr=False)  # made on first use (forward/rules.py)


def rule(primal, *, elementwise: bool | None = None, forward=None):
    """Register the decorated function as the gradient rule of `primal`.

    `elementwise=True` says the primal's result has the broadcast shape of its inputs,
    which lets the compiler drop shape bookkeeping (unbroadcast) it can prove useless.
    Left as None, a rule whose formula is itself elementwise counts as elementwise.
    `forward=j` (or `@d_f.forward` above `j`) adds the forward-mode rule
    `j(dx, ..., y, x, ...)`: one tangent per input, then y and the inputs, returning
    each input's contribution to y's tangent (see adjoint/forward/rules.py); elementwise
    rules get theirs derived.
    """
    def register(func):
        params = list(inspect.signature(func).parameters.values())
        if len(params) < 3 or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise AdjointError(f"rule {func.__qualname__} must be written d(g, y, x, ...): the "
                               "output's gradient, the output, then each input by name")
        inputs = tuple(p.name for p in params[2:] if p.default is inspect.Parameter.empty)
        options = {p.name: p.default for p in params[2:] if p.default is not inspect.Parameter.empty}
        names = tuple(p.name for p in params[2:])
        RULES[primal] = Rule(primal, func, (params[0].name, params[1].name), names, inputs,
                             options, elementwise)
        func.primal = primal
        func.forward = forward_rule(primal)
        if forward is not None:
            forward_rule(primal)(forward)
        return func
    return register


def forward_rule(primal):
    """Decorator: the written forward rule of `primal` (which already has a reverse rule)."""
    def register(func):
        r = registered(primal)
        check_forward_signature(r, func)
        r.forward = ForwardRule("written", func=func)
        return func
    return register


def linear(*primals, over: tuple | None = None) -> None:
    """Declare primals linear in their inputs jointly: the tangent is the primal applied
    to the tangents, inputs without one given zeros."""
    for primal in primals:
        registered(primal).forward = ForwardRule("linear", over)


def multilinear(*primals, over: tuple | None = None) -> None:
    """Declare primals linear in each input separately (products): the product rule."""
    for primal in primals:
        registered(primal).forward = ForwardRule("multilinear", over)


def registered(primal) -> Rule:
    if primal not in RULES:
        raise AdjointError(f"{display_name(primal)} has no gradient rule to add a forward rule to; "
                           "register the reverse rule first with @adjoint.rule")
    return RULES[primal]


def check_forward_signature(r: Rule, func) -> None:
    params = list(inspect.signature(func).parameters)
    n = len(r.inputs)
    if params[n + 1:] != list(r.params) or len(params) != n + 1 + len(r.params):
        wanted = ", ".join([f"d{name}" for name in r.inputs] + ["y"] + list(r.params))
        raise AdjointError(f"forward rule {func.__qualname__} must be written "
                           f"{func.__name__}({wanted}): one tangent per input, the output, "
                           "then the reverse rule's parameters by the same names")


def nondiff(*primals, reason: str = "its output does not change smoothly with its inputs"):
    """Declare calls whose result carries no gradient (floor, argmax, .shape, ...)."""
    for primal in primals:
        NONDIFF[primal] = reason


def lookup(primal) -> Rule | None:
    try:
        found = RULES.get(primal)
    except TypeError:  # unhashable callables have no rule
        return None
    maker = RULE_MAKERS.get(type(primal)) if found is None else None
    return maker(primal) if maker is not None else found


def is_nondiff(primal) -> bool:
    try:
        return primal in NONDIFF
    except TypeError:
        return False


def display_name(primal) -> str:
    if isinstance(primal, str):
        return primal
    module = getattr(primal, "__module__", None) or ""
    name = getattr(primal, "__qualname__", None) or getattr(primal, "__name__", repr(primal))
    if module in ("numpy", "math", "builtins", "_operator", "operator"):
        prefix = {"numpy": "np.", "math": "math.", "builtins": "", "_operator": "operator.",
                  "operator": "operator."}[module]
        return prefix + name
    return f"{module}.{name}" if module and module != "__main__" else name
