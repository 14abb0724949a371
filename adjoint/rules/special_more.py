"""Rules for more of scipy.special: the incomplete gamma and beta functions, Bessel
functions of integer or real order, multigammaln and rgamma (registered only when scipy
is installed).

Conventions and limits:
- gammainc, gammaincc, betainc: gradient with respect to x only; their shape parameters
  (a, b) have no closed-form derivative, so passing one that depends on the values
  differentiated is refused (never a zero).
- iv, ive, jv (alias jn), yn: gradient with respect to the argument only, not the order.
- multigammaln: gradient with respect to a; d is an integer.
- gammasgn is declared without gradient (its output is a sign).
"""
import numpy as np

from .registry import nondiff, rule
from ..runtime.core import cast_like, unbroadcast

try:
    import scipy.special as special
except ImportError:  # scipy is optional
    special = None

if special is not None:
    from ..runtime.special import multigammaln_slope

    @rule(special.gammainc, elementwise=True)
    def d_gammainc(g, y, a, x):
        # the regularized lower incomplete gamma P(a, x): dP/dx = x^(a-1) e^-x / Gamma(a)
        return None, cast_like(unbroadcast(g * np.exp((a - 1) * np.log(x) - x - special.gammaln(a)), x), x)

    @rule(special.gammaincc, elementwise=True)
    def d_gammaincc(g, y, a, x):
        return None, cast_like(unbroadcast(-g * np.exp((a - 1) * np.log(x) - x - special.gammaln(a)), x), x)

    @rule(special.betainc, elementwise=True)
    def d_betainc(g, y, a, b, x):
        # the regularized incomplete beta I_x(a, b): dI/dx = x^(a-1) (1-x)^(b-1) / B(a, b)
        density = np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - special.betaln(a, b))
        return None, None, cast_like(unbroadcast(g * density, x), x)

    @rule(special.iv, elementwise=True)
    def d_iv(g, y, v, z):
        return None, cast_like(unbroadcast(g * (special.iv(v - 1, z) + special.iv(v + 1, z)) / 2, z), z)

    @rule(special.ive, elementwise=True)
    def d_ive(g, y, v, z):
        # ive(v, z) = iv(v, z) exp(-|z|)
        slope = (special.ive(v - 1, z) + special.ive(v + 1, z)) / 2 - np.sign(z) * y
        return None, cast_like(unbroadcast(g * slope, z), z)

    @rule(special.jv, elementwise=True)
    def d_jv(g, y, v, z):
        """Also scipy.special.jn (the same function)."""
        return None, cast_like(unbroadcast(g * (special.jv(v - 1, z) - special.jv(v + 1, z)) / 2, z), z)

    @rule(special.yn, elementwise=True)
    def d_yn(g, y, n, x):
        return None, cast_like(unbroadcast(g * (special.yn(n - 1, x) - special.yn(n + 1, x)) / 2, x), x)

    @rule(special.multigammaln, elementwise=True)
    def d_multigammaln(g, y, a, d):
        return cast_like(g * multigammaln_slope(a, d), a), None

    @rule(special.rgamma, elementwise=True)
    def d_rgamma(g, y, x):
        return cast_like(-g * y * special.digamma(x), x)

    nondiff(special.gammasgn, reason="its output is a sign (piecewise constant)")
