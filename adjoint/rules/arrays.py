"""Rules for np.r_, np.c_, np.row_stack, np.partition, np.gradient, np.rollaxis and
np.astype.

Limits:
- np.r_ / np.c_: gradients to the array and number items; slices and directive strings
  are constants.
- np.gradient: gradient to f only; spacing arguments (numbers or coordinate arrays) are
  constants, and refused when they depend on the values differentiated.
- partition: each entry of g goes back to an entry with the same value (ties, which are
  continuous, get one each).
"""
import numpy as np

from ..runtime.arrays import gradient_grads, unpermute, unroll_axis
from ..runtime.complex import as_gradient_of
from ..runtime.concatenators import concatenated_grads
from ..runtime.shaping import unvstack
from .registry import rule


@rule(np.r_, elementwise=False)
def d_r_(g, y, concatenator, index):
    """np.r_[a, b, 0:3]: indexing syntax, differentiated like a call."""
    return None, concatenated_grads(g, concatenator, index)


@rule(np.c_, elementwise=False)
def d_c_(g, y, concatenator, index):
    """np.c_[a, b]: indexing syntax, differentiated like a call."""
    return None, concatenated_grads(g, concatenator, index)


if hasattr(np, "row_stack"):  # deprecated in numpy 2.0; gone in later releases
    @rule(getattr(np, "row_stack"), elementwise=False)
    def d_row_stack(g, y, tup, dtype=None, casting="same_kind"):
        return unvstack(g, tup)


@rule(np.partition, elementwise=False)
def d_partition(g, y, a, kth, axis=-1, kind="introselect", order=None):
    return unpermute(g, a, y, axis), None


@rule(np.gradient, elementwise=False, variadic=1)
def d_gradient(g, y, args, axis=None, edge_order=1):
    return gradient_grads(g, args, axis, edge_order)


@rule(np.rollaxis, elementwise=False)
def d_rollaxis(g, y, a, axis, start=0):
    return unroll_axis(g, a, axis, start), None


if hasattr(np, "astype"):  # numpy >= 2.1
    @rule(np.astype, elementwise=True)
    def d_astype(g, y, x, dtype=None, copy=True, device=None):
        """The gradient in x's own dtype (the real part for a real x)."""
        return as_gradient_of(g, x)
