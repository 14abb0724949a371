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
from dataclasses import dataclass

from ..errors import AdjointError

RULES: dict = {}
NONDIFF: dict = {}  # callable or ".attr" -> short reason, for calls whose output has no gradient
IMPURE: set = set()  # callables whose every call must run as written (random draws)


@dataclass
class Rule:
    primal: object
    func: object
    func_params: tuple  # the rule's own names for g and y
    params: tuple  # every parameter name after g and y, in order
    inputs: tuple  # parameter names that receive a gradient slot
    options: dict  # parameter name -> default
    elementwise: bool | None  # result shape = broadcast of the inputs' shapes


def rule(primal, *, elementwise: bool | None = None):
    """Register the decorated function as the gradient rule of `primal`.

    `elementwise=True` says the primal's result has the broadcast shape of its inputs,
    which lets the compiler drop shape bookkeeping (unbroadcast) it can prove useless.
    Left as None, a rule whose formula is itself elementwise counts as elementwise.
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
        return func
    return register


def nondiff(*primals, reason: str = "its output does not change smoothly with its inputs"):
    """Declare calls whose result carries no gradient (floor, argmax, .shape, ...)."""
    for primal in primals:
        NONDIFF[primal] = reason


def impure(*primals):
    """Declare calls that must never be dropped or repeated (random draws): their result
    may be unused, and running them changes the generator's state."""
    for primal in primals:
        IMPURE.add(primal)


def lookup(primal) -> Rule | None:
    try:
        return RULES.get(primal) or RULES.get(_unbound(primal))
    except TypeError:  # unhashable callables have no rule
        return None


def is_nondiff(primal) -> bool:
    try:
        return primal in NONDIFF or _unbound(primal) in NONDIFF
    except TypeError:
        return False


def is_impure(primal) -> bool:
    try:
        return primal in IMPURE or _unbound(primal) in IMPURE
    except TypeError:
        return False


def _unbound(primal):
    """rs.randn -> RandomState.randn: a method bound to a library object (a random
    generator) is keyed by its class's function."""
    owner = getattr(primal, "__self__", None)
    if owner is None or inspect.ismodule(owner) or inspect.isclass(owner):
        return None
    return getattr(primal, "__func__", None)


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
