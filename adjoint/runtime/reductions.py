"""Helpers for reductions whose gradient is more than g broadcast back: the product of
the other entries (np.prod, exact at zeros), reversed cumulative sums (np.cumsum,
np.cumulative_sum, np.cumprod), the entries a nan-reduction counted, np.average's and
np.median's weights, and scipy's logsumexp(b=...) scale factors.

Like every module in adjoint.helpers, these hold the control flow and shape bookkeeping
a gradient rule cannot write inline, so the rule stays one readable line of math. A
helper's name appears in the generated code, so it must not change. The arrays they
build are new and writeable, in the input's float dtype (float32 stays float32).
Used by adjoint/rules/reductions.py and adjoint/rules/special.py.
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype


def reduced_axes(x, axis):
    """The axes a reduction over `axis` covers, as nonnegative ints (all for None)."""
    ndim = np.ndim(x)
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if np.ndim(axis) == 0 else axis))


def prod_of_others(x, axis=None):
    """For each entry of x, the product of the other entries its np.prod(x, axis) multiplies:
    the product of the entries before it times the product of those after it (exact when
    x has zeros, unlike prod / x). Written with cumprod and no division, so adjoint
    differentiates through its source (rules/second_order.py): np.prod to every order."""
    x = np.asarray(x, dtype=float_dtype(x))
    if x.ndim == 0:
        return np.ones_like(x)
    axes = reduced_axes(x, axis)
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, last)
    flat = np.reshape(moved, moved.shape[:x.ndim - len(axes)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], -1), -1), -1), -1)
    return np.moveaxis(np.reshape(before * after, moved.shape), last, axes)


def reverse_cumsum(g, axis=None):
    """Sums from the end: the gradient of np.cumsum along axis (g flattened for None)."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def uncumulative_sum(g, axis=None, include_initial=False):
    """Gradient of np.cumulative_sum(x, axis, include_initial): sums of g from the end,
    without the leading 0 entry include_initial=True added."""
    axis = 0 if axis is None else axis
    sums = reverse_cumsum(g, axis)
    if not include_initial:
        return sums
    return np.array(np.take(sums, np.arange(1, np.shape(sums)[axis]), axis=axis))


def cumprod_grad(g, x, axis=None):
    """Gradient of np.cumprod(x, axis): grad[i] = sum over j >= i of g[j] * prod_{k<=j, k!=i} x[k].

    Uses reverse_cumsum(g * y) / x when x has no zeros; otherwise the exact sum.
    """
    x = np.asarray(x)
    shape = x.shape
    if axis is None:
        x, axis = np.ravel(x), 0
    x = x.astype(float_dtype(x))
    g = np.asarray(g, dtype=np.result_type(x, g))
    y = np.cumprod(x, axis)
    if np.all(x != 0):
        return np.reshape(reverse_cumsum(g * y, axis) / x, shape)
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(np.broadcast_to(g, y.shape), axis, -1)
    n = xm.shape[-1]
    out = np.zeros_like(xm)
    for i in range(n):
        others = np.cumprod(np.concatenate([xm[..., :i], np.ones_like(xm[..., i:i + 1]),
                                            xm[..., i + 1:]], -1), -1)
        out[..., i] = np.sum(gm[..., i:] * others[..., i:], -1)
    return np.reshape(np.moveaxis(out, -1, axis), shape)


def nan_count(a, axis=None):
    """How many entries of a along axis are not nan (kept dims, in a's float dtype)."""
    return np.asarray(np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True),
                      dtype=float_dtype(a))


def average_weights(a, axis=None, weights=None):
    """d np.average(a, axis, weights) / d a: weights / sum(weights), broadcast to a's shape."""
    a = np.asarray(a)
    dtype = float_dtype(a)
    if weights is None:
        return np.full(a.shape, np.size(np.sum(a, axis=axis)) / max(a.size, 1), dtype=dtype)
    w = np.asarray(weights)
    if w.shape != a.shape:  # 1-D weights along a single axis
        shape = [1] * a.ndim
        shape[int(axis) % a.ndim] = w.size
        w = np.reshape(w, shape)
    w = w / np.sum(w, axis=axis, keepdims=True)
    return np.broadcast_to(w, a.shape).astype(np.result_type(dtype, w.dtype))


def median_weights(a, axis=None):
    """d np.median(a, axis) / d a: 1 on the middle entry of each slice, or 1/2 on each of
    the two middle entries when the slice has even length (the entries np.sort puts there)."""
    a = np.asarray(a)
    axes = reduced_axes(a, axis)
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    flat = np.reshape(moved, moved.shape[:a.ndim - len(axes)] + (-1,))
    n = flat.shape[-1]
    weights = np.zeros(n, dtype=float_dtype(a))
    if n % 2:
        weights[n // 2] = 1
    else:
        weights[n // 2 - 1:n // 2 + 1] = 0.5
    out = np.zeros(flat.shape, dtype=weights.dtype)
    order = np.argsort(flat, axis=-1, kind="stable")
    np.put_along_axis(out, order, np.broadcast_to(weights, flat.shape), -1)
    return np.moveaxis(np.reshape(out, moved.shape), last, axes)


def weighted_by(w, b=None):
    """w * b, or w itself when b is None (scipy's logsumexp(a, b=...) scale factors)."""
    return w if b is None else w * b

