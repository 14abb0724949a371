"""Rules for reductions and scans: sum, mean, prod, max/min, var/std, cumsum, ... with
axis and keepdims.

`expand_to` broadcasts the reduced gradient back over the reduced axes.

Conventions:
- max, min, amax, amin, nanmax, nanmin and ptp split the gradient evenly between tied
  extremes (JAX's convention); median gives 1 to the middle entry, or 1/2 to each of the
  two middle entries, of each slice.
- prod and cumprod are exact where the input has zeros (the product of the other
  entries, not prod / x).
- std has gradient 0 where the standard deviation is 0 (a subgradient; JAX gives nan).
- The nan* reductions give nan entries gradient 0.
- average: the gradient to `weights` is not computed (weights is an option).
"""
import numpy as np

from ..runtime.reductions import (average_weights, cumprod_grad, median_weights, nan_count,
                                  prod_of_others, reverse_cumsum, uncumulative_sum)
from .registry import rule
from ..runtime.core import even_ties, expand_to, size_ratio


@rule(np.sum, elementwise=False)
def d_sum(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims)


@rule(np.mean, elementwise=False)
def d_mean(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g * size_ratio(y, a), a, axis, keepdims)  # scale the small array


@rule(np.prod, elementwise=False)
def d_prod(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * prod_of_others(a, axis)


@rule(np.max, elementwise=False)
def d_max(g, y, a, axis=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * even_ties(a, y, axis, keepdims)


@rule(np.min, elementwise=False)
def d_min(g, y, a, axis=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * even_ties(a, y, axis, keepdims)


@rule(np.amax, elementwise=False)
def d_amax(g, y, a, axis=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * even_ties(a, y, axis, keepdims)


@rule(np.amin, elementwise=False)
def d_amin(g, y, a, axis=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * even_ties(a, y, axis, keepdims)


@rule(np.nanmax, elementwise=False)
def d_nanmax(g, y, a, axis=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * even_ties(a, y, axis, keepdims)


@rule(np.nanmin, elementwise=False)
def d_nanmin(g, y, a, axis=None, out=None, keepdims=False):
    return expand_to(g, a, axis, keepdims) * even_ties(a, y, axis, keepdims)


@rule(np.ptp, elementwise=False)
def d_ptp(g, y, a, axis=None, out=None, keepdims=False):
    top = even_ties(a, np.max(a, axis=axis, keepdims=True), axis, True)
    bottom = even_ties(a, np.min(a, axis=axis, keepdims=True), axis, True)
    return expand_to(g, a, axis, keepdims) * (top - bottom)


@rule(np.var, elementwise=False)
def d_var(g, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    n = size_ratio(a, y)
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return expand_to(g, a, axis, keepdims) * (2 / (n - ddof)) * centered


@rule(np.std, elementwise=False)
def d_std(g, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    n = size_ratio(a, y)
    scale = expand_to(g / np.where(y == 0, 1, y), a, axis, keepdims) / (n - ddof)
    return scale * (a - np.mean(a, axis=axis, keepdims=True))


@rule(np.nansum, elementwise=False)
def d_nansum(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0, expand_to(g, a, axis, keepdims))


@rule(np.nanmean, elementwise=False)
def d_nanmean(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0, expand_to(g, a, axis, keepdims) / nan_count(a, axis))


@rule(np.nanprod, elementwise=False)
def d_nanprod(g, y, a, axis=None, dtype=None, out=None, keepdims=False):
    others = prod_of_others(np.where(np.isnan(a), 1, a), axis)
    return np.where(np.isnan(a), 0, expand_to(g, a, axis, keepdims) * others)


@rule(np.nanvar, elementwise=False)
def d_nanvar(g, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.nanmean(a, axis=axis, keepdims=True)
    scale = expand_to(g, a, axis, keepdims) * 2 / (nan_count(a, axis) - ddof)
    return np.where(np.isnan(a), 0, scale * centered)


@rule(np.nanstd, elementwise=False)
def d_nanstd(g, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.nanmean(a, axis=axis, keepdims=True)
    scale = expand_to(g / np.where(y == 0, 1, y), a, axis, keepdims) / (nan_count(a, axis) - ddof)
    return np.where(np.isnan(a), 0, scale * centered)


@rule(np.median, elementwise=False)
def d_median(g, y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return expand_to(g, a, axis, keepdims) * median_weights(a, axis)


@rule(np.average, elementwise=False)
def d_average(g, y, a, axis=None, weights=None, returned=False, keepdims=False):
    """Gradient for a only (weights is an option); not returned=True."""
    return expand_to(g, a, axis, keepdims) * average_weights(a, axis, weights)


@rule(np.cumsum, elementwise=False)
def d_cumsum(g, y, a, axis=None, dtype=None, out=None):
    return np.reshape(reverse_cumsum(g, axis), np.shape(a))


@rule(np.nancumsum, elementwise=False)
def d_nancumsum(g, y, a, axis=None, dtype=None, out=None):
    return np.where(np.isnan(a), 0, np.reshape(reverse_cumsum(g, axis), np.shape(a)))


@rule(np.cumprod, elementwise=False)
def d_cumprod(g, y, a, axis=None, dtype=None, out=None):
    return cumprod_grad(g, a, axis)


if hasattr(np, "cumulative_sum"):  # numpy >= 2.1
    @rule(np.cumulative_sum, elementwise=False)
    def d_cumulative_sum(g, y, x, axis=None, dtype=None, out=None, include_initial=False):
        return uncumulative_sum(g, axis, include_initial)
