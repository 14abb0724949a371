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

import importlib
import inspect
import types
from dataclasses import dataclass, field

import numpy as np

from ..errors import AdjointError
from .originals import is_adjoint_rule_module, remember_modules

RULES: dict = {}
NONDIFF: dict = {}  # callable or ".attr" -> short reason, for calls whose output has no gradient
# kind -> function making the rule of a callable of that kind on demand (calls of grad(f):
# adjoint/higher_calls.py registers one for GradientFunction). A callable's kind is its
# type, or for a plain function holding the attribute RULE_KIND (the gradient functions
# api.py makes), that attribute's value.
RULE_MAKERS: dict = {}
RULE_KIND = "_adjoint_rule_kind"
IMPURE: set = set()  # callables whose every call must run as written (random draws)
COMPLEX_RULES: dict = {}  # primal -> the Rule used when an operand or result is complex
# adjoint's own plain-numpy helpers (called by forward rules) that the compiler
# differentiates through by their source, like the user's functions: every order at once
THROUGH_SOURCE: set = set()
# adjoint's own entries of RULES and NONDIFF (the coverage table and registry tests are
# about these, not rules a user adds); filled by rules/__init__ and by each lazy family
BUILTIN_RULES: dict = {}
BUILTIN_NONDIFF: dict = {}

# Rule modules registered on first use, by the package their primals come from: importing
# scipy.stats costs about a second (scipy.signal imports it too), and a program that calls
# scipy.stats.norm.logpdf has imported it already. The first lookup, rule or nondiff of a
# primal from one of these packages imports the module, so every question the registry
# answers sees the same table as if it had been imported with the others.
LAZY_FAMILIES = {"scipy.stats": "stats", "scipy.linalg": "scipy_linalg",
                 "scipy.signal": "scipy_linalg"}
_PENDING = dict(LAZY_FAMILIES)


@dataclass
class Rule:
    primal: object
    func: object
    func_params: tuple  # the rule's own names for g and y
    params: tuple  # every parameter name after g and y, in order
    inputs: tuple  # parameter names that receive a gradient slot
    options: dict  # parameter name -> default
    elementwise: bool | None  # result shape = broadcast of the inputs' shapes
    variadic: bool | int = False  # the first input receives every positional argument, as one tuple
    input_defaults: dict = field(default_factory=dict)  # defaults of `differentiable` inputs
    indices: tuple = ()  # inputs that hold indices or keys: no gradient, by their type
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


def rule(primal, *, elementwise: bool | None = None, differentiable: tuple = (),
         variadic: bool | int = False, indices: tuple = (), table: dict | None = None,
         forward=None):
    """Register the decorated function as the gradient rule of `primal`.

    `elementwise=True` says the primal's result has the broadcast shape of its inputs,
    which lets the compiler drop shape bookkeeping (unbroadcast) it can prove useless.
    Left as None, a rule whose formula is itself elementwise counts as elementwise.
    `differentiable` names parameters with a default that still get a gradient
    (norm.logpdf's loc and scale); the other defaulted parameters are options.
    `variadic=True` is for a primal taking `*args` (np.einsum): the rule's first input
    receives all positional arguments as one tuple and returns one gradient per entry;
    `variadic=n` says only the first n entries get one (the others are refused when they
    depend on the values differentiated).
    `indices` names inputs that can only hold indices or keys (ints, bools, slices,
    strings), or that are read only for their shape or dtype (forward code's
    broadcast_like(t, x)), so their gradient is None even where dataflow reaches them; any
    other input a rule gives None is refused when it depends on the values differentiated.
    `table` registers into another table than RULES (COMPLEX_RULES, via complex_rule).
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
        inputs = tuple(p.name for p in params[2:]
                       if p.default is inspect.Parameter.empty or p.name in differentiable)
        options = {p.name: p.default for p in params[2:]
                   if p.default is not inspect.Parameter.empty and p.name not in inputs}
        names = tuple(p.name for p in params[2:])
        defaults = {p.name: p.default for p in params[2:] if p.name in differentiable}
        found = Rule(primal, func, (params[0].name, params[1].name), names, inputs, options,
                     elementwise, variadic, defaults, tuple(indices))
        load_family_of(primal)  # a user's rule for norm.logpdf replaces adjoint's, not vice versa
        if is_adjoint_rule_module(func.__globals__):
            remember_modules(func.__globals__)  # what its body reads (originals.py)
        (RULES if table is None else table)[primal] = found
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
        if is_adjoint_rule_module(func.__globals__):
            remember_modules(func.__globals__)
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
    load_family_of(primal)
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
        load_family_of(primal)
        NONDIFF[primal] = reason


def through_source(*helpers):
    """Declare adjoint's own helpers (written with operations that have rules) that
    reverse and forward mode differentiate through by their source, like the user's
    functions, instead of a rule per order."""
    THROUGH_SOURCE.update(helpers)


def is_through_source(func) -> bool:
    try:
        return func in THROUGH_SOURCE
    except TypeError:
        return False


def impure(*primals):
    """Declare calls that must never be dropped or repeated (random draws): their result
    may be unused, and running them changes the generator's state."""
    for primal in primals:
        IMPURE.add(primal)


