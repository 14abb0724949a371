"""Derivatives of the helpers that forward rules call, so that reverse mode over forward
code (Hessians, HVPs, grad of grad) goes through them: used by rules/second_order.py.

- prod_of_others (np.prod's slope): its derivative, sum over j != i of g_j times the
  product of the entries other than i and j, exact where x has zeros (counted per slice);
  it is the Hessian of the product, so symmetric: also its forward rule.
- cumprod_tangent: its gradients with respect to the tangent (cumprod's own gradient)
  and to the values (prod_of_others_vjp over each prefix).
- multi_dot_tangent: the product rule's terms, each multi_dot's gradients.
- power_slope (b a^(b-1)): its slopes in a and in b.
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype, power_slope, safe_log, unbroadcast
from .linalg import multi_dot_grads
from .reductions import cumprod_grad


def prod_of_others_vjp(g, x, axis=None):
    """sum over i != j of g_i * prod(x_k, k not in {i, j}), for each j of each slice."""
    x = np.asarray(x)
    dtype = np.result_type(float_dtype(x), g)
    if x.ndim == 0:
        return np.zeros((), dtype)
    axes = tuple(range(x.ndim)) if axis is None else tuple(
        k % x.ndim for k in ((axis,) if np.ndim(axis) == 0 else axis))
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, last)
    flat = np.reshape(moved, moved.shape[:x.ndim - len(axes)] + (-1,)).astype(dtype)
    gm = np.reshape(np.moveaxis(np.broadcast_to(g, x.shape), axes, last), flat.shape)
    zero = flat == 0
    zeros = np.sum(zero, axis=-1, keepdims=True)
    nonzero = np.where(zero, 1, flat)
    product = np.prod(nonzero, axis=-1, keepdims=True)  # of the nonzero entries
    inverse = np.where(zero, 0, 1 / nonzero)
    scaled = np.sum(gm * inverse, axis=-1, keepdims=True)  # over the nonzero entries
    at_zeros = np.sum(np.where(zero, gm, 0), axis=-1, keepdims=True)
    out = np.select([zeros == 0, zeros == 1, zeros == 2],
                    [product * inverse * (scaled - gm * inverse),
                     np.where(zero, product * scaled, product * inverse * at_zeros),
                     np.where(zero, product * (at_zeros - gm), 0)], 0)
    return np.moveaxis(np.reshape(out, moved.shape), last, axes).astype(dtype)


def cumprod_tangent_grad_a(g, da, a, axis=None):
    """The gradient of <g, cumprod_tangent(da, a, axis)> with respect to a: entry k of
    the tangent is <da[:k+1], prod_of_others(a[:k+1])>, so each prefix adds its
    prod_of_others_vjp."""
    shape = np.shape(a)
    da = np.broadcast_to(da, shape)
    if axis is None:
        g, da, a, axis = np.ravel(g), np.ravel(da), np.ravel(a), 0
    g = np.moveaxis(np.broadcast_to(g, np.shape(a)), axis, -1)
    da, a = np.moveaxis(da, axis, -1), np.moveaxis(np.asarray(a), axis, -1)
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g, da))
    for k in range(a.shape[-1]):
        out[..., :k + 1] += prod_of_others_vjp(g[..., k:k + 1] * da[..., :k + 1], a[..., :k + 1], -1)
    return np.reshape(np.moveaxis(out, -1, axis), shape)


def cumprod_tangent_grad_da(g, da, a, axis=None):
    """cumprod_tangent is cumprod's Jacobian applied to da: its transpose is cumprod's
    gradient."""
    return unbroadcast(cumprod_grad(g, a, axis), da)


def multi_dot_tangent_grads(g, darrays, arrays):
    """(gradients for darrays, gradients for arrays) of <g, sum over k of
    multi_dot(arrays with the k-th replaced by darrays[k])>."""
    arrays, darrays = list(arrays), list(darrays)
    for_tangents = multi_dot_grads(g, arrays)
    for_arrays = [np.zeros(np.shape(a), dtype=float_dtype(a)) for a in arrays]
    for k, d in enumerate(darrays):
        term = multi_dot_grads(g, arrays[:k] + [d] + arrays[k + 1:])
        for m in range(len(arrays)):
            if m != k:
                for_arrays[m] = for_arrays[m] + term[m]
    return for_tangents, for_arrays


def power_slope_slopes(a, b):
    """(d/da, d/db) of power_slope(a, b) = b a^(b-1): b (b-1) a^(b-2) and
    a^(b-1) (1 + b log a) (the limit 1/a at b = 0; log a taken as 0 where a <= 0, as
    pow's own gradient in b)."""
    b_arr = np.asarray(b)
    with np.errstate(divide="ignore", invalid="ignore"):  # inf at a = 0 for b < 1, as power_slope
        lower = np.power(np.asarray(a, dtype=float_dtype(a)), b_arr - 1)
    return b_arr * power_slope(a, b_arr - 1), lower + power_slope(a, b_arr) * safe_log(a)


def copysign_slope(a, b):
    """d copysign(a, b) / da: +1 or -1, piecewise constant (its own derivative is 0)."""
    return np.copysign(1.0, a) * np.copysign(1.0, b)


def polyder_grad(g, p, m=1):
    """Gradient of np.polyder(p, m) (linear in p): coefficient k is scaled by
    (n-1-k) (n-2-k) ... (the derivative of ones' coefficients), the last m get none."""
    n = np.shape(p)[0]
    if n <= m:  # polyder gives [0.]
        return np.zeros(np.shape(p), dtype=np.result_type(float_dtype(p), g))
    factor = np.polyder(np.ones(n), m)
    return np.concatenate([g * factor, np.zeros(m)]).astype(np.result_type(float_dtype(p), g))
