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
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from .errors import AdjointError

RULES: dict = {}
NONDIFF: dict = {}  # callable or ".attr" -> short reason, for calls whose output has no gradient


@dataclass
class Rule:
    primal: object
    func: object
    func_params: tuple  # the rule's own names for g and y
    params: tuple  # every parameter name after g and y, in order
    inputs: tuple  # parameter names that receive a gradient slot
    options: dict  # parameter name -> default
    elementwise: bool | None  # result shape = broadcast of the inputs' shapes
    _template: object = field(default=None, repr=False)
    # the forward-mode (JVP) rule of the same primal, one table for both directions:
    # a forward.rules.ForwardRule, set by @d_f.forward or derived (see adjoint/forward/rules.py)
    forward: object = field(default=None, repr=False)

    @property
    def template(self):
        """The rule body lowered to IR, parsed on first use."""
        if self._template is None:
            from .template import parse_template
            self._template = parse_template(self)
        return self._template


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
        func.forward = lambda jvp: _add_forward(primal, jvp)
        if forward is not None:
            _add_forward(primal, forward)
        return func
    return register


def _add_forward(primal, jvp):
    from .forward.rules import forward_rule
    return forward_rule(primal)(jvp)


def nondiff(*primals, reason: str = "its output does not change smoothly with its inputs"):
    """Declare calls whose result carries no gradient (floor, argmax, .shape, ...)."""
    for primal in primals:
        NONDIFF[primal] = reason


def lookup(primal) -> Rule | None:
    try:
        found = RULES.get(primal)
    except TypeError:  # unhashable callables have no rule
        return None
    if found is None and hasattr(type(primal), "adjoint_rule"):  # a call of grad(f): see higher.py
        return primal.adjoint_rule
    return found


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
