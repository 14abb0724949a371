"""Rules for scipy.special (registered only when scipy is installed).

Conventions:
- logit, entr, rel_entr, kl_div, xlogy and xlog1py have poles at the edge of their
  domain; xlogy and xlog1py follow scipy's convention that 0 * log(0) is 0, so their
  gradient in y is 0 where x is 0.
- logsumexp: gradient to a (b is an option); not return_sign=True.
- softmax, log_softmax and logsumexp with axis=None act on the whole array.
"""
import math

import numpy as np

from ..runtime.reductions import weighted_by
from .registry import rule
from ..runtime.core import cast_like, expand_to, safe_div, safe_mul, unbroadcast

try:
    import scipy.special as special
except ImportError:  # scipy is optional
    special = None

SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
SQRT_2PI = math.sqrt(2.0 * math.pi)

if special is not None:
    @rule(special.expit, elementwise=True)
    def d_expit(g, y, x):
        return g * y * (1 - y)

    @rule(special.logit, elementwise=True)
    def d_logit(g, y, x):
        return safe_div(g, x * (1 - x))

    @rule(special.log_expit, elementwise=True)
    def d_log_expit(g, y, x):
        return g * special.expit(-x)

    @rule(special.logsumexp, elementwise=False)
    def d_logsumexp(g, y, a, axis=None, b=None, keepdims=False, return_sign=False):
        weights = np.exp(a - expand_to(y, a, axis, keepdims))  # softmax of a along axis
        return expand_to(g, a, axis, keepdims) * weighted_by(weights, b)

    @rule(special.softmax, elementwise=False)
    def d_softmax(g, y, x, axis=None):
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))

    @rule(special.log_softmax, elementwise=False)
    def d_log_softmax(g, y, x, axis=None):
        return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)

    if hasattr(special, "softplus"):  # scipy >= 1.15
        @rule(special.softplus, elementwise=True)
        def d_softplus(g, y, x):
            return g * special.expit(x)

    @rule(special.erf, elementwise=True)
    def d_erf(g, y, x):
        return g * np.exp(-x * x) / SQRT_PI_OVER_2

    @rule(special.erfc, elementwise=True)
    def d_erfc(g, y, x):
        return -g * np.exp(-x * x) / SQRT_PI_OVER_2

    @rule(special.erfinv, elementwise=True)
    def d_erfinv(g, y, x):
        return safe_mul(g, SQRT_PI_OVER_2 * np.exp(y * y))

    @rule(special.erfcinv, elementwise=True)
    def d_erfcinv(g, y, x):
        return safe_mul(g, -SQRT_PI_OVER_2 * np.exp(y * y))

    @rule(special.ndtr, elementwise=True)
    def d_ndtr(g, y, x):
        return g * np.exp(-x * x / 2) / SQRT_2PI

    @rule(special.log_ndtr, elementwise=True)
    def d_log_ndtr(g, y, x):
        return g * np.exp(-x * x / 2 - y) / SQRT_2PI

    @rule(special.ndtri, elementwise=True)
    def d_ndtri(g, y, x):
        return safe_mul(g, SQRT_2PI * np.exp(y * y / 2))

    @rule(special.gammaln, elementwise=True)
    def d_gammaln(g, y, x):
        return g * special.digamma(x)

    @rule(special.gamma, elementwise=True)
    def d_gamma(g, y, x):
        return g * y * special.digamma(x)

    @rule(special.digamma, elementwise=True)
    def d_digamma(g, y, x):
        return cast_like(g * special.polygamma(1, x), x)  # polygamma computes in float64

    @rule(special.polygamma, elementwise=True)
    def d_polygamma(g, y, n, x):
        return None, cast_like(g * special.polygamma(n + 1, x), x)

    @rule(special.betaln, elementwise=True)
    def d_betaln(g, y, a, b):
        both = special.digamma(a + b)
        return (unbroadcast(g * (special.digamma(a) - both), a),
                unbroadcast(g * (special.digamma(b) - both), b))

    @rule(special.beta, elementwise=True)
    def d_beta(g, y, a, b):
        both = special.digamma(a + b)
        return (unbroadcast(g * y * (special.digamma(a) - both), a),
                unbroadcast(g * y * (special.digamma(b) - both), b))

    @rule(special.xlogy, elementwise=True)
    def d_xlogy(g, out, x, y):
        return unbroadcast(g * np.log(y), x), unbroadcast(g * x / np.where(x == 0, 1, y), y)

    @rule(special.xlog1py, elementwise=True)
    def d_xlog1py(g, out, x, y):
        return unbroadcast(g * np.log1p(y), x), unbroadcast(g * x / np.where(x == 0, 1, 1 + y), y)

    @rule(special.entr, elementwise=True)
    def d_entr(g, y, x):
        # -x log x
        return safe_mul(g, -(np.log(x) + 1))

    @rule(special.rel_entr, elementwise=True)
    def d_rel_entr(g, out, x, y):
        # x log(x / y)
        return unbroadcast(safe_mul(g, np.log(x / y) + 1), x), unbroadcast(safe_mul(g, -x / y), y)

    @rule(special.kl_div, elementwise=True)
    def d_kl_div(g, out, x, y):
        # x log(x / y) - x + y
        return unbroadcast(safe_mul(g, np.log(x / y)), x), unbroadcast(safe_mul(g, 1 - x / y), y)

    @rule(special.i0, elementwise=True)
    def d_i0(g, y, x):
        return g * special.i1(x)

    @rule(special.i1, elementwise=True)
    def d_i1(g, y, x):
        return g * (special.i0(x) + special.iv(2, x)) / 2

    @rule(special.i0e, elementwise=True)
    def d_i0e(g, y, x):
        # i0e(x) = exp(-|x|) i0(x)
        return g * (special.i1e(x) - np.sign(x) * y)

    @rule(special.i1e, elementwise=True)
    def d_i1e(g, y, x):
        return g * ((special.i0e(x) + special.ive(2, x)) / 2 - np.sign(x) * y)

    @rule(special.j0, elementwise=True)
    def d_j0(g, y, x):
        return -g * special.j1(x)

    @rule(special.j1, elementwise=True)
    def d_j1(g, y, x):
        return g * (special.j0(x) - special.jv(2, x)) / 2

    @rule(special.y0, elementwise=True)
    def d_y0(g, y, x):
        return -g * special.y1(x)

    @rule(special.y1, elementwise=True)
    def d_y1(g, y, x):
        return g * (special.y0(x) - special.yv(2, x)) / 2
