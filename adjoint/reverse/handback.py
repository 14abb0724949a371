"""The gradients handed back to the caller: each in its argument's structure, none a view.

    return writeable(grad_x, x)                        one array argument
    return separate(grad_x, grad_w, like=(x, w))       several: never two names for one array
    return (float(grad_x), np.float32(grad_w))         numbers only: numbers of their types

A gradient has its argument's structure, whatever the rules produced on the way (a numpy
function given a list returns an array; np.vstack(a) on one array, one gradient per row;
np.sum(x) of a float, a 0-d array): `like` names the argument as given, so
runtime.core.structured_like can shape it. A parameter the function rebinds is kept first
(`x_given = x`). When every argument differentiated is a number, the code is specialized
to their types (dispatch.py), so each gradient is converted to its argument's type right
there. A callee's gradients go into its caller's, which are finished here, so they stay
as they are.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from . import shapes
from ..runtime.core import separate, writeable

SEPARATE_REF = ir.Ref("separate", separate, (), separate)
WRITEABLE_REF = ir.Ref("writeable", writeable, (), writeable)
FLOAT_REF = ir.Ref("float", float, (), float)


def handed_back(rev, grads: list, single: bool, callee: bool) -> tuple:
    """(the returned gradients expression, statements keeping rebound arguments)."""
    numbers = all(rev.classes.get(p) == shapes.SCALAR for p in rev.wrt)
    if numbers and callee:
        return (grads[0] if single else ir.TupleExpr(tuple(grads))), []
    if numbers and all(p.name in rev.number_types for p in rev.wrt):
        typed = [ir.Call(number_type_ref(rev.number_types[p.name]), (g,)) for p, g in zip(rev.wrt, grads)]
        return (typed[0] if single else ir.TupleExpr(tuple(typed))), []
    like, given = ((), []) if callee else given_values(rev)
    likes = (("like", ir.TupleExpr(like)),) if like else ()
    if single and len(grads) == 1:
        return ir.Call(WRITEABLE_REF, (grads[0],) + like), given
    return ir.Call(SEPARATE_REF, tuple(grads), likes), given


def number_type_ref(number_type: type) -> ir.Ref:
    """What converts a gradient to the type of a number argument: float for a Python float
    or int, the numpy type itself for a numpy float (np.float32 stays np.float32), float64
    for a numpy int."""
    if issubclass(number_type, np.floating):
        return ir.Ref("np", np, (number_type.__name__,), number_type)
    if issubclass(number_type, np.number):
        return ir.Ref("np", np, ("float64",), np.float64)
    return FLOAT_REF


def given_values(rev) -> tuple:
    """The arguments as given; a parameter the function rebinds is kept first."""
    like, given = [], []
    for p in rev.wrt:
        if p in rev.dynamic:
            kept = ir.Var(rev.namer.fresh(p.name + "_given"), ir.Kind.TEMP)
            given.append(ir.Assign(kept, p, rev.fn.origin))
            p = kept
        like.append(p)
    return tuple(like), given
