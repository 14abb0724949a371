"""Helpers for scipy.linalg's solvers (solve_triangular, solve_sylvester, solve_banded),
sqrtm, and scipy.signal.convolve.

Each solver's adjoint is a solve with the transposed system: for x = A^-1 b,
grad_b = A^-T g and grad_A = -grad_b x^T, kept to the entries the solver reads (a
triangle, a band). sqrtm's X solves X X = A, so its adjoint solves the Sylvester
equation X^T G + G X^T = g. convolve's adjoint in each input is a correlation of g (put
back in the 'full' output) with the other input. The arrays are new, in the input's
float dtype. Used by adjoint/rules/scipy_linalg.py.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as linalg
import scipy.signal as signal

from .core import cast_like


def _columns(v, b):
    return v[:, None] if np.ndim(b) == 1 else v


def _trans_code(trans):
    return {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}[trans]  # real matrices: C is T


def solve_triangular_grads(g, x, a, b, trans=0, lower=False, unit_diagonal=False):
    """Gradients (a, b) of scipy.linalg.solve_triangular(a, b, trans, lower, unit_diagonal)."""
    t = _trans_code(trans)
    gb = linalg.solve_triangular(a, g, trans=1 - t, lower=lower, unit_diagonal=unit_diagonal)
    outer = _columns(gb, b) @ _columns(x, b).T
    ga = -(outer if t == 0 else outer.T)
    ga = np.tril(ga) if lower else np.triu(ga)
    if unit_diagonal:  # the diagonal is taken as 1, never read
        ga = ga - np.diag(np.diagonal(ga))
    return cast_like(ga, a), cast_like(gb, b)


def sqrtm_grad(g, x, a):
    """Gradient of scipy.linalg.sqrtm(a) = x: G with x^T G + G x^T = g."""
    xt = np.swapaxes(x, -1, -2)
    return cast_like(np.real_if_close(linalg.solve_sylvester(xt, xt, g)), a)


def sylvester_grads(g, x, a, b, q):
    """Gradients (a, b, q) of scipy.linalg.solve_sylvester(a, b, q) = x, a x + x b = q."""
    adjoint = linalg.solve_sylvester(np.transpose(a), np.transpose(b), g)
    return (cast_like(-adjoint @ np.transpose(x), a), cast_like(-np.transpose(x) @ adjoint, b),
            cast_like(adjoint, q))


def _dense_from_band(l_and_u, ab):
    lower, upper = l_and_u
    n = np.shape(ab)[1]
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    inside = (cols - rows <= upper) & (rows - cols <= lower)
    dense = np.zeros((n, n), dtype=np.result_type(ab, np.float32))
    dense[inside] = np.asarray(ab)[(upper + rows - cols)[inside], cols[inside]]
    return dense, rows, cols, inside


def solve_banded_grads(g, x, l_and_u, ab, b):
    """Gradients (ab, b) of scipy.linalg.solve_banded(l_and_u, ab, b) = x; ab's entries
    outside the band are never read and get 0."""
    dense, rows, cols, inside = _dense_from_band(l_and_u, ab)
    gb = np.linalg.solve(dense.T, g)
    g_dense = -_columns(gb, b) @ _columns(x, b).T
    gab = np.zeros(np.shape(ab), dtype=np.result_type(g_dense, np.float32))
    gab[(l_and_u[1] + rows - cols)[inside], cols[inside]] = g_dense[inside]
    return cast_like(gab, ab), cast_like(gb, b)


def convolve_grads(g, in1, in2, mode="full"):
    """Gradients (in1, in2) of scipy.signal.convolve(in1, in2, mode) (N-d, real)."""
    full_shape = [n1 + n2 - 1 for n1, n2 in zip(np.shape(in1), np.shape(in2))]
    full = np.zeros(full_shape, dtype=np.result_type(g, np.float32))
    start = [(f - n) // 2 for f, n in zip(full_shape, np.shape(g))]
    full[tuple(slice(s, s + n) for s, n in zip(start, np.shape(g)))] = g
    return (cast_like(signal.correlate(full, in2, mode="valid", method="direct"), in1),
            cast_like(signal.correlate(full, in1, mode="valid", method="direct"), in2))
