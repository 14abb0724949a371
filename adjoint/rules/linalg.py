"""Rules for products, diagonals and numpy.linalg.

Matrices may be stacked (batched) wherever numpy allows it; `np.swapaxes(m, -1, -2)` is
the (batched) transpose.

Conventions and limits:
- eigh, eigvalsh and cholesky read one triangle of their input (the lower one, or the
  upper for UPLO="U" and upper=True); their gradients are with respect to the function
  numpy computes: that triangle gets the symmetric gradient with each off-diagonal entry
  doubled, the other triangle 0 (autograd's convention; finite differences agree). For a
  matrix built symmetric (a + a.T) this is the same as the symmetric gradient. eigh's
  eigenvector gradient is undefined at repeated eigenvalues; the rule drops those
  pairs' terms (0) rather than dividing by 0.
- det, inv, slogdet and solve need an invertible matrix; pinv a matrix of constant rank.
- norm: vector and matrix norms for ord None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf and
  vector p-norms; a zero vector (or matrix) gets gradient 0 for the 2/'fro' norms; ties
  in max-type norms split evenly.
- cross: 2- and 3-vectors.
"""
import numpy as np

from ..runtime.einsum import einsum_grads
from ..runtime.linalg import (as_columns, as_lower, cross_left, cross_right, diag_grad, dot_left,
                              dot_right, inner_left, inner_right, inverse_gaps,
                              kron_left, kron_right, lower_halved, matrix_norm_grad,
                              matrix_power_grad, multi_dot_grads, norm_grad, place_diagonal,
                              read_triangle, reads_upper, tensordot_left, tensordot_right,
                              vector_norm_grad)
from .registry import rule
from ..runtime.core import matmul_left, matmul_right, unbroadcast


# products ------------------------------------------------------------------------------
@rule(np.matmul, elementwise=False)
def d_matmul(g, y, a, b):
    return matmul_left(g, a, b), matmul_right(g, a, b)


@rule(np.dot, elementwise=False)
def d_dot(g, y, a, b, out=None):
    return dot_left(g, a, b), dot_right(g, a, b)


@rule(np.vdot, elementwise=False)
def d_vdot(g, y, a, b):
    """Real inputs (no conjugation)."""
    return np.reshape(g * np.ravel(b), np.shape(a)), np.reshape(g * np.ravel(a), np.shape(b))


@rule(np.inner, elementwise=False)
def d_inner(g, y, a, b):
    return inner_left(g, a, b), inner_right(g, a, b)


@rule(np.outer, elementwise=False)
def d_outer(g, y, a, b, out=None):
    return np.reshape(g @ np.ravel(b), np.shape(a)), np.reshape(np.ravel(a) @ g, np.shape(b))


@rule(np.tensordot, elementwise=False)
def d_tensordot(g, y, a, b, axes=2):
    return tensordot_left(g, a, b, axes), tensordot_right(g, a, b, axes)


