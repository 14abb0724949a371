"""Rules for reading some entries of an array: x[i], take, sort, select, extract.

The gradient scatters g back to the entries that were read; an entry read several times
gets the sum. Indices, conditions and sort orders have no gradient. Indexing a list or
tuple (a list literal, or the result of np.split or np.linalg.eigh) gives one gradient
per element.

Conventions: sort sends each entry of g to the entry np.argsort(kind="stable") says the
value came from (ties are continuous, so either choice is a valid gradient).
"""
import operator

import numpy as np

from ..runtime.selection import unselect, unsort, untake, untake_along_axis
from .registry import rule
from ..runtime.core import scatter, unindex


@rule(operator.getitem, elementwise=False, indices=("index",))
def d_getitem(g, y, x, index):
    """Also on lists and tuples, and on the results of np.split, np.linalg.eigh, ...
    An index (int, bool, slice, dict key) has no gradient."""
    return unindex(g, x, index), None


@rule(np.take, elementwise=False)
def d_take(g, y, a, indices, axis=None, out=None, mode="raise"):
    return untake(g, a, indices, axis, mode), None


@rule(np.take_along_axis, elementwise=False)
def d_take_along_axis(g, y, arr, indices, axis=-1):
    return untake_along_axis(g, arr, indices, axis), None


@rule(np.compress, elementwise=False)
def d_compress(g, y, condition, a, axis=None):
    return None, untake(g, a, np.flatnonzero(condition), axis)


@rule(np.extract, elementwise=False)
def d_extract(g, y, condition, arr):
    return None, np.reshape(scatter(g, np.ravel(arr), np.flatnonzero(condition)), np.shape(arr))


@rule(np.sort, elementwise=False)
def d_sort(g, y, a, axis=-1, kind=None, order=None):
    return unsort(g, a, axis)


@rule(np.select, elementwise=False)
def d_select(g, y, condlist, choicelist, default=0):
    """No gradient to default."""
    return None, unselect(g, condlist, choicelist)
