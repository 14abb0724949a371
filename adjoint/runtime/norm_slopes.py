"""The slopes of the norms (the gradient of each norm of x, with respect to x) and their
own derivatives, for second order through np.linalg.norm, vector_norm and matrix_norm.

The norms' forward rules (rules/forward_linalg.py) take the inner product of the slope
with the tangent. Reverse mode over that forward code (Hessians) needs the slope's
derivative: `*_slope_vjp(g, x, ...)` is the product of the norm's Hessian with g. A
Hessian is symmetric, so the same product is the slope's forward rule (third order).

Conventions follow runtime/linalg.py's norm gradients: at a zero vector or matrix the
2- and Frobenius norms get slope 0; the 1, inf and -inf norms (and the matrix 1, -1,
inf, -inf norms) have piecewise constant slopes, whose derivative is 0 where it exists;
'nuc', 2 and -2 matrix norms differentiate the singular vectors (distinct singular values).
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype
from .decompositions import svd_grad
from .linalg import matrix_norm_grad, norm_grad, vector_norm_grad

VECTOR_PIECEWISE = (0, 1, np.inf, -np.inf)
MATRIX_PIECEWISE = (1, -1, np.inf, -np.inf)


def norm_slope(x, ord=None, axis=None, keepdims=False):
    """d np.linalg.norm(x, ord, axis, keepdims) / dx, entry by entry (x's shape)."""
    y = np.linalg.norm(x, ord, axis, keepdims)
    return norm_grad(np.ones_like(y), y, x, ord, axis, keepdims)


def vector_norm_slope(x, axis=None, keepdims=False, ord=2):
    y = np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    return vector_norm_grad(np.ones_like(y), y, x, axis, keepdims, ord)


def matrix_norm_slope(x, keepdims=False, ord="fro"):
    y = np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return matrix_norm_grad(np.ones_like(y), y, x, keepdims, ord)


def norm_slope_vjp(g, x, ord=None, axis=None, keepdims=False):
    """The Hessian of np.linalg.norm(x, ord, axis, keepdims) (each norm's own) times g."""
    x = np.asarray(x)
    if axis is None:
        if ord is None or x.ndim == 1:
            return _vector_vjp(g, x, ord, None)
        return _matrix_vjp(g, x, ord, (0, 1))
    if np.ndim(axis) == 0 or len(axis) == 1:
        return _vector_vjp(g, x, ord, axis if np.ndim(axis) == 0 else axis[0])
    return _matrix_vjp(g, x, ord, tuple(a % x.ndim for a in axis))


def vector_norm_slope_vjp(g, x, axis=None, keepdims=False, ord=2):
    return _vector_vjp(g, np.asarray(x), ord, axis)


def matrix_norm_slope_vjp(g, x, keepdims=False, ord="fro"):
    x = np.asarray(x)
    return _matrix_vjp(g, x, ord, (x.ndim - 2, x.ndim - 1))


def _vector_vjp(g, x, ord, axis):
    """For s = sign(x) |x|^(p-1) / y^(p-1) (p = 2: x / y): the Hessian is
    (p - 1) (diag(|x|^(p-2)) / y^(p-1) - s s^T / y), symmetric."""
    g = np.broadcast_to(np.asarray(g, dtype=np.result_type(g, float_dtype(x))), x.shape)
    if ord in VECTOR_PIECEWISE:
        return np.zeros(x.shape, dtype=g.dtype)
    p = 2 if ord is None else ord
    y = np.sum(np.abs(x) ** p, axis=axis, keepdims=True) ** (1 / p)  # (axis: an int, a tuple or None)
    y = np.where(y == 0, 1, y)
    ratio = np.abs(x) / y
    slope = np.sign(x) * ratio ** (p - 1)
    along = np.sum(slope * g, axis=axis, keepdims=True)
    diagonal = g if p == 2 else g * ratio ** (p - 2)
    return ((p - 1) * (diagonal - slope * along) / y).astype(g.dtype)


def _matrix_vjp(g, x, ord, axes):
    g = np.broadcast_to(np.asarray(g, dtype=np.result_type(g, float_dtype(x))), x.shape)
    if ord is None or ord == "fro":  # the 2-norm of the entries over both axes
        return _vector_vjp(g, x, 2, axes)
    if ord in MATRIX_PIECEWISE:
        return np.zeros(x.shape, dtype=g.dtype)
    m, gm = np.moveaxis(x, axes, (-2, -1)), np.moveaxis(g, axes, (-2, -1))
    u, s, vh = np.linalg.svd(m, full_matrices=False)
    if ord == "nuc":  # slope u @ vh
        gu, gvh = gm @ np.swapaxes(vh, -1, -2), np.swapaxes(u, -1, -2) @ gm
    else:  # 2 or -2: slope u_k vh_k^T for the largest (smallest) singular value
        k = 0 if ord == 2 else s.shape[-1] - 1
        gu, gvh = np.zeros_like(u), np.zeros_like(vh)
        gu[..., :, k] = (gm @ vh[..., k, :, None])[..., 0]
        gvh[..., k, :] = (u[..., :, k, None] * gm).sum(-2)
    grad = svd_grad((gu, np.zeros_like(s), gvh), (u, s, vh), m, full_matrices=False)
    return np.moveaxis(grad, (-2, -1), axes).astype(g.dtype)

