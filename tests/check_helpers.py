"""A helper in another module than its caller (tests/check_functions.py)."""
import math

import numpy as np


def uses_lgamma(h):
    return np.exp(h) + math.lgamma(h)  # <check-helper-lgamma>
