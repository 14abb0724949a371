"""Rules for reading parts of arrays and reshaping them: x[i], x.T, np.transpose.

Attributes are keyed by their name with a leading dot (".T").
"""
import operator

import numpy as np

from ..registry import nondiff, rule
from ..runtime import inverse_axes, scatter


@rule(operator.getitem)
def d_getitem(g, y, x, index):
    return scatter(g, x, index), None


@rule(".T")
def d_attr_T(g, y, x):
    return g.T


@rule(np.transpose)
def d_transpose(g, y, x, axes=None):
    return np.transpose(g, inverse_axes(axes))


nondiff(".shape", ".ndim", ".size", ".dtype", reason="it describes the array, not its values")
