"""Helpers for np.linalg.svd, eig and eigvals on real matrices (stacks allowed).

svd: Townsend, "Differentiating the singular value decomposition" (2016), for the
reduced factors; with full_matrices=True on a non-square matrix the extra singular
vectors are not unique, so their gradient must be zero (they are unused) or the call is
refused. The singular vectors' terms need distinct nonzero singular values.

eig: A = V diag(w) V^-1 with numpy's unit-norm eigenvectors. With C = V^-1 dA V,
dw = diag(C) and dV = V (F * C) projected to keep each column's norm, F[i, j] =
1 / (w[j] - w[i]). The adjoint, for the complex convention of adjoint/reverse/complex_values.py,
is V^-H (diag(gw) + conj(F) * (V^H gV')) V^H with gV' = gV minus each column's v Re(v^H g).
Needs distinct eigenvalues (equal ones get no eigenvector term, as in eigh's rule); the
loss must not depend on an eigenvector's phase. Used by adjoint/rules/decompositions.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import AdjointError
from .complex import as_gradient_of
from .linalg import inverse_gaps


def _t(m):
    return np.swapaxes(m, -1, -2)


def _reduced(g, y, a, full_matrices):
    """(U, s, Vh) and their gradients cut to the k = min(m, n) singular vectors."""
    u, s, vh = y
    gu, gs, gvh = g
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    if full_matrices and m != n:
        extra = [np.asarray(gu)[..., :, k:], np.asarray(gvh)[..., k:, :]]
        if any(np.ndim(e) and np.any(e) for e in extra):
            raise AdjointError("np.linalg.svd(a, full_matrices=True) on a non-square matrix: the "
                               "extra singular vectors are not unique and have no gradient; "
                               "pass full_matrices=False")
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu = np.asarray(gu)[..., :, :k] if np.ndim(gu) else np.zeros(np.shape(u))
        gvh = np.asarray(gvh)[..., :k, :] if np.ndim(gvh) else np.zeros(np.shape(vh))
    return u, s, vh, np.broadcast_to(gu, np.shape(u)), np.broadcast_to(gs, np.shape(s)), \
        np.broadcast_to(gvh, np.shape(vh))


def svd_grad(g, y, a, full_matrices=True, compute_uv=True):
    """Gradient of np.linalg.svd(a, full_matrices, compute_uv) (real a)."""
    if not compute_uv:  # y = s: d s_i = u_i^T dA v_i
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return as_gradient_of((u * np.expand_dims(g, -2)) @ vh, a)
    u, s, vh, gu, gs, gvh = _reduced(g, y, a, full_matrices)
    v, gv = _t(vh), _t(gvh)
    m, n = np.shape(a)[-2:]
    f = inverse_gaps(s * s)  # 1 / (s_j^2 - s_i^2), 0 on the diagonal
    s_row = np.expand_dims(s, -2)  # right-multiplying by diag(s)
    s_col = np.expand_dims(s, -1)  # left-multiplying by diag(s)
    ut_gu, vt_gv = _t(u) @ gu, _t(v) @ gv
    inner = (f * (ut_gu - _t(ut_gu))) * s_row + s_col * (f * (vt_gv - _t(vt_gv)))
    inner = inner + np.expand_dims(gs, -1) * np.eye(s.shape[-1])
    grad = u @ inner @ vh
    if m > s.shape[-1]:  # the part of gU outside U's column space
        grad = grad + (gu - u @ ut_gu) / s_row @ vh
    if n > s.shape[-1]:
        grad = grad + u @ _t((gv - v @ vt_gv) / s_row)
    return as_gradient_of(grad, a)


def eig_grad(g, y, a):
    """Gradient of np.linalg.eig(a): y = (w, V), g = (gw, gV) (real a)."""
    w, v = y
    gw, gv = g
    gv = np.broadcast_to(gv, np.shape(v))
    gv = gv - v * np.real(np.sum(np.conj(v) * gv, axis=-2, keepdims=True))  # keeps unit norms
    middle = np.conj(inverse_gaps(w)) * (_t(np.conj(v)) @ gv)
    middle = middle + np.expand_dims(np.broadcast_to(gw, np.shape(w)), -1) * np.eye(w.shape[-1])
    return as_gradient_of(np.linalg.solve(_t(np.conj(v)), middle @ _t(np.conj(v))), a)


def eigvals_grad(g, y, a):
    """Gradient of np.linalg.eigvals(a): V^-H diag(g) V^H with V a's eigenvectors."""
    w, v = np.linalg.eig(a)
    return eig_grad((g, np.zeros(np.shape(v), dtype=v.dtype)), (w, v), a)
