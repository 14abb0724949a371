"""Helpers for functions that rearrange entries without changing them: np.array of a
list, the stacking family (stack, concatenate, hstack, vstack, dstack, column_stack),
np.tile, np.repeat and np.pad. Each cuts or sums g back into the shape of the input
(or one piece per input).

Like every module in adjoint.helpers, these hold the control flow and shape bookkeeping
a gradient rule cannot write inline, so the rule stays one readable line of math. A
helper's name appears in the generated code, so it must not change. The arrays they
build are new and writeable, in the input's float dtype (float32 stays float32).
Used by adjoint/rules/shaping.py.
"""
from __future__ import annotations

import numpy as np

from .containers import Grads
from ..errors import AdjointError
from .core import float_dtype


def unpack_like(g, obj):
    """g shaped like np.array(obj)'s argument: reshaped for an array or number, and a
    list with one gradient per element for a list or tuple of differentiable values."""
    g = np.reshape(g, np.shape(obj))  # drops the leading axes ndmin= added
    if isinstance(obj, (list, tuple)):
        return Grads((unpack_like(g[k], element) for k, element in enumerate(obj)), type(obj))
    return g


def unstack(g, axis=0):
    """The slices of g along axis, one per array np.stack stacked (np.unstack in numpy 2.1+)."""
    g = np.asarray(g)
    return Grads((np.take(g, k, axis=axis) for k in range(g.shape[axis])), list)


def _split_back(g, arrays, axis, promote):
    """g cut along axis into pieces sized like each promoted input, reshaped to the inputs."""
    shapes = [np.shape(promote(np.broadcast_to(0.0, np.shape(a)))) for a in arrays]
    sizes = [shape[axis] for shape in shapes]
    ends = np.cumsum(sizes)
    before = (slice(None),) * (axis % np.ndim(g))
    pieces = (g[before + (slice(end - size, end),)] for size, end in zip(sizes, ends))
    return Grads((np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays)), list)


def unconcatenate(g, arrays, axis=0):
    """Gradient of np.concatenate(arrays, axis): g cut back into one piece per array
    (axis=None concatenated the flattened arrays)."""
    if axis is None:
        pieces = _split_back(np.ravel(g), [np.ravel(a) for a in arrays], 0, np.asarray)
        return Grads((np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays)), list)
    return _split_back(g, arrays, axis, np.asarray)


def unhstack(g, tup):
    """Gradient of np.hstack(tup): pieces of g along axis 1 (axis 0 for 1-D inputs)."""
    axis = 0 if np.ndim(np.atleast_1d(np.broadcast_to(0.0, np.shape(tup[0])))) == 1 else 1
    return _split_back(g, tup, axis, np.atleast_1d)


def unvstack(g, tup):
    """Gradient of np.vstack(tup): pieces of g along axis 0 (1-D inputs were rows)."""
    return _split_back(g, tup, 0, np.atleast_2d)


def undstack(g, tup):
    """Gradient of np.dstack(tup): pieces of g along axis 2."""
    return _split_back(g, tup, 2, np.atleast_3d)


def _as_column(a):
    return np.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a


def uncolumn_stack(g, tup):
    """Gradient of np.column_stack(tup): pieces of g along axis 1 (1-D inputs were columns)."""
    return _split_back(g, tup, 1, _as_column)


def untile(g, A, reps):
    """Gradient of np.tile(A, reps): the copies of A in g summed."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    n = max(np.ndim(A), len(reps))
    shape = (1,) * (n - np.ndim(A)) + np.shape(A)
    reps = (1,) * (n - len(reps)) + reps
    blocks = np.reshape(g, [size for pair in zip(reps, shape) for size in pair])
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * n, 2))), np.shape(A))


def unrepeat(g, a, repeats, axis=None):
    """Gradient of np.repeat(a, repeats, axis): each entry gets the sum of its copies."""
    a = np.asarray(a)
    if axis is None:
        source = np.repeat(np.arange(a.size), repeats)
        out = np.zeros(a.size, dtype=np.result_type(float_dtype(a), g))
        np.add.at(out, source, np.ravel(g))
        return np.reshape(out, a.shape)
    axis = axis % a.ndim
    source = np.repeat(np.arange(a.shape[axis]), repeats)
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    np.add.at(np.moveaxis(out, axis, 0), source, np.moveaxis(np.asarray(g), axis, 0))
    return out


def unpad(g, array, pad_width, mode="constant"):
    """Gradient of np.pad(array, pad_width, mode): the inner block of g for 'constant';
    for the modes that copy entries ('edge', 'reflect', 'symmetric', 'wrap'), every copy's
    gradient is added back to the entry it was copied from."""
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    if mode == "constant" or mode == "empty":
        return np.array(np.asarray(g)[tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape))])
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise AdjointError(f"np.pad's gradient rule handles the modes constant, edge, reflect, "
                           f"symmetric and wrap; got mode={mode!r}")
    source = np.pad(np.arange(int(np.prod(shape))).reshape(shape), pad_width, mode=mode)
    out = np.zeros(int(np.prod(shape)), dtype=np.result_type(float_dtype(array), g))
    np.add.at(out, source.ravel(), np.ravel(g))
    return out.reshape(shape)

