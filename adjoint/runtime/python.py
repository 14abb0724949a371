"""Helpers for the plain Python a differentiated function may contain: dict.get,
float(x), sorted(xs), star unpacking. Each is the operation it is named for; the ones
with a gradient have their backward helper beside them."""
from __future__ import annotations

import numpy as np

from .containers import GradDict, Grads
from .core import unindex, zero_grad


def dict_get(d, key, default=None):
    """d.get(key, default) (printed as the method call it was)."""
    return d.get(key, default)


def got_back(g, d, key):
    """The gradient of d from d.get(key, ...): g at key when d has it, zeros elsewhere."""
    return unindex(g, d, key) if key in d else zero_grad(d)


def default_share(g, d, key, default):
    """The gradient of the default of d.get(key, default): g when d lacks key."""
    return zero_grad(default) if key in d else g


def as_float(g, x):
    """The gradient of float(x): x may be a size-1 array."""
    if isinstance(x, np.ndarray):
        return np.full(x.shape, g, dtype=np.result_type(x.dtype, np.float64) if x.dtype.kind != "f"
                       else x.dtype)
    return g


def unsorted(g, items):
    """The gradient of sorted(items): each item gets the gradient of where it went."""
    order = sorted(range(len(items)), key=lambda k: items[k])
    parts = [None] * len(items)
    for position, k in enumerate(order):
        parts[k] = g[position]
    if isinstance(items, np.ndarray):
        return np.array(parts, dtype=np.result_type(items, 0.0))
    return Grads(parts, type(items))


def as_tuple(g, items):
    """The gradient of tuple(items) (or list(items)): the same parts, in items' kind."""
    if isinstance(items, np.ndarray):
        return np.array(list(g), dtype=np.result_type(items, 0.0)).reshape(items.shape)
    if isinstance(items, dict):
        return GradDict()  # tuple(d) holds d's keys: no gradient
    return Grads(g, type(items))
