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
    """The tangent of np.cumprod(a, axis): entry k is sum over j <= k of da[j] times the
    product of a[i] for i <= k, i != j (exact where a has zeros)."""
    if axis is None:
        da, a, axis = np.ravel(broadcast_like(da, a)), np.ravel(a), 0
    da = np.moveaxis(np.broadcast_to(da, np.shape(a)), axis, -1)
    moved = np.moveaxis(np.asarray(a), axis, -1)
    out = np.zeros(moved.shape, dtype=np.result_type(da, float_dtype(a)))
    for k in range(moved.shape[-1]):
        head = moved[..., :k + 1]
        out[..., k] = np.sum(da[..., :k + 1] * prod_of_others(head, -1), axis=-1)
    return np.moveaxis(out, -1, axis)


def multi_dot_tangent(darrays, arrays):
    """The tangent of np.linalg.multi_dot(arrays): the product rule over the arrays."""
    arrays = list(arrays)
    total = 0.0
    for k, d in enumerate(darrays):
        total = total + np.linalg.multi_dot(arrays[:k] + [d] + arrays[k + 1:])
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
