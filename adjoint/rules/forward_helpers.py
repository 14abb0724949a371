"""Gradient rules for the helpers that forward-mode code calls, so that code can be
differentiated again (reverse over forward: Hessian-vector products, grad of grad).

The helpers of runtime/tangents.py (broadcast_like, writable_tangent, diff_tangent, ...)
get theirs first.

The elementwise rules' templates use safe_div, safe_mul, safe_log and cast_like, so the
forward rules derived from them do too; the written forward rules use as_columns,
as_lower, lower_halved, inverse_gaps, triangle_tangent and weighted_by (and the reverse
rules read_triangle); the Bessel-function rules (j1, y1, i1, i1e) use jv, yv, iv and
ive; sinc's forward rule uses sinc_slope. Each is elementwise or linear, so its own
forward rule is derived or declared and the next order works the same way.
"""
import math

import numpy as np

from ..runtime.core import cast_like, safe_div, safe_log, safe_mul, unbroadcast
from ..runtime.linalg import (as_columns, as_lower, inverse_gaps, lower_halved, read_triangle, reads_upper,
                              triangle_tangent)
from ..runtime.reductions import weighted_by
from ..runtime.signal import undiff
from ..runtime.tangents import (broadcast_like, clip_weights, diff_tangent, sinc_slope, unit_tangent,
                                writable_tangent, zero_or_none, zero_tangent)
from .registry import linear, nondiff, rule
from .special import special
from .unary import d_sinc

PI_SQUARED_OVER_3 = math.pi ** 2 / 3

nondiff(zero_tangent, unit_tangent, zero_or_none,
        reason="a tangent that does not depend on the inputs' values")
nondiff(clip_weights, reason="its output is piecewise constant (which bound is active)")
nondiff(reads_upper, reason="a flag read from eigh's UPLO string")


@rule(broadcast_like, elementwise=False, indices=("x",))  # x: only its shape
def d_broadcast_like(g, y, t, x):
    return unbroadcast(g, t), None


@rule(diff_tangent, elementwise=False)
def d_diff_tangent(g, y, da, n=1, axis=-1, prepend=None, append=None):
    return undiff(g, da, n, axis, prepend, append)


@rule(writable_tangent, elementwise=False, indices=("x",))  # x: only its shape
def d_writable_tangent(g, y, t, x):
    return unbroadcast(g, t), None


@rule(safe_div, elementwise=True)
def d_safe_div(grad, y, g, d):
    # y = g / d, and 0 where g is 0: so its slope in d is 0 there too
    return unbroadcast(safe_div(grad, d), g), unbroadcast(-safe_div(grad * y, d), d)


@rule(safe_mul, elementwise=True)
def d_safe_mul(grad, y, g, d):
    return unbroadcast(safe_mul(grad, d), g), unbroadcast(grad * g, d)


@rule(safe_log, elementwise=True)
def d_safe_log(g, y, x):
    # log(x) where x > 0, else the constant 0
    return safe_div(g, x) * (x > 0)


@rule(cast_like, elementwise=True, indices=("x",))  # x: only its dtype
def d_cast_like(grad, y, g, x):
    return cast_like(grad, g), None


@rule(weighted_by, elementwise=True)
def d_weighted_by(g, y, w, b=None):
    """No gradient to b (logsumexp's scale factors are an option there too)."""
    return weighted_by(g, b)


@rule(as_columns, elementwise=False, indices=("b",))  # b: only its shape
def d_as_columns(g, y, v, b):
    return np.reshape(g, np.shape(v)), None


@rule(as_lower, elementwise=False)
def d_as_lower(g, y, m, upper=False):
    return as_lower(g, upper)


@rule(lower_halved, elementwise=False)
def d_lower_halved(g, y, x):
    return lower_halved(g)


@rule(triangle_tangent, elementwise=False)
def d_triangle_tangent(g, y, da, upper=False):
    # the two are each other's transposes (adjoints): one triangle mirrored, and folded
    return read_triangle(g, upper)


@rule(read_triangle, elementwise=False)
def d_read_triangle(g, y, m, upper=False):
    return triangle_tangent(g, upper)


linear(as_columns, as_lower, lower_halved, triangle_tangent, read_triangle)


@rule(inverse_gaps, elementwise=False)
def d_inverse_gaps(g, y, w):
    # y[i, j] = 1 / (w[j] - w[i]):  dy/dw[j] = -y^2,  dy/dw[i] = y^2  (0 where y is 0)
    squared = g * y * y
    return np.sum(squared, axis=-1) - np.sum(squared, axis=-2)


@d_inverse_gaps.forward
def j_inverse_gaps(dw, y, w):
    return -(y * y) * (np.expand_dims(dw, -2) - np.expand_dims(dw, -1))


@rule(sinc_slope, elementwise=True)
def d_sinc_slope(g, y, x):
    # (-pi sin(pi x) - 2 y) / x, whose limit at 0 is -pi^2 / 3
    safe_x = np.where(x == 0, 1, x)
    return g * np.where(x == 0, -PI_SQUARED_OVER_3, (-np.pi * np.sin(np.pi * x) - 2 * y) / safe_x)


@d_sinc.forward
def j_sinc(dx, y, x):
    """Written out (not derived) so that its own derivative is right at x = 0 as well."""
    return dx * sinc_slope(x)


if special is not None:
    @rule(special.jv, elementwise=True)
    def d_jv(g, y, v, z):
        """Gradient in z only (the order v is an integer or a constant)."""
        return None, unbroadcast(g * (special.jv(v - 1, z) - special.jv(v + 1, z)) / 2, z)

    @rule(special.yv, elementwise=True)
    def d_yv(g, y, v, z):
        """Gradient in z only."""
        return None, unbroadcast(g * (special.yv(v - 1, z) - special.yv(v + 1, z)) / 2, z)

    @rule(special.iv, elementwise=True)
    def d_iv(g, y, v, z):
        """Gradient in z only."""
        return None, unbroadcast(g * (special.iv(v - 1, z) + special.iv(v + 1, z)) / 2, z)

    @rule(special.ive, elementwise=True)
    def d_ive(g, y, v, z):
        """Gradient in z only; ive(v, z) = iv(v, z) exp(-|z|)."""
        slope = (special.ive(v - 1, z) + special.ive(v + 1, z)) / 2 - np.sign(z) * y
        return None, unbroadcast(g * slope, z)

