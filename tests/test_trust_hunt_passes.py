"""An adversarial hunt against the optimizations that pick one of two forms of the same
computation (passes/ranks.py, tape_loops.py, forward_temps.py, float_kinds.py +
python_floats.py, the entry's guards), and what the hunt found elsewhere.

Each program is compiled as shipped and with optimize=False: the two must agree bit for
bit (values, gradients, their types, the exception raised), and the gradients must
match finite differences. Programs that once gave a wrong answer or crashed say so.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

RNG = np.random.default_rng(11)


def outcome(f, args, wrt, optimize: bool):
    """value_and_grad on copies of the arguments, or the exception's type and first line."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return adjoint.value_and_grad(f, wrt=wrt, optimize=optimize)(*copies)
    except Exception as exc:  # noqa: BLE001 -- the same exception both ways is the check
        return ("raised", type(exc).__name__, str(exc).splitlines()[0])


def same(a, b) -> bool:
    """Equal bit for bit, of the same types (nan equal to nan, -0.0 not equal to 0.0)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic, float, complex)):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return a == b


def agree(f, args, wrt=0, fd=True):
    """The optimized and plain gradients agree; both match finite differences."""
    optimized, plain = outcome(f, args, wrt, True), outcome(f, args, wrt, False)
    assert same(optimized, plain), (optimized, plain)
    assert not (isinstance(plain, tuple) and plain[0] == "raised"), plain
    value = f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    assert same(np.asarray(optimized[0]), np.asarray(value)) or np.allclose(optimized[0], value)
    if fd:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_grads(f, *args, wrt=wrt)
    return optimized


# tuple assignments inside loops and branches (found here: lowering/swaps.py) -----------------
def swap_in_loop(x, y):
    for i in range(2):
        x, y = y * 1.1 + math.sin(x), x  # once: y read the new x (value and gradient wrong)
    return x * y * y


def swap_in_branch(x, y, c):
    if c > 0:
        x, y = y * 2.0, x
    return x * y * y


def plain_swap(x, y):
    for i in range(3):
        x, y = y, x
    return x * y * y


def swap_in_while(x, y):
    while x < 5.0:
        x, y = y + 1.0, x
    return x * y * y


def rotate_arrays(a, b, c):
    for i in range(2):
        a, (b, c) = b, (c * 1.5, a)
    return np.sum(a * b * b * c * c * c)


@pytest.mark.parametrize("f, args, wrt", [
    (swap_in_loop, (0.3, 0.6), (0, 1)), (swap_in_branch, (0.3, 0.7, 1), (0, 1)),
    (swap_in_branch, (0.3, 0.7, -1), (0, 1)), (plain_swap, (0.3, 0.5), (0, 1)),
    (swap_in_while, (0.3, 0.5), (0, 1)),
    (rotate_arrays, (np.array([0.3, 0.4]), np.array([0.5, 0.6]), np.array([0.7, 0.8])), (0, 1, 2)),
])
def test_tuple_assignment_reads_every_value_first(f, args, wrt):
    agree(f, args, wrt)
