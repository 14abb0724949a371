"""Helpers for scipy.special rules that need more than one line: multigammaln's slope.
Used by adjoint/rules/special_more.py.
"""
from __future__ import annotations

import numpy as np
import scipy.special as special


def multigammaln_slope(a, d, order=0):
    """d/da multigammaln(a, d) = sum over j = 0 .. d-1 of digamma(a - j / 2); with
    order=k its k-th derivative (polygamma(k, .) in place of digamma, which is polygamma(0, .))."""
    return np.sum(special.polygamma(order, np.expand_dims(a, -1) - np.arange(d) / 2), axis=-1)
