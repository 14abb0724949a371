"""Helpers that forward-mode code calls at run time (their rules: rules/forward_helpers.py).

Forward code is differentiated again (reverse over forward gives Hessian-vector
products; forward over forward gives higher derivatives), so every helper here has a
reverse rule and a forward rule, or is declared nondiff.

A tangent may start smaller than its primal: in `y = a + b` the tangent of y is just
`dot_a` when only a carries one, and numpy broadcasting spreads it over y's shape in
every elementwise line that follows. Where the full shape matters (a reduction, a
reshape, a product, an index, the returned tangent) `broadcast_like` spreads it first.
"""
from __future__ import annotations

import numpy as np

from ..errors import NonScalarOutput
from .core import float_dtype
from .elementwise import split_clip
from .reductions import prod_of_others


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
        got = f"shape {np.shape(x)}" if np.ndim(x) else type(x).__name__
        raise NonScalarOutput(f"grad of grad needs a scalar inner parameter; got {got} (for "
                              "arrays use adjoint.hessian or adjoint.hvp)")
    return 1.0


def cumprod_tangent(da, a, axis=None):
    """The tangent of np.cumprod(a, axis), by the product rule along the axis:
    t_k = t_(k-1) a_k + p_(k-1) da_k with p the running product (exact where a has zeros:
    no division). Differentiated through by its source (rules/second_order.py): every order."""
    if axis is None:  # (one assignment each: a tuple would make axis look differentiable)
        da = np.ravel(broadcast_like(da, a))
        a = np.ravel(a)
        axis = 0
    da = np.moveaxis(broadcast_like(da, a), axis, 0)
    a = np.moveaxis(a, axis, 0)
    running, tangent = a[0], da[0]
    tangents = [tangent]
    for k in range(1, len(a)):
        tangent = tangent * a[k] + running * da[k]
        running = running * a[k]
        tangents.append(tangent)
    return np.moveaxis(np.stack(tangents), 0, axis)


def multi_dot_tangent(darrays, arrays):
    """The tangent of np.linalg.multi_dot(arrays): the product rule over the arrays.
    Differentiated through by its source (rules/second_order.py): every order."""
    total = 0.0
    for k in range(len(arrays)):
        term = darrays[0] if k == 0 else arrays[0]
        for m in range(1, len(arrays)):  # (a 1-d first or last array: a row or column, as in multi_dot)
            term = term @ (darrays[m] if m == k else arrays[m])
        total = total + term
    return total


def zero_or_none(value):
    """Zeros in place of a constant term (np.diff's prepend=, np.interp's left=), None
    for None: the term's tangent."""
    return None if value is None else zero_tangent(value)


def diff_tangent(da, n=1, axis=-1, prepend=None, append=None):
    """np.diff of a tangent, with zeros for the constants prepend= and append= (numpy
    reads an explicit None as a value to prepend, so None leaves them out)."""
    ends = {key: np.zeros_like(value, dtype=float) for key, value in
            (("prepend", prepend), ("append", append)) if value is not None}
    return np.diff(da, n, axis, **ends)


def clip_weights(a, a_min, a_max):
    """The share of np.clip's tangent each of a, a_min, a_max gives (ties evenly)."""
    return split_clip(np.ones(np.broadcast_shapes(np.shape(a), np.shape(a_min), np.shape(a_max))),
                      a, a_min, a_max)


def _part(t, key):
    """Entry `key` of a container tangent; a scalar zero stands for zeros everywhere."""
    if isinstance(t, (tuple, list, dict)):
        return t[key]
    return t


def sinc_slope(x):
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0 (where it is smooth)."""
    return np.where(x == 0, 0.0, (np.cos(np.pi * x) - np.sinc(x)) / np.where(x == 0, 1, x))
