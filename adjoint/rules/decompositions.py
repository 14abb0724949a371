"""Rules for np.linalg.svd, np.linalg.eig and np.linalg.eigvals on real matrices.

Limits:
- svd: the singular vectors' gradients need distinct, nonzero singular values; with
  full_matrices=True on a non-square matrix the extra singular vectors must be unused
  (they are not unique), else the call is refused: pass full_matrices=False.
- eig, eigvals: distinct eigenvalues (equal ones get no eigenvector term); eig's
  eigenvectors are unit-norm with an arbitrary phase, so the loss must not depend on
  the phase. The results may be complex: use them through np.real, np.imag, np.abs, sums
  and products (see adjoint/reverse/complex_values.py); other functions of them are refused.
"""
import numpy as np

from ..runtime.decompositions import eig_grad, eigvals_grad, svd_grad
from .registry import rule


@rule(np.linalg.svd, elementwise=False)
def d_svd(g, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_grad(g, y, a, full_matrices, compute_uv)


@rule(np.linalg.eig, elementwise=False)
def d_eig(g, y, a):
    return eig_grad(g, y, a)


@rule(np.linalg.eigvals, elementwise=False)
def d_eigvals(g, y, a):
    return eigvals_grad(g, y, a)
