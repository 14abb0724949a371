"""Helpers living in another module than their callers (tests/calls_functions.py).

They read this module's own globals (OTHER_SCALE, OTHER_W) and call each other, so a
callee is resolved in its own module, not in the caller's.
"""
from __future__ import annotations

import numpy as np

OTHER_SCALE = 1.5
OTHER_W = np.array([0.7, -1.2, 0.4])


def softplus(x):
    return np.log(1.0 + np.exp(x))


def scaled(x):
    return OTHER_SCALE * x


def smooth_abs(x, eps=0.1):
    return np.sqrt(x * x + eps)


def weighted(v):
    return np.sum(scaled(v) * OTHER_W)


def chain(x):
    # calls two helpers of its own module
    return softplus(scaled(x))
