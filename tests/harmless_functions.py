"""A function with assert statements for tests/test_harmless.py: it lives outside the test
module because pytest rewrites the asserts of test modules, and adjoint differentiates
the code that runs, which must be the code in the file."""
import numpy as np


def checked(x):
    assert x.ndim == 1, f"x must be a vector, not {x.ndim}-d"
    assert np.all(np.isfinite(x))
    return np.sum(np.sin(x) * x)
