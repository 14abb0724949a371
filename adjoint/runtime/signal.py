"""Helpers for signals and sampled functions: np.diff, np.interp (with respect to x,
the knots xp and the values fp), np.convolve and np.correlate in each mode,
np.trapezoid's weights and where each np.linspace sample sits between start and stop.

Like every module in adjoint.helpers, these hold the control flow and shape bookkeeping
a gradient rule cannot write inline, so the rule stays one readable line of math. A
helper's name appears in the generated code, so it must not change. The arrays they
build are new and writeable, in the input's float dtype (float32 stays float32).
Used by adjoint/rules/signal.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import AdjointError
from .core import float_dtype


def undiff(g, a, n=1, axis=-1, prepend=None, append=None):
    """Gradient of np.diff(a, n, axis, prepend, append): the adjoint of one difference
    (-diff of g padded with a zero at each end), n times, then a's part of the result."""
    g = np.asarray(g)
    for _ in range(n):
        widths = [(0, 0)] * g.ndim
        widths[axis] = (1, 1)
        g = -np.diff(np.pad(g, widths), axis=axis)
    before = 0 if prepend is None else (np.shape(prepend)[axis] if np.ndim(prepend) else 1)
    index = [slice(None)] * g.ndim
    index[axis] = slice(before, before + np.shape(a)[axis])
    return np.array(g[tuple(index)])


def _interp_parts(x, xp, fp, period=None):
    if period is not None:
        raise AdjointError("np.interp's gradient rule does not handle period=")
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    h = xp[j + 1] - xp[j]
    t = (x - xp[j]) / h
    inside = (x >= xp[0]) & (x <= xp[-1])
    return x, xp, fp, j, h, t, inside


def interp_segments(x, xp, period=None):
    """The index j of the segment [xp[j], xp[j+1]] each x is on (the first or last for x
    outside): an integer array, for np.interp's forward rule."""
    return _interp_parts(x, xp, xp, period)[3]


def interp_grad_x(g, x, xp, fp, left=None, right=None, period=None):
    """Gradient of np.interp with respect to x: g times the slope of the segment x is on
    (0 outside [xp[0], xp[-1]], where the result is constant)."""
    x, xp, fp, j, h, t, inside = _interp_parts(x, xp, fp, period)
    return g * np.where(inside, (fp[j + 1] - fp[j]) / h, 0)


def interp_grad_fp(g, x, xp, fp, left=None, right=None, period=None):
    """Gradient of np.interp with respect to fp: each x's g shared by its segment's ends."""
    x, xp, fp, j, h, t, inside = _interp_parts(x, xp, fp, period)
    out = np.zeros(fp.shape, dtype=np.result_type(float_dtype(fp), g))
    g = np.broadcast_to(g, x.shape)
    np.add.at(out, j, np.where(inside, g * (1 - t), 0))
    np.add.at(out, j + 1, np.where(inside, g * t, 0))
    if left is None:
        out[0] += np.sum(np.where(x < xp[0], g, 0))
    if right is None:
        out[-1] += np.sum(np.where(x > xp[-1], g, 0))
    return out


def interp_grad_xp(g, x, xp, fp, left=None, right=None, period=None):
    """Gradient of np.interp with respect to the knots xp (where x is strictly inside a segment)."""
    x, xp, fp, j, h, t, inside = _interp_parts(x, xp, fp, period)
    slope = (fp[j + 1] - fp[j]) / h
    out = np.zeros(xp.shape, dtype=np.result_type(float_dtype(xp), g))
    g = np.where(inside, np.broadcast_to(g, x.shape), 0)
    np.add.at(out, j, g * slope * (t - 1))
    np.add.at(out, j + 1, -g * slope * t)
    return out


def _mode_start(mode, na, nv, correlate=False):
    if mode == "full":
        return 0
    if mode == "valid":
        return min(na, nv) - 1
    if correlate and nv > na:
        return na // 2
    return (min(na, nv) - 1) // 2


def _full_grad(g, na, nv, mode, correlate):
    full = np.zeros(na + nv - 1, dtype=np.result_type(g, np.float32))
    start = _mode_start(mode, na, nv, correlate)
    full[start:start + np.size(g)] = g
    return full


def convolve_left(g, a, v, mode="full"):
    """Gradient of np.convolve(a, v, mode) with respect to a."""
    full = _full_grad(g, np.size(a), np.size(v), mode, False)
    return np.correlate(full, np.asarray(v), "valid").astype(np.result_type(float_dtype(a), g))


def convolve_right(g, a, v, mode="full"):
    """Gradient of np.convolve(a, v, mode) with respect to v."""
    full = _full_grad(g, np.size(a), np.size(v), mode, False)
    return np.correlate(full, np.asarray(a), "valid").astype(np.result_type(float_dtype(v), g))


def correlate_left(g, a, v, mode="valid"):
    """Gradient of np.correlate(a, v, mode) with respect to a (correlate(a, v) = convolve(a, v[::-1]))."""
    full = _full_grad(g, np.size(a), np.size(v), mode, True)
    return np.correlate(full, np.asarray(v)[::-1], "valid").astype(np.result_type(float_dtype(a), g))


def correlate_right(g, a, v, mode="valid"):
    """Gradient of np.correlate(a, v, mode) with respect to v."""
    full = _full_grad(g, np.size(a), np.size(v), mode, True)
    return np.correlate(full, np.asarray(a), "valid")[::-1].astype(np.result_type(float_dtype(v), g))


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """d np.trapezoid(y, x, dx, axis) / d y: half the spacing on each side of each sample."""
    y = np.asarray(y)
    axis = axis % y.ndim
    d = np.diff(np.asarray(x), axis=-1 if np.ndim(x) == 1 else axis) if x is not None \
        else np.full(y.shape[axis] - 1, dx, dtype=float_dtype(y))
    if np.ndim(d) == 1:
        shape = [1] * y.ndim
        shape[axis] = d.size
        d = np.reshape(d, shape)
    widths = [(0, 0)] * y.ndim
    widths[axis] = (1, 0)
    left = np.pad(d, widths)
    widths[axis] = (0, 1)
    right = np.pad(d, widths)
    return np.broadcast_to((left + right) / 2, y.shape).astype(np.result_type(float_dtype(y), d))


def linspace_fraction(y, num=50, endpoint=True, axis=0):
    """Where each sample of y = np.linspace(start, stop, num, endpoint, axis=axis) sits
    between start (0) and stop (1), shaped to broadcast against y."""
    steps = (num - 1 if endpoint else num) or 1
    t = np.arange(num, dtype=float_dtype(y)) / steps
    shape = [1] * np.ndim(y)
    shape[axis] = num
    return np.reshape(t, shape)

