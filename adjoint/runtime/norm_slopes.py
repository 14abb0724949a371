"""The slopes of the norms (the gradient of each norm of x, with respect to x) and their
own derivatives, for second order through np.linalg.norm, vector_norm and matrix_norm.

The norms' forward rules (rules/forward_linalg.py) take the inner product of the slope
with the tangent. Reverse mode over that forward code (Hessians) needs the slope's
derivative: `*_slope_vjp(g, x, ...)` is the product of the norm's Hessian with g. A
Hessian is symmetric, so the same product is the slope's forward rule. Those products
are written with operations that have rules of every order, and adjoint differentiates
through their source (rules/second_order.py), so third and higher derivatives of the
p-norms and the Frobenius norm work. The singular-value norms ('nuc', 2, -2 of a
matrix) go through np.linalg.svd, whose derivatives adjoint has to second order only:
their next order is refused when it runs (singular_norm_hvp's rules).

Conventions follow runtime/linalg.py's norm gradients: at a zero vector or matrix the
2- and Frobenius norms get slope 0; the 1, inf and -inf norms (and the matrix 1, -1,
inf, -inf norms) have piecewise constant slopes, whose derivative is 0 where it exists;
'nuc', 2 and -2 matrix norms differentiate the singular vectors (distinct singular values).
"""
from __future__ import annotations

import numpy as np

from ..errors import MissingRule
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
    power, axes, singular = norm_kind(np.ndim(x), ord, axis)
    if singular:
        return singular_norm_hvp(g, x, ord, axes)
    return power_norm_hvp(g, x, power, axes)


def vector_norm_slope_vjp(g, x, axis=None, keepdims=False, ord=2):
    return power_norm_hvp(g, x, None if ord in VECTOR_PIECEWISE else ord, axis)


def matrix_norm_slope_vjp(g, x, keepdims=False, ord="fro"):
    power, axes, singular = norm_kind(np.ndim(x), ord, (np.ndim(x) - 2, np.ndim(x) - 1))
    if singular:
        return singular_norm_hvp(g, x, ord, axes)
    return power_norm_hvp(g, x, power, axes)


def norm_kind(ndim, ord, axis):
    """(p, the axes reduced, singular) for np.linalg.norm(x, ord, axis) of an x with ndim
    axes: a p-norm of the entries over the axes (2 for the Frobenius norm), p None for a
    piecewise linear norm; singular True for the 'nuc', 2 and -2 matrix norms."""
    if axis is None and (ord is None or ndim == 1):
        return (2 if ord is None else None if ord in VECTOR_PIECEWISE else ord), None, False
    if axis is None or np.ndim(axis) == 1 and len(axis) == 2:
        axes = (0, 1) if axis is None else tuple(a % ndim for a in axis)
        if ord is None or ord == "fro":
            return 2, axes, False
        return None, axes, ord not in MATRIX_PIECEWISE
    axis = axis if np.ndim(axis) == 0 else axis[0]
    return (2 if ord is None else None if ord in VECTOR_PIECEWISE else ord), axis, False


def power_norm_hvp(g, x, p, axes):
    """The Hessian of the p-norm of x's entries over `axes` (None: all), times g: for
    s = sign(x) |x|^(p-1) / y^(p-1) (p = 2: x / y) it is
    (p - 1) (diag(|x|^(p-2)) / y^(p-1) - s s^T / y), symmetric. p None: a piecewise
    linear norm, whose slope is piecewise constant (derivative 0)."""
    g = np.broadcast_to(np.asarray(g, dtype=np.result_type(g, float_dtype(x))), np.shape(x))
    if p is None:
        return np.zeros_like(g)
    y = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1 / p)
    y = np.where(y == 0, 1, y)
    ratio = np.abs(x) / y
    slope = np.sign(x) * ratio ** (p - 1)
    along = np.sum(slope * g, axis=axes, keepdims=True)
    if p == 2:  # (ratio ** 0 would differentiate to 0 * inf at zero entries)
        return (g - slope * along) / y
    return (p - 1) * (g * ratio ** (p - 2) - slope * along) / y


def singular_norm_hvp(g, x, ord, axes):
    """The Hessian of the 'nuc', 2 or -2 norm of x over the two axes, times g, through the
    SVD (distinct singular values)."""
    g = np.broadcast_to(np.asarray(g, dtype=np.result_type(g, float_dtype(x))), np.shape(x))
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


def deeper_than_svd(ord):
    """What singular_norm_hvp's rules run: a derivative of one more order than
    np.linalg.svd's own, refused when it runs (the p-norms' branch shares the code)."""
    raise MissingRule(f"third and higher derivatives of the {ord!r} matrix norm (np.linalg.norm or "
                      "np.linalg.matrix_norm) are not supported: it is a function of the singular "
                      "values, and adjoint differentiates np.linalg.svd to second order only. "
                      "fix: take this derivative one order lower with adjoint (for example finite "
                      "differences of a Hessian), or use the Frobenius norm")
