"""Helpers for functions that take complex values apart: np.imag, np.angle (and the
.imag attribute), and `as_gradient_of`, a gradient for a real or complex input. With the
convention of adjoint/reverse/complex_values.py (a complex value's gradient is
dL/dRe + i dL/dIm) the imaginary part's gradient is i g. On a real input both functions
are constant (imag is 0, angle is 0 or pi), so the gradient is zero in the input's float
dtype: a fact of the type, not a guess. Used by
adjoint/rules/complex.py and adjoint/rules/unary.py.
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype, safe_div


def as_gradient_of(grad, x):
    """grad in x's own dtype: its real part, when x is real."""
    if np.iscomplexobj(x):
        return np.asarray(grad, dtype=np.result_type(x))
    return np.asarray(np.real(grad), dtype=float_dtype(x))


def _zeros(x):
    return np.zeros(np.shape(x), dtype=float_dtype(x))


def imag_grad(g, z):
    """Gradient of np.imag(z): 1j * g for complex z; zeros for real z."""
    return 1j * np.asarray(g) if np.iscomplexobj(z) else _zeros(z)


def angle_grad(g, z, deg=False):
    """Gradient of np.angle(z, deg) = atan2(im, re): g i z / |z|^2 (0 at z = 0)."""
    if not np.iscomplexobj(z):
        return _zeros(z)
    scale = 180.0 / np.pi if deg else 1.0
    return safe_div(scale * 1j * np.asarray(g) * z, np.abs(z) ** 2)
