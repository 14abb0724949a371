"""Functions the CLI and error tests point at (a plain module: adjoint reads its source).

Lines the tests look for carry a `# <tag>` comment; tests find them by reading this file.
"""
import math
import numpy as np


def poly(x, y):
    q = x * y + 2.0
    return q * q - y


def helper(x):
    return x * 3.0


def uses_helper(x, y):
    # math.gamma is a C function without a rule
    return math.gamma(x) * y  # <cli-missing-rule>


def unsupported(x):
    try:  # <cli-try>
        x = x + 1.0
    except ValueError:
        pass
    return x


def vector(x):
    y = np.tanh(x)
    return y  # <cli-vector-return>
