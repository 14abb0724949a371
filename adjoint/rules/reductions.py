"""Rules for reductions: np.sum, np.mean, np.max, np.min with axis and keepdims.

`expand_to` broadcasts the reduced gradient back over the reduced axes. max and min
split the gradient evenly between tied maxima (JAX's convention).
"""
import numpy as np

from ..registry import rule
from ..runtime import expand_to, tie_share


@rule(np.sum)
def d_sum(g, y, x, axis=None, keepdims=False):
    return expand_to(g, x, axis, keepdims)


@rule(np.mean)
def d_mean(g, y, x, axis=None, keepdims=False):
    return expand_to(g, x, axis, keepdims) * (np.size(y) / np.size(x))


@rule(np.max)
def d_max(g, y, x, axis=None, keepdims=False):
    return expand_to(g, x, axis, keepdims) * tie_share(x, y, axis, keepdims)


@rule(np.min)
def d_min(g, y, x, axis=None, keepdims=False):
    return expand_to(g, x, axis, keepdims) * tie_share(x, y, axis, keepdims)