@rule(np.einsum, elementwise=False, variadic=True)
def d_einsum(g, y, operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """Every form: subscripts with or without '...' and '->', any number of operands, and
    the sublist form np.einsum(a, [0, 1], b, [1, 2], [0, 2])."""
    return einsum_grads(g, operands)


@rule(np.kron, elementwise=False)
def d_kron(g, y, a, b):
    return kron_left(g, a, b), kron_right(g, a, b)


@rule(np.cross, elementwise=False)
def d_cross(g, y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return (cross_left(g, a, b, axisa, axisb, axisc, axis),
            cross_right(g, a, b, axisa, axisb, axisc, axis))


# diagonals and triangles ---------------------------------------------------------------
@rule(np.trace, elementwise=False)
def d_trace(g, y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return place_diagonal(np.expand_dims(g, -1), a, offset, axis1, axis2)


@rule(np.diagonal, elementwise=False)
def d_diagonal(g, y, a, offset=0, axis1=0, axis2=1):
    return place_diagonal(g, a, offset, axis1, axis2)


@rule(np.diag, elementwise=False)
def d_diag(g, y, v, k=0):
    return diag_grad(g, v, k)


@rule(np.diagflat, elementwise=False)
def d_diagflat(g, y, v, k=0):
    return np.reshape(np.diagonal(g, k), np.shape(v))


@rule(np.tril, elementwise=False)
def d_tril(g, y, m, k=0):
    return np.tril(g, k)


@rule(np.triu, elementwise=False)
def d_triu(g, y, m, k=0):
    return np.triu(g, k)


# numpy.linalg --------------------------------------------------------------------------
@rule(np.linalg.norm, elementwise=False)
def d_norm(g, y, x, ord=None, axis=None, keepdims=False):
    return norm_grad(g, y, x, ord, axis, keepdims)


@rule(np.linalg.inv, elementwise=False)
def d_inv(g, y, a):
    yt = np.swapaxes(y, -1, -2)
    return -(yt @ g @ yt)


@rule(np.linalg.det, elementwise=False)
def d_det(g, y, a):
    return np.expand_dims(g * y, (-1, -2)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@rule(np.linalg.slogdet, elementwise=False)
def d_slogdet(g, y, a):
    # (sign, logabsdet): only logabsdet has a gradient; d log|det a| = inv(a)^T
    return np.expand_dims(g[1], (-1, -2)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@rule(np.linalg.solve, elementwise=False)
def d_solve(g, y, a, b):
    # y = a^-1 b:  grad_b = a^-T g,  grad_a = -grad_b y^T  (a vector b taken as a column)
    solved = np.linalg.solve(np.swapaxes(a, -1, -2), as_columns(g, b))
    return (unbroadcast(-(solved @ np.swapaxes(as_columns(y, b), -1, -2)), a),
            unbroadcast(np.reshape(solved, np.shape(y)), b))


@rule(np.linalg.cholesky, elementwise=False)
def d_cholesky(g, y, a, upper=False):
    # Murray (arXiv:1602.07527): grad = sym(L^-T Phi(L^T grad_L) L^-1), L = the lower factor
    lt = np.swapaxes(as_lower(y, upper), -1, -2)
    phi = lower_halved(lt @ as_lower(g, upper))
    s = np.linalg.solve(lt, np.swapaxes(np.linalg.solve(lt, np.swapaxes(phi, -1, -2)), -1, -2))
    return read_triangle(s, upper)


@rule(np.linalg.eigh, elementwise=False)
def d_eigh(g, y, a, UPLO="L"):
    # (w, v) = y, (grad_w, grad_v) = g:
    #   grad = sym(v (diag(grad_w) + F * (v^T grad_v)) v^T),  F = 1 / (w_j - w_i)
    # written as one expression so y[0], y[1], g[0], g[1] paste as w, v, grad_w, grad_v
    return read_triangle((y[1] * np.expand_dims(g[0], -2)
                          + y[1] @ (inverse_gaps(y[0]) * (np.swapaxes(y[1], -1, -2) @ g[1])))
                         @ np.swapaxes(y[1], -1, -2), reads_upper(UPLO))


@rule(np.linalg.eigvalsh, elementwise=False)
def d_eigvalsh(g, y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    return read_triangle((v * np.expand_dims(g, -2)) @ np.swapaxes(v, -1, -2), reads_upper(UPLO))


@rule(np.linalg.pinv, elementwise=False)
def d_pinv(g, y, a, rcond=None, hermitian=False, rtol=None):
    # Golub & Pereyra: -X^T g X^T + (I - a X)^T-side and (I - X a)-side terms, X = pinv(a)
    xt = np.swapaxes(y, -1, -2)
    gt = np.swapaxes(g, -1, -2)
    gxx = gt @ y @ xt
    xxg = xt @ y @ gt
    return -(xt @ g @ xt) + gxx - a @ (y @ gxx) + xxg - xxg @ y @ a


@rule(np.linalg.matrix_power, elementwise=False)
def d_matrix_power(g, y, a, n):
    return matrix_power_grad(g, a, n), None


@rule(np.linalg.multi_dot, elementwise=False)
def d_multi_dot(g, y, arrays):
    return multi_dot_grads(g, arrays)


# numpy 2's array-API functions: distinct objects, with their own conventions -----------
if hasattr(np.linalg, "vector_norm"):
    @rule(np.linalg.matmul, elementwise=False)
    def d_linalg_matmul(g, y, x1, x2):
        return matmul_left(g, x1, x2), matmul_right(g, x1, x2)

    @rule(np.linalg.tensordot, elementwise=False)
    def d_linalg_tensordot(g, y, x1, x2, axes=2):
        return tensordot_left(g, x1, x2, axes), tensordot_right(g, x1, x2, axes)

    @rule(np.linalg.outer, elementwise=False)
    def d_linalg_outer(g, y, x1, x2):
        return g @ x2, x1 @ g

    @rule(np.linalg.cross, elementwise=False)
    def d_linalg_cross(g, y, x1, x2, axis=-1):
        return cross_left(g, x1, x2, axis=axis), cross_right(g, x1, x2, axis=axis)

    @rule(np.linalg.trace, elementwise=False)
    def d_linalg_trace(g, y, x, offset=0, dtype=None):
        return place_diagonal(np.expand_dims(g, -1), x, offset, -2, -1)

    @rule(np.linalg.diagonal, elementwise=False)
    def d_linalg_diagonal(g, y, x, offset=0):
        return place_diagonal(g, x, offset, -2, -1)

    @rule(np.linalg.vector_norm, elementwise=False)
    def d_vector_norm(g, y, x, axis=None, keepdims=False, ord=2):
        return vector_norm_grad(g, y, x, axis, keepdims, ord)

    @rule(np.linalg.matrix_norm, elementwise=False)
    def d_matrix_norm(g, y, x, keepdims=False, ord="fro"):
        return matrix_norm_grad(g, y, x, keepdims, ord)

    @rule(np.linalg.svdvals, elementwise=False)
    def d_svdvals(g, y, x):
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        return (u * np.expand_dims(g, -2)) @ vt

    @rule(np.linalg.matrix_transpose, elementwise=False)
    def d_linalg_matrix_transpose(g, y, x):
        return np.swapaxes(g, -1, -2)

    @rule(np.linalg.vecdot, elementwise=False)
    def d_linalg_vecdot(g, y, x1, x2, axis=-1):
        return (unbroadcast(np.expand_dims(g, axis) * x2, x1),
                unbroadcast(np.expand_dims(g, axis) * x1, x2))

    @rule(np.matrix_transpose, elementwise=False)
    def d_matrix_transpose(g, y, x):
        return np.swapaxes(g, -1, -2)

    @rule(np.vecdot, elementwise=False)
    def d_vecdot(g, y, x1, x2, axis=-1):
        """The axis= form (not axes=)."""
        return (unbroadcast(np.expand_dims(g, axis) * x2, x1),
                unbroadcast(np.expand_dims(g, axis) * x1, x2))
