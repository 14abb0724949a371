"""Rules for elementwise functions of numpy, math and the builtins.

Each rule uses the primal output `y` where that is cheaper than recomputing from `x`
(exp, tanh, sqrt), so the backward needs only what the forward already computed.
Kinks: abs has slope 0 at 0; maximum/minimum and max/min split the gradient evenly
between tied arguments (the JAX convention).
"""
import builtins
import math

import numpy as np

from ..registry import nondiff, rule
from ..runtime import unbroadcast


@rule(np.exp, elementwise=True)
def d_exp(g, y, x):
    return g * y


@rule(np.log, elementwise=True)
def d_log(g, y, x):
    return g / x


@rule(np.tanh, elementwise=True)
def d_tanh(g, y, x):
    return g * (1 - y * y)


@rule(np.sin, elementwise=True)
def d_sin(g, y, x):
    return g * np.cos(x)


@rule(np.cos, elementwise=True)
def d_cos(g, y, x):
    return -g * np.sin(x)


@rule(np.sqrt, elementwise=True)
def d_sqrt(g, y, x):
    return g * 0.5 / y


@rule(np.abs, elementwise=True)
def d_abs(g, y, x):
    return g * np.sign(x)


@rule(np.maximum, elementwise=True)
def d_maximum(g, y, a, b):
    return unbroadcast(g * ((a > b) + 0.5 * (a == b)), a), unbroadcast(g * ((b > a) + 0.5 * (a == b)), b)


@rule(np.minimum, elementwise=True)
def d_minimum(g, y, a, b):
    return unbroadcast(g * ((a < b) + 0.5 * (a == b)), a), unbroadcast(g * ((b < a) + 0.5 * (a == b)), b)


@rule(np.where, elementwise=True)
def d_where(g, y, condition, a, b):
    return None, unbroadcast(np.where(condition, g, 0.0), a), unbroadcast(np.where(condition, 0.0, g), b)


# math: the same formulas on Python floats
@rule(math.exp, elementwise=True)
def d_math_exp(g, y, x):
    return g * y


@rule(math.log, elementwise=True)
def d_math_log(g, y, x):
    return g / x


@rule(math.tanh, elementwise=True)
def d_math_tanh(g, y, x):
    return g * (1 - y * y)


@rule(math.sin, elementwise=True)
def d_math_sin(g, y, x):
    return g * math.cos(x)


@rule(math.cos, elementwise=True)
def d_math_cos(g, y, x):
    return -g * math.sin(x)


@rule(math.sqrt, elementwise=True)
def d_math_sqrt(g, y, x):
    return g * 0.5 / y


@rule(math.fabs, elementwise=True)
def d_math_fabs(g, y, x):
    return g * ((x > 0) - (x < 0))


# builtins on scalars
@rule(builtins.abs, elementwise=True)
def d_builtin_abs(g, y, x):
    return g * ((x > 0) - (x < 0))


@rule(builtins.max, elementwise=True)
def d_builtin_max(g, y, a, b):
    return g * ((a > b) + 0.5 * (a == b)), g * ((b > a) + 0.5 * (a == b))


@rule(builtins.min, elementwise=True)
def d_builtin_min(g, y, a, b):
    return g * ((a < b) + 0.5 * (a == b)), g * ((b < a) + 0.5 * (a == b))


nondiff(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, math.floor, math.ceil,
        math.trunc, builtins.round, np.isnan, np.isfinite, np.isinf, np.argmax, np.argmin,
        np.zeros_like, np.ones_like, np.shape, np.size, np.ndim, builtins.len, builtins.int,
        np.greater, np.less, np.greater_equal, np.less_equal, np.equal, np.not_equal,
        np.logical_and, np.logical_or, np.logical_not, builtins.bool,
        reason="its output is piecewise constant or not a number")
