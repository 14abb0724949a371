"""Rules for complex intermediates: np.angle, np.real_if_close, the .imag attribute, and
the products, quotients and powers that a complex value needs its own rule for.

Convention (adjoint/reverse/complex_values.py): a complex value's gradient is dL/dRe + i dL/dIm;
for a holomorphic f that is conj(f'(z)) times the output's gradient, so these rules
conjugate where the real rules do not. The `complex_rule` ones replace the ordinary
rule only where a value involved is complex (x * w on real arrays still reads g * w).
Complex-valued inputs to the differentiated function stay refused.
"""
import operator

import numpy as np

from ..runtime.complex import angle_grad, as_gradient_of, imag_grad
from .registry import complex_rule, rule
from ..runtime.core import matmul_left, matmul_right, unbroadcast


@rule(np.angle, elementwise=True)
def d_angle(g, y, z, deg=False):
    """0 for real inputs (the angle is 0 or pi there)."""
    return angle_grad(g, z, deg)


@rule(np.real_if_close, elementwise=True)
def d_real_if_close(g, y, a, tol=100):
    return as_gradient_of(g, a)


@rule(".imag", elementwise=True)
def d_attr_imag(g, y, x):
    return imag_grad(g, x)


# complex versions of the real rules -----------------------------------------------------
@complex_rule(operator.mul, elementwise=True)
def d_mul_complex(g, y, a, b):
    return unbroadcast(g * np.conj(b), a), unbroadcast(g * np.conj(a), b)


@complex_rule(np.multiply, elementwise=True)
def d_multiply_complex(g, y, a, b):
    return unbroadcast(g * np.conj(b), a), unbroadcast(g * np.conj(a), b)


@complex_rule(operator.truediv, elementwise=True)
def d_truediv_complex(g, y, a, b):
    return unbroadcast(g / np.conj(b), a), unbroadcast(-g * np.conj(y / b), b)


@complex_rule(np.divide, elementwise=True)
def d_divide_complex(g, y, a, b):
    return unbroadcast(g / np.conj(b), a), unbroadcast(-g * np.conj(y / b), b)


@complex_rule(operator.pow, elementwise=True)
def d_pow_complex(g, y, a, b):
    """Exponents other than a constant need a nonzero base."""
    return unbroadcast(g * np.conj(b * a ** (b - 1)), a), unbroadcast(g * np.conj(y * np.log(a)), b)


@complex_rule(np.square, elementwise=True)
def d_square_complex(g, y, x):
    return 2 * g * np.conj(x)


@complex_rule(np.exp, elementwise=True)
def d_exp_complex(g, y, x):
    return g * np.conj(y)


@complex_rule(operator.matmul, elementwise=False)
def d_matmul_operator_complex(g, y, a, b):
    return matmul_left(g, a, np.conj(b)), matmul_right(g, np.conj(a), b)


@complex_rule(np.matmul, elementwise=False)
def d_matmul_complex(g, y, a, b):
    return matmul_left(g, a, np.conj(b)), matmul_right(g, np.conj(a), b)
