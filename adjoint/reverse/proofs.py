"""Where the backward passes no gradient, a proof says why; anything unknown is refused.

The reverse sweep gives a value no gradient in exactly these cases:

1. the operation is a registered nondiff function (floor, argmax, .shape, ...) or casts to
   an integer or boolean dtype (`x.astype(int)`): activity.differentiable; any other
   operation on a differentiated value needs a rule (`rule_for`) or is a user function
   differentiated through;
2. the value does not depend on the values being differentiated (activity: not useful);
3. the rule's slot for an operand is None (x[i]'s index, einsum's subscripts) or the
   operand sits where no rule reads it (an entry of a nested tuple, a list assigned into
   an array slice). That is right only when the operand carries no gradient, so an
   operand there that depends on the values being differentiated is refused here, with
   the line and a fix. An indexing object (np.r_, np.c_, a user class with __getitem__)
   builds its result from what it is indexed with: without a rule of its own, that is
   this case too.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import ir
from ..errors import MissingRule, UnsupportedSyntax
from ..lowering.constructors import FIX, unbuildable_reason
from ..origin import is_user_code
from ..rules.registry import Rule, display_name, lookup
from .activity import primal_key
from ..runtime.core import indexes_plainly

INDEXES_PLAINLY_REF = ir.Ref("indexes_plainly", indexes_plainly, (), indexes_plainly)

def depends(expr, useful: set) -> bool:
    return any(v in useful for v in ir.vars_in(expr))


def rule_for(stmt) -> Rule:
    """The rule of the operation a statement performs; refused when there is none."""
    key = primal_key(stmt.value)
    found = lookup(key)
    if found is None:
        name = written_name(stmt.value) or display_name(key)
        if isinstance(stmt.value, ir.Attr):
            raise MissingRule.at(stmt.origin, f"no gradient rule for the attribute {name}",
                                 f"register one with @adjoint.rule(\"{name}\")")
        built = unbuildable_reason(key) if isinstance(key, type) and is_user_code(key) else ""
        if built:
            raise MissingRule.at(stmt.origin, f"{name}(...) carries a gradient, but {built}", FIX)
        raise MissingRule.at(
            stmt.origin, f"no gradient rule for {name}, and adjoint cannot differentiate "
            "through it", f"register a rule: @adjoint.rule({name}) above a function "
            f"d_{getattr(key, '__name__', 'f')}(g, y, x) returning the input's gradient; "
            "or, if it has no gradient, adjoint.nondiff(...)")
    return found


def written_name(value) -> str | None:
    """The callee as the user wrote it (helper, np.linalg.inv), for messages."""
    if isinstance(value, ir.Call):
        return _written(value.func)
    return None


def no_gradient_slot(stmt, rule, name: str, origin) -> list:
    """A rule's None for an operand that depends on the values being differentiated:
    refused, except for the index of a plain container (an array, list, tuple or dict
    indexes by value, so x[i] is piecewise constant in i: dict keys in `for k in params`).
    Whether a local value is plain is known only at run time: the backward checks it."""
    value = stmt.value
    if not (isinstance(value, ir.Subscript) and rule.primal is operator.getitem):
        value = None  # (np.r_[...] with a rule of its own is a call like any other)
    if isinstance(value, ir.Subscript) and isinstance(value.value, ir.Ref):
        if not _builds_from_index(value.value):
            return []
        raise MissingRule.at(
            stmt.origin, f"indexing {_written(value.value)} with values being differentiated: "
            "x[i] gives no gradient for its argument index, and this object is not an array, "
            "list, tuple or dict, whose [] only selects: adjoint has no rule for what its [] "
            "computes", "build the array with np.concatenate, np.stack or np.array "
            "(np.r_[a, b] is np.concatenate([a, b])), or register a rule for it")
    if isinstance(value, ir.Subscript):
        return [ir.ExprStmt(ir.Call(INDEXES_PLAINLY_REF, (value.value,)), origin)]
    if name in rule.indices:  # the rule says it holds only indices (np.take's): none by type
        return []
    raise MissingRule.at(
        stmt.origin, f"the gradient rule for {display_name(rule.primal)} gives no gradient "
        f"for its argument {name}, which here depends on the values being differentiated",
        f"pass a constant for {name} (for np.einsum, the subscripts as a string: "
        "np.einsum('ij->ji', a)), or register a rule that differentiates it")


def tuple_shares(value: ir.TupleExpr, g, useful: set, origin) -> list:
    """[(element Var, its share of g)] for a tuple or list display, nested ones included:
    t = ((a, b), c) gives b the share g[0][1]."""
    shares = []
    for k, element in enumerate(value.elts):
        share = ir.Subscript(g, ir.Const(k))
        if isinstance(element, ir.Var):
            if element in useful:
                shares.append((element, share))
        elif isinstance(element, ir.TupleExpr):
            shares += tuple_shares(element, share, useful, origin)
        elif depends(element, useful):  # never drop a gradient silently
            raise UnsupportedSyntax.at(origin, "a differentiable value inside a "
                                       f"{type(element).__name__} entry is not supported here",
                                       "assign it to a name first")
    return shares


def check_set_item(stmt: ir.SetItem, useful: set) -> None:
    """x[i] = v where x carries a gradient: the index gets none, and v's gradient is
    handed back only to a named value."""
    if stmt.target not in useful:
        return
    if depends(stmt.index, useful):
        raise MissingRule.at(stmt.origin, "the index of this assignment depends on the values "
                             "being differentiated, and an index gets no gradient",
                             "compute the index as an integer (int(...), np.argmax(...), "
                             ".astype(int))")
    if not isinstance(stmt.value, ir.Var) and depends(stmt.value, useful):
        raise UnsupportedSyntax.at(stmt.origin, "assigning a list or tuple of differentiable "
                                   "values into an array is not supported",
                                   "name the array first: v = np.array([a, b]); x[i:j] = v")


def _builds_from_index(indexed) -> bool:
    """A global object other than an array, list, tuple or dict (np.r_, a user class with
    __getitem__): its [] may compute with the index."""
    return isinstance(indexed, ir.Ref) and not isinstance(indexed.value, (np.ndarray, list, tuple,
                                                                          dict, str))


def _written(ref: ir.Ref) -> str:
    return ".".join((ref.root_name,) + tuple(ref.path))
