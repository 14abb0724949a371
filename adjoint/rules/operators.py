"""Rules for Python's operators: + - * / ** @ and unary -, +.

Binary rules sum their gradients back to each operand's shape with `unbroadcast`; the
compiler drops that call wherever it can prove the shapes already agree (scalars, or an
operand combined with a scalar), so scalar code reads like the lecture.
"""
import operator

import numpy as np

from .registry import nondiff, rule
from ..runtime.core import matmul_left, matmul_right, safe_log, unbroadcast


@rule(operator.add, elementwise=True)
def d_add(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(g, b)


@rule(operator.sub, elementwise=True)
def d_sub(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g, b)


@rule(operator.mul, elementwise=True)
def d_mul(g, y, a, b):
    return unbroadcast(g * b, a), unbroadcast(g * a, b)


@rule(operator.truediv, elementwise=True)
def d_truediv(g, y, a, b):
    return unbroadcast(g / b, a), unbroadcast(-g * y / b, b)


@rule(operator.pow, elementwise=True)
def d_pow(g, y, a, b):
    # safe_log: where a == 0 the gradient for b is 0 (a ** b is flat there), not nan
    return unbroadcast(g * b * a ** (b - 1), a), unbroadcast(g * y * safe_log(a), b)


@rule(operator.matmul)
def d_matmul(g, y, a, b):
    return matmul_left(g, a, b), matmul_right(g, a, b)


@rule(operator.neg, elementwise=True)
def d_neg(g, y, x):
    return -g


@rule(operator.pos, elementwise=True)
def d_pos(g, y, x):
    return g


# Floor division and modulo are piecewise constant in their result's integer part.
nondiff(operator.floordiv, operator.not_, operator.invert,
        reason="it is piecewise constant")
nondiff(np.floor_divide, reason="it is piecewise constant")


@rule(operator.mod, elementwise=True)
def d_mod(g, y, a, b):
    # a % b = a - b * floor(a / b): slope 1 in a; in b, -floor(a / b) (kinks excluded)
    return unbroadcast(g, a), unbroadcast(-g * np.floor(a / b), b)
