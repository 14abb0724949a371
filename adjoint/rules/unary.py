"""Rules for numpy's elementwise functions of one array.

Each rule uses the primal output `y` where that is cheaper than recomputing from `x`
(exp, tanh, sqrt), so the backward needs only what the forward already computed.

Conventions (JAX's, where a function has a kink):
- abs and fabs have slope 0 at 0 (np.sign(0) is 0).
- real and imag assume real inputs: real passes g through, imag has no gradient.
- nan_to_num passes g where x is finite and gives 0 where it replaced nan or inf.
- Functions with a restricted domain or a pole (sqrt, cbrt, the logs, reciprocal, arcsin,
  arccos, arccosh, arctanh) use `safe_div` / `safe_mul`, so where g is 0, as in the branch
  np.where(x > 0, np.sqrt(x), 0.0) discards, the gradient is 0 rather than 0 * inf = nan.
  At the pole itself with g != 0 the gradient is inf, as in JAX.
"""
import math

import numpy as np

from ..runtime.complex import as_gradient_of, imag_grad
from .registry import rule
from ..runtime.core import safe_div, safe_mul

LN2 = math.log(2.0)
LN10 = math.log(10.0)
DEGREE = math.pi / 180.0  # radians per degree


@rule(np.negative, elementwise=True)
def d_negative(g, y, x):
    return -g


@rule(np.positive, elementwise=True)
def d_positive(g, y, x):
    return g


@rule(np.abs, elementwise=True)
def d_abs(g, y, x):
    return g * np.sign(x)


@rule(np.fabs, elementwise=True)
def d_fabs(g, y, x):
    return g * np.sign(x)


@rule(np.exp, elementwise=True)
def d_exp(g, y, x):
    return g * y


@rule(np.exp2, elementwise=True)
def d_exp2(g, y, x):
    return g * y * LN2


@rule(np.expm1, elementwise=True)
def d_expm1(g, y, x):
    return g * (y + 1)


@rule(np.log, elementwise=True)
def d_log(g, y, x):
    return safe_div(g, x)


@rule(np.log2, elementwise=True)
def d_log2(g, y, x):
    return safe_div(g, x * LN2)


@rule(np.log10, elementwise=True)
def d_log10(g, y, x):
    return safe_div(g, x * LN10)


@rule(np.log1p, elementwise=True)
def d_log1p(g, y, x):
    return safe_div(g, 1 + x)


@rule(np.sqrt, elementwise=True)
def d_sqrt(g, y, x):
    return safe_div(g, 2 * y)


@rule(np.cbrt, elementwise=True)
def d_cbrt(g, y, x):
    return safe_div(g, 3 * y * y)


@rule(np.square, elementwise=True)
def d_square(g, y, x):
    return g * 2 * x


@rule(np.reciprocal, elementwise=True)
def d_reciprocal(g, y, x):
    return safe_mul(g, -y * y)


@rule(np.sin, elementwise=True)
def d_sin(g, y, x):
    return g * np.cos(x)


@rule(np.cos, elementwise=True)
def d_cos(g, y, x):
    return -g * np.sin(x)


@rule(np.tan, elementwise=True)
def d_tan(g, y, x):
    return g * (1 + y * y)


@rule(np.arcsin, elementwise=True)
def d_arcsin(g, y, x):
    return safe_div(g, np.sqrt(1 - x * x))


@rule(np.arccos, elementwise=True)
def d_arccos(g, y, x):
    return safe_div(-g, np.sqrt(1 - x * x))


@rule(np.arctan, elementwise=True)
def d_arctan(g, y, x):
    return g / (1 + x * x)


@rule(np.sinh, elementwise=True)
def d_sinh(g, y, x):
    return g * np.cosh(x)


@rule(np.cosh, elementwise=True)
def d_cosh(g, y, x):
    return g * np.sinh(x)


@rule(np.tanh, elementwise=True)
def d_tanh(g, y, x):
    return g * (1 - y * y)


@rule(np.arcsinh, elementwise=True)
def d_arcsinh(g, y, x):
    return g / np.sqrt(x * x + 1)


@rule(np.arccosh, elementwise=True)
def d_arccosh(g, y, x):
    return safe_div(g, np.sqrt(x * x - 1))


@rule(np.arctanh, elementwise=True)
def d_arctanh(g, y, x):
    return safe_div(g, 1 - x * x)


@rule(np.deg2rad, elementwise=True)
def d_deg2rad(g, y, x):
    return g * DEGREE


@rule(np.radians, elementwise=True)
def d_radians(g, y, x):
    return g * DEGREE


@rule(np.rad2deg, elementwise=True)
def d_rad2deg(g, y, x):
    return g / DEGREE


@rule(np.degrees, elementwise=True)
def d_degrees(g, y, x):
    return g / DEGREE


@rule(np.sinc, elementwise=True)
def d_sinc(g, y, x):
    # sinc(x) = sin(pi x) / (pi x): slope (cos(pi x) - sinc(x)) / x, which is 0 at x = 0
    return g * (np.cos(np.pi * x) - y) / np.where(x == 0, 1, x)


@rule(np.real, elementwise=True)
def d_real(g, y, val):
    return as_gradient_of(g, val)


@rule(np.imag, elementwise=True)
def d_imag(g, y, val):
    """1j * g for a complex intermediate; 0 for a real input (its imaginary part is 0)."""
    return imag_grad(g, val)


@rule(np.conjugate, elementwise=True)
def d_conjugate(g, y, x):
    return np.conj(g)


@rule(np.nan_to_num, elementwise=True)
def d_nan_to_num(g, y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    """No gradient to the replacement values nan=, posinf=, neginf=."""
    return np.where(np.isfinite(x), g, 0)
