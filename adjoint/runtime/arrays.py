"""Helpers for np.partition, np.gradient and np.rollaxis.

partition returns a permutation of its input along an axis: each entry of g goes back
to an entry with the same value (matched by stable rank, so ties, whose order is
arbitrary, still receive exactly one entry each). np.gradient is linear in f for fixed
spacing: its adjoint along each axis is the transpose of the difference matrix numpy
builds (applied to an identity), so every spacing form and edge_order is numpy's own.
Used by adjoint/rules/arrays.py.
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype


def unpermute(g, a, y, axis=-1):
    """Gradient of y, a permutation of a along axis (np.partition): g sent back by rank."""
    a = np.asarray(a)
    if axis is None:
        return np.reshape(unpermute(np.ravel(g), np.ravel(a), np.ravel(y), 0), a.shape)
    source = np.argsort(a, axis=axis, kind="stable")
    target = np.argsort(y, axis=axis, kind="stable")
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    np.put_along_axis(out, source, np.take_along_axis(np.asarray(g), target, axis), axis)
    return out


def _gradient_axes(f, axis):
    ndim = np.ndim(f)
    if axis is None:
        return list(range(ndim))
    return [int(a) % ndim for a in ((axis,) if np.ndim(axis) == 0 else axis)]


def gradient_grads(g, args, axis=None, edge_order=1):
    """Gradient of np.gradient(f, *spacing, axis=, edge_order=) with respect to f (args[0]);
    the spacing arguments get no gradient (the rule refuses them if they have one)."""
    f = np.asarray(args[0])
    spacing = list(args[1:])
    axes = _gradient_axes(f, axis)
    if len(spacing) == 1 and len(axes) > 1:
        spacing = spacing * len(axes)
    outputs = [g] if len(axes) == 1 else list(g)
    total = np.zeros(f.shape, dtype=np.result_type(float_dtype(f), *outputs))
    for k, ax in enumerate(axes):
        n = f.shape[ax]
        step = spacing[k:k + 1] if spacing else []
        matrix = np.gradient(np.eye(n), *step, axis=0, edge_order=edge_order)  # d[i] = M[i] @ f
        moved = np.moveaxis(np.asarray(outputs[k]), ax, -1) @ matrix
        total += np.moveaxis(moved, -1, ax)
    return (total,) + (None,) * (len(args) - 1)


def unroll_axis(g, a, axis, start=0):
    """Gradient of np.rollaxis(a, axis, start): the inverse of its axis permutation."""
    ndim = np.ndim(a)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    if axis < start:
        start -= 1
    axes = list(range(ndim))
    axes.insert(start, axes.pop(axis))
    return np.transpose(g, np.argsort(axes))
