"""A rule's operands, and each operand's share of the rule's gradient, or a refusal: the
checks between a pasted rule and the call it is pasted for.

- `bind_rule` matches the call's arguments to the rule's parameters (a variadic rule's
  first input takes every positional argument as one tuple; a `differentiable` input
  left out takes its default) and refuses an option that depends on the values being
  differentiated.
- A rule that returns None for an input says "no gradient flows here". Where that input
  depends on the values being differentiated, None would be a silent zero, so it is
  refused, unless the input can only hold an index or key (`Rule.indices`: x[i]'s i) and
  what is indexed is a plain array, list, tuple or dict (not an object whose
  __getitem__ may compute with the index).
- A variadic rule (np.einsum(*operands)) returns one gradient per positional argument;
  `variadic=n` says only the first n get one.
- A real operand of a statement on complex values gets the real part of its share
  (see complex_values.py).
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..errors import MissingRule
from ..rules.registry import display_name
from .complex_values import REAL_PART, involves_complex


def bind_rule(stmt, r, useful: set):
    """The primal's operands in rule-input order, and every rule parameter's value."""
    value = stmt.value
    if isinstance(value, ir.Call) and r.variadic:  # np.einsum(spec, a, b): one tuple
        value = ir.Call(value.func, (ir.TupleExpr(value.args),), value.kwargs)
    if isinstance(value, ir.Call):
        if len(value.args) > len(r.params):
            raise MissingRule.at(stmt.origin, f"the gradient rule for {display_name(r.primal)} "
                                 f"takes {len(r.params)} arguments; got {len(value.args)}")
        given = dict(zip(r.params, value.args))
        for name, arg in value.kwargs:
            if name not in r.params:
                raise MissingRule.at(stmt.origin, f"the gradient rule for "
                                     f"{display_name(r.primal)} does not handle the "
                                     f"keyword argument {name}=", "leave it out, or register "
                                     "a rule that takes it")
            given[name] = arg
    else:
        given = dict(zip(r.params, ir.operator_operands(value)))
    for name in r.inputs:
        if name not in given and name in r.input_defaults:
            given[name] = ir.Const(r.input_defaults[name])
        if name not in given:
            raise MissingRule.at(stmt.origin, f"{display_name(r.primal)} is called without "
                                 f"its argument {name}", "pass it explicitly")
    bindings = {name: given.get(name, ir.Const(r.options.get(name))) for name in r.params}
    for name in r.options:  # an option gets no gradient: never let one drop silently
        if any(v in useful for v in ir.vars_in(bindings[name])):
            raise MissingRule.at(
                stmt.origin, f"the gradient rule for {display_name(r.primal)} gives no gradient "
                f"for its argument {name}=, which depends on the values being differentiated",
                f"pass a constant for {name}=, or register a rule that takes {name} as an input")
    return [given[name] for name in r.inputs], bindings


def operand_share(rev, stmt, r, name: str, operand, expr):
    """The expression operand `name` contributes (None: nothing to contribute)."""
    if not any(v in rev.useful for v in ir.vars_in(operand)):
        return None
    if expr is None and name in r.indices and plain_container(stmt.value):
        return None
    if expr is None:
        raise _no_gradient(stmt, r, name)
    return real_part_for(rev, stmt, operand, expr)


def element_share(rev, stmt, r, k: int, element, parts):
    """The share of entry k of a tuple argument whose gradients are the tuple `parts`."""
    if element in rev.useful and r.variadic is not True and r.variadic and k >= r.variadic:
        raise _no_gradient(stmt, r, f"number {k}")
    return real_part_for(rev, stmt, element, ir.Subscript(parts, ir.Const(k)))


def real_part_for(rev, stmt, operand, expr):
    if isinstance(operand, ir.Var) and operand not in rev.complex \
            and involves_complex(stmt, rev.complex):  # a real x in np.fft.fft(x) or x * z
        return ir.Call(REAL_PART, (expr,))
    return expr


def plain_container(value) -> bool:
    """Not a global object of unknown type being subscripted (whose __getitem__ may compute
    with the index): an array, list, tuple, dict or local value is indexed plainly."""
    if not (isinstance(value, ir.Subscript) and isinstance(value.value, ir.Ref)):
        return True
    return isinstance(value.value.value, (np.ndarray, list, tuple, dict, str))


def _no_gradient(stmt, r, name: str) -> MissingRule:
    return MissingRule.at(stmt.origin, f"the gradient rule for {display_name(r.primal)} gives "
                          f"no gradient for its argument {name}, which depends on the values "
                          "being differentiated", f"pass a constant for argument {name}, or "
                          "register a rule that differentiates it")


