"""Gradient rules for the helpers that forward rules call, so that forward code can be
differentiated again (reverse over forward: Hessians, HVPs, grad of grad). The helpers of
runtime/tangents.py and the elementwise templates' helpers are in forward_helpers.py.

- the norms' slopes (norm_slope, vector_norm_slope, matrix_norm_slope) and prod_of_others
  are gradients of a scalar function, so their Jacobian (a Hessian) is symmetric: the
  same Hessian-vector product is their reverse and their forward rule;
- power_slope (b a^(b-1)) and multigammaln_slope have elementwise formulas, so every
  order works;
- np.polyder (in np.polyval's forward rule) is linear;
- cumprod_tangent and multi_dot_tangent get reverse rules (second order) and no forward
  rule: third order through cumprod and multi_dot is refused, naming the user's line.
"""
import math

import numpy as np

from ..runtime.core import cast_like, float_dtype, power_slope, safe_log, unbroadcast
from ..runtime.norm_slopes import (deeper_than_svd, matrix_norm_slope, matrix_norm_slope_vjp, norm_kind,
                                   norm_slope, norm_slope_vjp, power_norm_hvp, singular_norm_hvp,
                                   vector_norm_slope, vector_norm_slope_vjp)
from ..runtime.reductions import prod_of_others, reduced_axes
from ..runtime.second_order import copysign_slope, polyder_grad
from ..runtime.tangents import cumprod_tangent, multi_dot_tangent
from .registry import forward_rule, linear, nondiff, rule, through_source
from .special import special

nondiff(copysign_slope, reason="its output is piecewise constant (+1 or -1)")
# written with operations whose rules have every order: differentiated through their source
through_source(norm_slope_vjp, vector_norm_slope_vjp, matrix_norm_slope_vjp, power_norm_hvp,
               prod_of_others, cumprod_tangent, multi_dot_tangent)
nondiff(reduced_axes, norm_kind, reason="its output is axes and flags (ints, bools)")
nondiff(float_dtype, reason="its output is a dtype")


@rule(singular_norm_hvp, elementwise=False)
def d_singular_norm_hvp(h, y, g, x, ord="nuc", axes=(0, 1)):
    return deeper_than_svd(ord), deeper_than_svd(ord)


@d_singular_norm_hvp.forward
def j_singular_norm_hvp(dg, dx, y, g, x, ord="nuc", axes=(0, 1)):
    return deeper_than_svd(ord), deeper_than_svd(ord)


@forward_rule(np.copysign)
def j_copysign(da, db, y, a, b):
    # written (not derived from the reverse rule) so that the sign of b is a constant
    return da * copysign_slope(a, b), None


@forward_rule(math.copysign)
def j_math_copysign(da, db, y, a, b):
    return da * float(copysign_slope(a, b)), None


@rule(norm_slope, elementwise=False)
def d_norm_slope(g, y, x, ord=None, axis=None, keepdims=False):
    return norm_slope_vjp(g, x, ord, axis, keepdims)


@d_norm_slope.forward
def j_norm_slope(dx, y, x, ord=None, axis=None, keepdims=False):
    return norm_slope_vjp(dx, x, ord, axis, keepdims)


if hasattr(np.linalg, "vector_norm"):
    @rule(vector_norm_slope, elementwise=False)
    def d_vector_norm_slope(g, y, x, axis=None, keepdims=False, ord=2):
        return vector_norm_slope_vjp(g, x, axis, keepdims, ord)

    @d_vector_norm_slope.forward
    def j_vector_norm_slope(dx, y, x, axis=None, keepdims=False, ord=2):
        return vector_norm_slope_vjp(dx, x, axis, keepdims, ord)

    @rule(matrix_norm_slope, elementwise=False)
    def d_matrix_norm_slope(g, y, x, keepdims=False, ord="fro"):
        return matrix_norm_slope_vjp(g, x, keepdims, ord)

    @d_matrix_norm_slope.forward
    def j_matrix_norm_slope(dx, y, x, keepdims=False, ord="fro"):
        return matrix_norm_slope_vjp(dx, x, keepdims, ord)


@rule(power_slope, elementwise=True)
def d_power_slope(g, y, a, b):
    # y = b a^(b-1):  dy/da = b (b-1) a^(b-2),  dy/db = a^(b-1) (1 + b log a)
    return (unbroadcast(g * b * power_slope(a, b - 1), a),
            unbroadcast(g * (a ** (b - 1) + y * safe_log(a)), b))


@rule(np.polyder, elementwise=False)  # in np.polyval's forward rule
def d_polyder(g, y, p, m=1):
    return polyder_grad(g, p, m)


linear(np.polyder)


if special is not None:
    from ..runtime.special import multigammaln_slope

    @rule(multigammaln_slope, elementwise=True)
    def d_multigammaln_slope(g, y, a, d, order=0):
        return cast_like(g * multigammaln_slope(a, d, order + 1), a), None
