"""Helpers that generated code and rules call at run time.

Each is small, pure and named for what it does, because it appears verbatim in the
generated code a user reads (`grad_b = unbroadcast(grad_s1, b)`).
"""
from __future__ import annotations

import numpy as np

from .errors import NonScalarOutput


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing numpy broadcasting of `x` in the forward."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(axis for axis, size in enumerate(shape) if size == 1 and g.shape[axis] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    if not shape:
        return g[()]
    return g.reshape(shape)


def seed(y):
    """The gradient of the output with respect to itself: 1.0, after checking y is a scalar."""
    if y is None or isinstance(y, (str, bytes, bool, tuple, list, dict)):
        raise NonScalarOutput(f"grad needs a scalar output; got {type(y).__name__}")
    shape = np.shape(y)
    if shape != ():
        raise NonScalarOutput(f"grad needs a scalar output; got shape {shape}")
    if np.iscomplexobj(y) or not np.issubdtype(np.result_type(y), np.number):
        raise NonScalarOutput(f"grad needs a real scalar output; got {type(y).__name__}")
    return 1.0


def zero_grad(x):
    """The gradient of an input the output does not depend on: zeros of its shape."""
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.0
    return np.zeros(np.shape(x), dtype=float_dtype(x))


def float_dtype(x):
    """The dtype a gradient of x has: x's own float dtype, float64 for ints."""
    dtype = np.result_type(x)
    return dtype if np.issubdtype(dtype, np.inexact) else np.float64


def expand_to(g, x, axis=None, keepdims=False):
    """Broadcast the gradient of a reduction of `x` back to x's shape (a new array)."""
    g = np.asarray(g)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        ndim = np.ndim(x)
        g = np.expand_dims(g, tuple(a % ndim for a in axes))
    return np.broadcast_to(g, np.shape(x)).astype(float_dtype(g), copy=True) \
        if np.ndim(x) else g


def tie_share(x, y, axis=None, keepdims=False):
    """For max/min: 1/k on each of the k entries equal to the extreme, 0 elsewhere.

    Ties split the gradient evenly (as JAX does), so the result stays symmetric.
    """
    hit = x == expand_to(y, x, axis, keepdims)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def scatter(g, x, index):
    """Gradient of x[index]: zeros shaped like x with g added at index (repeats add up)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(float_dtype(x), np.asarray(g).dtype))
    if _is_basic_index(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) and not
               isinstance(p, bool) for p in parts)


def matmul_left(g, a, b):
    """Gradient of a @ b with respect to a, for every shape numpy's matmul accepts."""
    if np.ndim(b) == 1:
        ga = np.expand_dims(g, -1) * b
    elif np.ndim(a) == 1:
        ga = (b @ np.expand_dims(g, -1))[..., 0]
    else:
        ga = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(ga, a)


def matmul_right(g, a, b):
    """Gradient of a @ b with respect to b, for every shape numpy's matmul accepts."""
    if np.ndim(a) == 1:
        gb = np.expand_dims(a, -1) * np.expand_dims(g, -2) if np.ndim(b) > 1 else g * a
    elif np.ndim(b) == 1:
        gb = np.expand_dims(g, -1) * a
    else:
        gb = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(gb, b)


def safe_log(x):
    """log(x) where x > 0, else 0: the factor in d(a ** b)/db, which is 0 where a ** b is 0."""
    x = np.asarray(x)
    positive = x > 0
    out = np.log(np.where(positive, x, 1.0))
    return out[()] if out.ndim == 0 else out


def inverse_axes(axes):
    """The permutation that undoes np.transpose(x, axes); None stays None."""
    return None if axes is None else tuple(np.argsort(axes))