def complex_rule(primal, **options):
    """Register the decorated function as primal's rule when a value involved is complex
    (see adjoint/reverse/complex_values.py)."""
    return rule(primal, table=COMPLEX_RULES, **options)


def lookup(primal) -> Rule | None:
    try:
        found = RULES.get(primal)
        if found is None and load_family_of(primal):
            found = RULES.get(primal)
        if found is None:
            found = RULES.get(_unbound(primal))
    except TypeError:  # unhashable callables have no rule
        return None
    maker = rule_maker(primal) if found is None else None
    return maker(primal) if maker is not None else found


def rule_maker(primal):
    """RULE_MAKERS' maker for calls of `primal` (by its kind, see RULE_MAKERS), or None."""
    kind = vars(primal).get(RULE_KIND) if type(primal) is types.FunctionType else None
    return RULE_MAKERS.get(type(primal) if kind is None else kind)


def is_nondiff(primal) -> bool:
    try:
        return primal in NONDIFF or (load_family_of(primal) and primal in NONDIFF) or \
            _unbound(primal) in NONDIFF
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


def load_family_of(primal) -> bool:
    """Register the lazy rule module of primal's package if it is still pending; True when
    this call did."""
    module = getattr(primal, "__module__", None) if _PENDING else None
    if not isinstance(module, str):
        return False
    package = ".".join(module.split(".")[:2])  # scipy.stats._continuous_distns -> scipy.stats
    return package in _PENDING and _load_family(package)


def load_lazy_families():
    """Register every pending lazy family now (the coverage table, the registry tests)."""
    for package in list(_PENDING):
        _load_family(package)


def _load_family(package: str) -> bool:
    family = _PENDING.get(package)
    if family is None:
        return False
    for other in [k for k, name in _PENDING.items() if name == family]:
        del _PENDING[other]  # one module may serve several packages
    rules_before, nondiff_before = set(RULES), set(NONDIFF)
    importlib.import_module(f"{__package__}.{family}")  # registers as it is imported
    BUILTIN_RULES.update({k: r for k, r in RULES.items() if k not in rules_before})
    BUILTIN_NONDIFF.update({k: r for k, r in NONDIFF.items() if k not in nondiff_before})
    return True


def display_name(primal) -> str:
    if isinstance(primal, str):
        return primal
    for name in ("r_", "c_"):  # numpy's indexing objects (np.r_[a, b])
        if primal is getattr(np, name):
            return "np." + name
    owner = getattr(primal, "__self__", None)
    if owner is not None and type(owner).__module__.startswith("scipy.stats"):  # norm.logpdf
        name = getattr(owner, "name", None) or type(owner).__name__.removesuffix("_gen")
        return f"scipy.stats.{name}.{primal.__name__}"
    module = getattr(primal, "__module__", None) or ""
    name = getattr(primal, "__qualname__", None) or getattr(primal, "__name__", repr(primal))
    if module in ("numpy", "math", "builtins", "_operator", "operator"):
        prefix = {"numpy": "np.", "math": "math.", "builtins": "", "_operator": "operator.",
                  "operator": "operator."}[module]
        return prefix + name
    return f"{module}.{name}" if module and module != "__main__" else name
