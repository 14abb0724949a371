"""Functions `adjoint.tools.check` is pointed at (tests/test_check.py). Lines the tests look for
carry a `# <tag>` comment; the tests find them by reading this file."""
import math

import numpy as np

from check_helpers import uses_lgamma


def three_problems(x, y):
    try:  # <check-with>
        y = y * 2.0
    except FloatingPointError:
        pass
    z = math.gamma(x)  # <check-gamma>
    v = x[1:]
    for k in range(2):
        x[0] = 1.0  # <check-setitem>
        x = x * 2.0  # (a new x: v cannot be made again from it)
    return np.sum(z * y) + np.sum(v) + np.sum(x)


def clean(x, y):
    h = np.tanh(x * y)
    return np.sum(h * h)


def calls_bad_helper(x, y):
    h = np.tanh(x)
    return np.sum(uses_lgamma(h) * y)  # <check-call>


def in_loop(x, xs):
    s = 0.0
    for t in range(3):
        s = s + np.sin(x) * xs.frob()  # <check-method>
        try:  # <check-loop-with>
            pass
        finally:
            pass
        s = s + np.sum(x, foo=t)  # <check-keyword>
    return s


def unused_problem(x, y):
    # with respect to x, math.gamma(y) needs no gradient rule
    z = math.gamma(y)  # <check-unused-gamma>
    return np.sum(x * z)
