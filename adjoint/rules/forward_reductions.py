"""Forward rules of reductions and scans that are not linear: prod, max/min, ptp, var,
std, the nan* reductions, median, cumprod and builtin sum.

Each rule is `j(da, y, a, <the reverse rule's options>)` and returns the tangent of y.
The weights the max/min, ptp and median tangents use are piecewise constant in a (ties
split evenly, as in the reverse rules), so they are declared nondiff here: forward code
differentiated again (Hessians) treats them as the constants they are almost everywhere.
"""
import builtins

import numpy as np

from ..runtime.core import even_ties
from ..runtime.reductions import median_weights, nan_count, prod_of_others
from ..runtime.tangents import cumprod_tangent
from .registry import forward_rule, nondiff

nondiff(even_ties, median_weights, nan_count,
        reason="its output is piecewise constant in its inputs (which entries tie, which "
               "is the middle one, which are nan)")


def j_max(da, y, a, axis=None, out=None, keepdims=False):
    return np.sum(da * even_ties(a, y, axis, keepdims), axis=axis, keepdims=keepdims)


for _primal in (np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin):
    forward_rule(_primal)(j_max)


@forward_rule(np.ptp)
def j_ptp(da, y, a, axis=None, out=None, keepdims=False):
    top = even_ties(a, np.max(a, axis=axis, keepdims=True), axis, True)
    bottom = even_ties(a, np.min(a, axis=axis, keepdims=True), axis, True)
    return np.sum(da * (top - bottom), axis=axis, keepdims=keepdims)


@forward_rule(np.prod)
def j_prod(da, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(da * prod_of_others(a, axis), axis=axis, keepdims=keepdims)


@forward_rule(np.var)
def j_var(da, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    # the mean's own tangent drops out: the centered values sum to zero
    n = np.size(a) / np.size(y)
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(centered * da, axis=axis, keepdims=keepdims) * (2 / (n - ddof))


@forward_rule(np.std)
def j_std(da, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    # 0 where the standard deviation is 0, as in the reverse rule
    n = np.size(a) / np.size(y)
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(centered * da, axis=axis, keepdims=keepdims) / ((n - ddof) * np.where(y == 0, 1, y))


@forward_rule(np.nansum)
def j_nansum(da, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0, da), axis=axis, keepdims=keepdims)


@forward_rule(np.nanmean)
def j_nanmean(da, y, a, axis=None, dtype=None, out=None, keepdims=False):
    total = np.sum(np.where(np.isnan(a), 0, da) / nan_count(a, axis), axis=axis, keepdims=keepdims)
    return total


@forward_rule(np.nanprod)
def j_nanprod(da, y, a, axis=None, dtype=None, out=None, keepdims=False):
    others = prod_of_others(np.where(np.isnan(a), 1, a), axis)
    return np.sum(np.where(np.isnan(a), 0, da * others), axis=axis, keepdims=keepdims)


@forward_rule(np.nanvar)
def j_nanvar(da, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0, a - np.nanmean(a, axis=axis, keepdims=True))
    return np.sum(centered * np.where(np.isnan(a), 0, da) * 2 / (nan_count(a, axis) - ddof),
                  axis=axis, keepdims=keepdims)


@forward_rule(np.nanstd)
def j_nanstd(da, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0, a - np.nanmean(a, axis=axis, keepdims=True))
    scaled = centered * np.where(np.isnan(a), 0, da) / (nan_count(a, axis) - ddof)
    return np.sum(scaled, axis=axis, keepdims=keepdims) / np.where(y == 0, 1, y)


@forward_rule(np.median)
def j_median(da, y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return np.sum(da * median_weights(a, axis), axis=axis, keepdims=keepdims)


@forward_rule(np.nancumsum)
def j_nancumsum(da, y, a, axis=None, dtype=None, out=None):
    return np.cumsum(np.where(np.isnan(a), 0, da), axis=axis)


@forward_rule(np.cumprod)
def j_cumprod(da, y, a, axis=None, dtype=None, out=None):
    return cumprod_tangent(da, a, axis)


@forward_rule(builtins.sum)
def j_builtin_sum(diterable, y, iterable, start=0):
    """start= is a constant: it adds nothing to the tangent."""
    return sum(diterable)
