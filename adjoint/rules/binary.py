"""Rules for numpy's elementwise functions of two or three arrays, np.where and np.clip.

Every gradient is summed back to its operand's shape with `unbroadcast`; the compiler
drops that call where it can prove the shapes already agree.

Conventions (JAX's, where a function has a kink):
- maximum, minimum, fmax, fmin and clip split the gradient evenly between tied operands
  (clip(a, lo, hi) is minimum(maximum(a, lo), hi)); fmax and fmin send it all to the
  operand that is not nan.
- copysign, remainder (mod) and fmod are piecewise: copysign has no gradient in its
  second argument; mod/fmod have slope 1 in a and -floor(a / b) (-trunc for fmod) in b,
  with the jumps ignored.
- hypot at (0, 0) has gradient 0 (a subgradient).
- power has gradient 0 in the exponent where the base is 0 (a ** b is flat there), like
  the ** operator.
"""
import math

import numpy as np

from ..runtime.elementwise import split_clip
from .registry import rule
from ..runtime.core import cast_like, safe_log, unbroadcast

LN2 = math.log(2.0)


@rule(np.add, elementwise=True)
def d_add(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(g, b)


@rule(np.subtract, elementwise=True)
def d_subtract(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g, b)


@rule(np.multiply, elementwise=True)
def d_multiply(g, y, a, b):
    return unbroadcast(g * b, a), unbroadcast(g * a, b)


@rule(np.divide, elementwise=True)
def d_divide(g, y, a, b):
    return unbroadcast(g / b, a), unbroadcast(-g * y / b, b)


@rule(np.power, elementwise=True)
def d_power(g, y, a, b):
    return unbroadcast(g * b * a ** (b - 1), a), unbroadcast(g * y * safe_log(a), b)


@rule(np.float_power, elementwise=True)
def d_float_power(g, y, a, b):
    """float_power computes in float64; the gradients come back in each input's dtype."""
    return (cast_like(unbroadcast(g * b * np.float_power(a, b - 1), a), a),
            cast_like(unbroadcast(g * y * safe_log(a), b), b))


@rule(np.maximum, elementwise=True)
def d_maximum(g, y, a, b):
    return (unbroadcast(g * (a > b) + 0.5 * g * (a == b), a),
            unbroadcast(g * (b > a) + 0.5 * g * (a == b), b))


@rule(np.minimum, elementwise=True)
def d_minimum(g, y, a, b):
    return (unbroadcast(g * (a < b) + 0.5 * g * (a == b), a),
            unbroadcast(g * (b < a) + 0.5 * g * (a == b), b))


@rule(np.fmax, elementwise=True)
def d_fmax(g, y, a, b):
    a_wins = np.logical_or(a > b, np.isnan(b))
    b_wins = np.logical_and(np.logical_or(b > a, np.isnan(a)), np.logical_not(np.isnan(b)))
    return (unbroadcast(g * a_wins + 0.5 * g * (a == b), a),
            unbroadcast(g * b_wins + 0.5 * g * (a == b), b))


@rule(np.fmin, elementwise=True)
def d_fmin(g, y, a, b):
    a_wins = np.logical_or(a < b, np.isnan(b))
    b_wins = np.logical_and(np.logical_or(b < a, np.isnan(a)), np.logical_not(np.isnan(b)))
    return (unbroadcast(g * a_wins + 0.5 * g * (a == b), a),
            unbroadcast(g * b_wins + 0.5 * g * (a == b), b))


@rule(np.arctan2, elementwise=True)
def d_arctan2(g, angle, y, x):
    # angle = arctan2(y, x):  d/dy = x / r^2,  d/dx = -y / r^2
    r2 = x * x + y * y
    return unbroadcast(g * x / r2, y), unbroadcast(-g * y / r2, x)


@rule(np.hypot, elementwise=True)
def d_hypot(g, y, a, b):
    r = np.where(y == 0, 1, y)
    return unbroadcast(g * a / r, a), unbroadcast(g * b / r, b)


@rule(np.logaddexp, elementwise=True)
def d_logaddexp(g, y, a, b):
    return unbroadcast(g * np.exp(a - y), a), unbroadcast(g * np.exp(b - y), b)


@rule(np.logaddexp2, elementwise=True)
def d_logaddexp2(g, y, a, b):
    return unbroadcast(g * np.exp2(a - y), a), unbroadcast(g * np.exp2(b - y), b)


@rule(np.copysign, elementwise=True)
def d_copysign(g, y, a, b):
    """No gradient in b (the sign source)."""
    return unbroadcast(g * np.copysign(1, a) * np.copysign(1, b), a), None


@rule(np.remainder, elementwise=True)
def d_remainder(g, y, a, b):
    # a % b = a - b * floor(a / b)
    return unbroadcast(g, a), unbroadcast(-g * np.floor(a / b), b)


@rule(np.fmod, elementwise=True)
def d_fmod(g, y, a, b):
    # fmod(a, b) = a - b * trunc(a / b)
    return unbroadcast(g, a), unbroadcast(-g * np.trunc(a / b), b)


@rule(np.ldexp, elementwise=True)
def d_ldexp(g, y, x1, x2):
    """x1 * 2 ** x2 with an integer exponent x2, which has no gradient."""
    return unbroadcast(np.ldexp(g, x2), x1), None


@rule(np.where, elementwise=True)
def d_where(g, y, condition, a, b):
    return None, unbroadcast(np.where(condition, g, 0.0), a), unbroadcast(np.where(condition, 0.0, g), b)


@rule(np.clip, elementwise=True)
def d_clip(g, y, a, a_min, a_max):
    """Bounds given by position or as a_min=/a_max= (not numpy 2.1's min=/max=)."""
    to_a, to_min, to_max = split_clip(g, a, a_min, a_max)
    return unbroadcast(to_a, a), unbroadcast(to_min, a_min), unbroadcast(to_max, a_max)
