"""Rules for the math module and the builtins abs, max and min, on Python numbers.

The same formulas as the numpy rules, written with math functions so scalar code stays
scalar. Kinks: abs and fabs have slope 0 at 0; max and min split a tie evenly (JAX's
convention); copysign has no gradient in its second argument.
"""
import builtins
import math

import numpy as np

from .registry import rule
from ..runtime.core import safe_log

LN2 = math.log(2.0)
LN10 = math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
DEGREE = math.pi / 180.0


@rule(math.exp, elementwise=True)
def d_math_exp(g, y, x):
    return g * y


@rule(math.expm1, elementwise=True)
def d_math_expm1(g, y, x):
    return g * (y + 1)


@rule(math.log, elementwise=True)
def d_math_log(g, y, x):
    """One argument only (not math.log(x, base))."""
    return g / x


@rule(math.log2, elementwise=True)
def d_math_log2(g, y, x):
    return g / (x * LN2)


@rule(math.log10, elementwise=True)
def d_math_log10(g, y, x):
    return g / (x * LN10)


@rule(math.log1p, elementwise=True)
def d_math_log1p(g, y, x):
    return g / (1 + x)


@rule(math.sqrt, elementwise=True)
def d_math_sqrt(g, y, x):
    return g * 0.5 / y


@rule(math.pow, elementwise=True)
def d_math_pow(g, out, x, y):
    """The exponent's gradient is 0 where x is 0 (x ** y is flat there)."""
    return g * y * math.pow(x, y - 1), g * out * safe_log(x)


@rule(math.sin, elementwise=True)
def d_math_sin(g, y, x):
    return g * math.cos(x)


@rule(math.cos, elementwise=True)
def d_math_cos(g, y, x):
    return -g * math.sin(x)


@rule(math.tan, elementwise=True)
def d_math_tan(g, y, x):
    return g * (1 + y * y)


@rule(math.asin, elementwise=True)
def d_math_asin(g, y, x):
    return g / math.sqrt(1 - x * x)


@rule(math.acos, elementwise=True)
def d_math_acos(g, y, x):
    return -g / math.sqrt(1 - x * x)


@rule(math.atan, elementwise=True)
def d_math_atan(g, y, x):
    return g / (1 + x * x)


@rule(math.atan2, elementwise=True)
def d_math_atan2(g, angle, y, x):
    r2 = x * x + y * y
    return g * x / r2, -g * y / r2


@rule(math.sinh, elementwise=True)
def d_math_sinh(g, y, x):
    return g * math.cosh(x)


@rule(math.cosh, elementwise=True)
def d_math_cosh(g, y, x):
    return g * math.sinh(x)


@rule(math.tanh, elementwise=True)
def d_math_tanh(g, y, x):
    return g * (1 - y * y)


@rule(math.asinh, elementwise=True)
def d_math_asinh(g, y, x):
    return g / math.sqrt(x * x + 1)


@rule(math.acosh, elementwise=True)
def d_math_acosh(g, y, x):
    return g / math.sqrt(x * x - 1)


@rule(math.atanh, elementwise=True)
def d_math_atanh(g, y, x):
    return g / (1 - x * x)


@rule(math.hypot, elementwise=True)
def d_math_hypot(g, y, a, b):
    """Two arguments; gradient 0 at (0, 0)."""
    r = y + (y == 0)  # y, or 1 at the origin
    return g * a / r, g * b / r


@rule(math.erf, elementwise=True)
def d_math_erf(g, y, x):
    return g * TWO_OVER_SQRT_PI * math.exp(-x * x)


@rule(math.erfc, elementwise=True)
def d_math_erfc(g, y, x):
    return -g * TWO_OVER_SQRT_PI * math.exp(-x * x)


@rule(math.degrees, elementwise=True)
def d_math_degrees(g, y, x):
    return g / DEGREE


@rule(math.radians, elementwise=True)
def d_math_radians(g, y, x):
    return g * DEGREE


@rule(math.fabs, elementwise=True)
def d_math_fabs(g, y, x):
    return g * np.sign(x)


@rule(math.copysign, elementwise=True)
def d_math_copysign(g, y, a, b):
    """No gradient in b (the sign source)."""
    return g * math.copysign(1.0, a) * math.copysign(1.0, b), None


# builtins on scalars
@rule(builtins.abs, elementwise=True)
def d_builtin_abs(g, y, x):
    """Also for numpy scalars and arrays (abs(x) calls np.abs on them)."""
    return g * np.sign(x)


@rule(builtins.max, elementwise=True)
def d_builtin_max(g, y, a, b):
    """Two arguments (not max(iterable))."""
    return g * ((a > b) + 0.5 * (a == b)), g * ((b > a) + 0.5 * (a == b))


@rule(builtins.min, elementwise=True)
def d_builtin_min(g, y, a, b):
    """Two arguments (not min(iterable))."""
    return g * ((a < b) + 0.5 * (a == b)), g * ((b < a) + 0.5 * (a == b))
