"""Helpers for numpy's elementwise functions of several arrays: np.clip's gradient,
split between the array and its bounds with ties shared evenly (JAX's convention, as
for maximum and minimum).

Like every module in adjoint.helpers, these hold the control flow and shape bookkeeping
a gradient rule cannot write inline, so the rule stays one readable line of math. A
helper's name appears in the generated code, so it must not change. The arrays they
build are new and writeable, in the input's float dtype (float32 stays float32).
Used by adjoint/rules/binary.py.
"""
from __future__ import annotations

import numpy as np


def split_clip(g, a, a_min, a_max):
    """g split between the operands of clip(a, a_min, a_max) = minimum(maximum(a, a_min), a_max).

    Returns (to a, to a_min, to a_max), not yet summed to the operands' shapes. A tie
    splits evenly, as for maximum and minimum; a bound of None takes nothing.
    """
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    inner = np.maximum(a, lo)
    through = g * (inner < hi) + 0.5 * g * (inner == hi)
    to_hi = g * (hi < inner) + 0.5 * g * (inner == hi)
    to_a = through * (a > lo) + 0.5 * through * (a == lo)
    to_lo = through * (lo > a) + 0.5 * through * (a == lo)
    return to_a, to_lo, to_hi

