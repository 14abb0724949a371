"""Rules for differences, interpolation, convolution, polynomials and integration over
1-D sequences: diff, interp, convolve, correlate, polyval, trapezoid, linspace.

Limits:
- diff: no gradient to prepend=/append= values.
- interp: gradients to x, xp and fp; none to left=/right= values (options); not period=.
  x exactly on a knot takes the slope of the segment to its right.
- linspace: not retstep=True.
"""
import numpy as np

from ..runtime.signal import (convolve_left, convolve_right, correlate_left, correlate_right,
                              interp_grad_fp, interp_grad_x, interp_grad_xp, linspace_fraction,
                              trapezoid_weights, undiff)
from .registry import rule
from ..runtime.core import cast_like, unbroadcast


@rule(np.diff, elementwise=False)
def d_diff(g, y, a, n=1, axis=-1, prepend=None, append=None):
    return undiff(g, a, n, axis, prepend, append)


@rule(np.interp, elementwise=False)
def d_interp(g, y, x, xp, fp, left=None, right=None, period=None):
    return (interp_grad_x(g, x, xp, fp, left, right, period),
            interp_grad_xp(g, x, xp, fp, left, right, period),
            interp_grad_fp(g, x, xp, fp, left, right, period))


@rule(np.convolve, elementwise=False)
def d_convolve(g, y, a, v, mode="full"):
    return convolve_left(g, a, v, mode), convolve_right(g, a, v, mode)


@rule(np.correlate, elementwise=False)
def d_correlate(g, y, a, v, mode="valid"):
    return correlate_left(g, a, v, mode), correlate_right(g, a, v, mode)


@rule(np.polyval, elementwise=False)
def d_polyval(g, y, p, x):
    # p[0] x^(n-1) + ... + p[n-1]:  d/dp = powers of x,  d/dx = the derivative polynomial
    powers = np.vander(np.ravel(x), np.size(p))  # x^(n-1), ..., x, 1 (np.vander computes in float64)
    return (cast_like(np.reshape(np.ravel(g) @ powers, np.shape(p)), p),
            cast_like(g * np.polyval(np.polyder(p), x), x))


@rule(np.trapezoid if hasattr(np, "trapezoid") else np.trapz, elementwise=False)
def d_trapezoid(g, area, y, x=None, dx=1.0, axis=-1):
    """Gradient for the samples y only (x and dx are options)."""
    return np.expand_dims(g, axis) * trapezoid_weights(y, x, dx, axis)


@rule(np.linspace, elementwise=False)
def d_linspace(g, y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    t = linspace_fraction(y, num, endpoint, axis)  # where each sample sits, 0 at start, 1 at stop
    return (unbroadcast(np.sum(g * (1 - t), axis=axis), start),
            unbroadcast(np.sum(g * t, axis=axis), stop))
