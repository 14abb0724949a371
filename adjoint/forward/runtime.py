"""Helpers that forward-mode code calls at run time, and their own rules.

Forward code is differentiated again (reverse over forward gives Hessian-vector
products; forward over forward gives higher derivatives), so every helper it calls has
a reverse rule and a forward rule here, or is declared nondiff.

A tangent may start smaller than its primal: in `y = a + b` the tangent of y is just
`dot_a` when only a carries one, and numpy broadcasting spreads it over y's shape in
every elementwise line that follows. Where the full shape matters (a reduction, a
reshape, a product, an index, the returned tangent) `broadcast_like` spreads it first.
"""
from __future__ import annotations

import numpy as np

from ..errors import NonScalarOutput
from ..registry import nondiff, rule
from ..runtime import float_dtype, unbroadcast


def broadcast_like(t, x):
    """Tangent t with x's shape (and, for a tuple, list or dict x, its structure)."""
    if isinstance(x, dict):
        return {key: broadcast_like(_part(t, key), value) for key, value in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(broadcast_like(_part(t, k), value) for k, value in enumerate(x))
    shape = np.shape(x)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def writable_tangent(t, x):
    """A new, writeable tangent with x's shape: for code that writes into x (x[i] = v),
    whose tangent gets the same write (dot_x[i] = dot_v)."""
    if isinstance(x, dict):
        return {key: writable_tangent(_part(t, key), value) for key, value in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(writable_tangent(_part(t, k), value) for k, value in enumerate(x))
    return np.array(np.broadcast_to(t, np.shape(x)), dtype=np.result_type(t, float_dtype(x)))


def zero_tangent(x):
    """The tangent of a value that does not change: 0.0 for a number, zeros of an array's
    shape, and the same structure for a tuple, list or dict (plain containers, so that
    tangents of lists concatenate as the lists do)."""
    if isinstance(x, dict):
        return {key: zero_tangent(value) for key, value in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(zero_tangent(value) for value in x)
    if x is None or np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.0
    return np.zeros(np.shape(x), dtype=float_dtype(x))


def unit_tangent(x):
    """1.0, the tangent of x in d/dx of a function of a scalar x (grad of grad)."""
    if isinstance(x, (tuple, list, dict, str, bool)) or np.shape(x) != ():
        raise NonScalarOutput(f"grad of grad needs a scalar inner parameter; got "
                              f"{'shape ' + str(np.shape(x)) if np.ndim(x) else type(x).__name__}")
    return 1.0


def _part(t, key):
    """Entry `key` of a container tangent; a scalar zero stands for zeros everywhere."""
    if isinstance(t, (tuple, list, dict)):
        return t[key]
    return t


# their rules ------------------------------------------------------------------------
nondiff(zero_tangent, unit_tangent, reason="a tangent that does not depend on the inputs' values")


@rule(broadcast_like, elementwise=False)
def d_broadcast_like(g, y, t, x):
    return unbroadcast(g, t), None


@rule(writable_tangent, elementwise=False)
def d_writable_tangent(g, y, t, x):
    return unbroadcast(g, t), None
