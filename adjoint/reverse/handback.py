"""The gradients handed back to the caller: each in its argument's structure, none a view.

    return writeable(grad_x, x)                        one array argument
    return separate(grad_x, grad_w, like=(x, w))       several: never two names for one array

A gradient has its argument's structure, whatever the rules produced on the way (a numpy
function given a list returns an array; np.vstack(a) on one array, one gradient per row):
`like` names the argument as given, so runtime.core.structured_like can shape it. A
parameter the function rebinds is kept first (`x_given = x`). Scalars need none of this.
A callee's gradients go into its caller's, which are finished here, so they stay as they are.
"""
from __future__ import annotations

from .. import ir
from . import shapes
from ..runtime.core import separate, writeable

SEPARATE_REF = ir.Ref("separate", separate, (), separate)
WRITEABLE_REF = ir.Ref("writeable", writeable, (), writeable)


def handed_back(rev, grads: list, single: bool, callee: bool) -> tuple:
    """(the returned gradients expression, statements keeping rebound arguments)."""
    grads_expr = grads[0] if single else ir.TupleExpr(tuple(grads))
    if all(rev.classes.get(p) == shapes.SCALAR for p in rev.wrt):
        return grads_expr, []
    like, given = ((), []) if callee else given_values(rev)
    likes = (("like", ir.TupleExpr(like)),) if like else ()
    if single and len(grads) == 1:
        return ir.Call(WRITEABLE_REF, (grads_expr,) + like), given
    return ir.Call(SEPARATE_REF, tuple(grads), likes), given


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
