"""Forward rules of numpy.linalg and the norms: written out, one tangent per input.

Conventions follow the reverse rules: eigh, eigvalsh and cholesky see the one triangle
of the input's tangent they read, mirrored (triangle_tangent); det, inv,
slogdet and solve need an invertible matrix. The norms take the inner product of their
slope (the gradient of the norm of each slice: runtime/norm_slopes.py, whose own rules
give second order) with the tangent over the reduced axes. matrix_power's tangent is
the top-right block of [[a, da], [0, a]] ** n, so its own derivatives are matrix_power's.
"""
import numpy as np

from ..runtime.tangents import multi_dot_tangent
from ..runtime.linalg import (as_columns, as_lower, inverse_gaps, lower_halved, reads_upper,
                              triangle_tangent)
from ..runtime.norm_slopes import matrix_norm_slope, norm_slope, vector_norm_slope
from .registry import forward_rule


@forward_rule(np.linalg.inv)
def j_inv(da, y, a):
    return -(y @ da @ y)


@forward_rule(np.linalg.det)
def j_det(da, y, a):
    # d det a = det a * trace(a^-1 da)
    return y * np.sum(np.swapaxes(np.linalg.inv(a), -1, -2) * da, axis=(-2, -1))


@forward_rule(np.linalg.slogdet)
def j_slogdet(da, y, a):
    # (sign, log|det a|): the sign does not change; d log|det a| = trace(a^-1 da)
    return (0.0 * y[0], np.sum(np.swapaxes(np.linalg.inv(a), -1, -2) * da, axis=(-2, -1)))


@forward_rule(np.linalg.solve)
def j_solve(da, db, y, a, b):
    # y = a^-1 b:  dy = a^-1 (db - da y)  (a vector b taken as a column)
    return (-np.reshape(np.linalg.solve(a, da @ as_columns(y, b)), np.shape(y)),
            np.linalg.solve(a, db))


@forward_rule(np.linalg.cholesky)
def j_cholesky(da, y, a, upper=False):
    # Murray (arXiv:1602.07527): dL = L Phi(L^-1 dA L^-T), L the lower factor
    low = as_lower(y, upper)
    half = np.linalg.solve(low, triangle_tangent(da, upper))
    inner = np.swapaxes(np.linalg.solve(low, np.swapaxes(half, -1, -2)), -1, -2)
    return as_lower(low @ lower_halved(inner), upper)


@forward_rule(np.linalg.eigh)
def j_eigh(da, y, a, UPLO="L"):
    # (w, v) = y:  dw = diag(v^T dA v),  dv = v (F * (v^T dA v)),  F = 1 / (w_j - w_i)
    projected = np.swapaxes(y[1], -1, -2) @ triangle_tangent(da, reads_upper(UPLO)) @ y[1]
    return (np.diagonal(projected, 0, -2, -1), y[1] @ (inverse_gaps(y[0]) * projected))


@forward_rule(np.linalg.eigvalsh)
def j_eigvalsh(da, y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    projected = np.swapaxes(v, -1, -2) @ triangle_tangent(da, reads_upper(UPLO)) @ v
    return np.diagonal(projected, 0, -2, -1)


@forward_rule(np.linalg.pinv)
def j_pinv(da, y, a, rcond=None, hermitian=False, rtol=None):
    # Golub & Pereyra: dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X, X = pinv(a)
    xt = np.swapaxes(y, -1, -2)
    dat = np.swapaxes(da, -1, -2)
    left = y @ xt @ dat
    right = dat @ xt @ y
    return -(y @ da @ y) + left - left @ a @ y + right - y @ a @ right


@forward_rule(np.linalg.matrix_power)
def j_matrix_power(da, dn, y, a, n):
    # [[a, da], [0, a]] ** n = [[a^n, T], [0, a^n]], T the tangent (n < 0 as well): written
    # with matrix_power itself, so second and higher orders use its rules
    m = np.shape(a)[-1]
    top = np.concatenate([a, da + 0 * a], axis=-1)
    bottom = np.concatenate([0 * a, a], axis=-1)
    return np.linalg.matrix_power(np.concatenate([top, bottom], axis=-2), n)[..., :m, m:], None


@forward_rule(np.linalg.multi_dot)
def j_multi_dot(darrays, y, arrays):
    return multi_dot_tangent(darrays, arrays)


@forward_rule(np.linalg.norm)
def j_norm(dx, y, x, ord=None, axis=None, keepdims=False):
    slope = norm_slope(x, ord, axis, keepdims)
    return np.sum(slope * dx, axis=axis, keepdims=keepdims)


if hasattr(np.linalg, "vector_norm"):
    @forward_rule(np.linalg.vector_norm)
    def j_vector_norm(dx, y, x, axis=None, keepdims=False, ord=2):
        slope = vector_norm_slope(x, axis, keepdims, ord)
        return np.sum(slope * dx, axis=axis, keepdims=keepdims)

    @forward_rule(np.linalg.matrix_norm)
    def j_matrix_norm(dx, y, x, keepdims=False, ord="fro"):
        slope = matrix_norm_slope(x, keepdims, ord)
        return np.sum(slope * dx, axis=(-2, -1), keepdims=keepdims)

    @forward_rule(np.linalg.svdvals)
    def j_svdvals(dx, y, x):
        # ds_i = u_i^T dx v_i
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        return np.diagonal(np.swapaxes(u, -1, -2) @ dx @ np.swapaxes(vt, -1, -2), 0, -2, -1)
