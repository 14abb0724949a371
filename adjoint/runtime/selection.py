"""Helpers for functions that read some entries of an array: np.take,
np.take_along_axis, np.sort and np.select. Each puts g back where the entries were read
from (repeats add up). Plain indexing x[i] uses runtime.unindex.

Like every module in adjoint.helpers, these hold the control flow and shape bookkeeping
a gradient rule cannot write inline, so the rule stays one readable line of math. A
helper's name appears in the generated code, so it must not change. The arrays they
build are new and writeable, in the input's float dtype (float32 stays float32).
Used by adjoint/rules/selection.py.
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype, unbroadcast


def untake(g, a, indices, axis=None, mode="raise"):
    """Gradient of np.take(a, indices, axis, mode): g added at the indices (repeats add up)."""
    a = np.asarray(a)
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    axis = None if axis is None else axis % a.ndim
    flat = out.reshape(-1) if axis is None else np.moveaxis(out, axis, 0)
    n = flat.shape[0]
    indices = np.asarray(indices)
    indices = np.clip(indices, 0, n - 1) if mode == "clip" else indices % n if mode == "wrap" else indices
    if axis is None:
        np.add.at(flat, indices, g)
    else:
        g = np.moveaxis(np.asarray(g), tuple(range(axis, axis + indices.ndim)),
                        tuple(range(indices.ndim)))
        np.add.at(flat, indices, g)
    return out


def untake_along_axis(g, arr, indices, axis=-1):
    """Gradient of np.take_along_axis(arr, indices, axis): g added at the indices."""
    arr = np.asarray(arr)
    out = np.zeros(arr.shape, dtype=np.result_type(float_dtype(arr), g))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices), g)
        return out
    axis = axis % arr.ndim
    indices = np.asarray(indices)
    shape = np.broadcast_shapes(tuple(1 if k == axis else n for k, n in enumerate(arr.shape)),
                                tuple(1 if k == axis else n for k, n in enumerate(indices.shape)))
    index = list(np.ogrid[tuple(slice(n) for n in shape)])
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out


def unsort(g, a, axis=-1):
    """Gradient of np.sort(a, axis): each entry of g goes back to where its value came from."""
    a = np.asarray(a)
    if axis is None:
        order = np.argsort(a, axis=None, kind="stable")
        out = np.zeros(a.size, dtype=np.result_type(float_dtype(a), g))
        out[order] = g
        return out.reshape(a.shape)
    order = np.argsort(a, axis=axis, kind="stable")
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    np.put_along_axis(out, order, g, axis)
    return out


def unselect(g, condlist, choicelist):
    """Gradient of np.select(condlist, choicelist): g goes to the first choice whose
    condition holds, entry by entry; one gradient per choice."""
    taken = np.zeros(np.shape(g), dtype=bool)
    grads = []
    for condition, choice in zip(condlist, choicelist):
        mask = np.logical_and(condition, np.logical_not(taken))
        grads.append(unbroadcast(np.where(mask, g, 0), choice))
        taken = np.logical_or(taken, condition)
    return grads

