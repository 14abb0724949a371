"""Helpers for scipy.stats distributions: the gradients of logpdf, pdf, cdf, logcdf, sf,
logsf, logpmf, pmf and entropy with respect to the value, the shape parameters, loc and
scale.

Every continuous family here is a location-scale family: with z = (x - loc) / scale,
logpdf = h(z, shape) - log(scale), and a cdf-like function is H(z, shape). So each
function is described by its slope dF/dz and, for densities, the -1/scale term (times
the density for pdf); `_location_scale` turns those into the gradients for x, loc and
scale (dF/dloc = -dF/dx, dF/dscale = -z dF/dx + the density term). Each gradient is
summed back to its input's shape and returned in its float dtype (scipy computes in
float64). Used by adjoint/rules/stats.py.
"""
from __future__ import annotations

import numpy as np
import scipy.special as special
import scipy.stats as stats

from .core import cast_like, unbroadcast

DENSITY = ("logpdf", "pdf")


def _grad(value, x):
    return cast_like(unbroadcast(value, x), x)


def _location_scale(g, y, kind, slope, z, x, loc, scale):
    """(grad x, grad loc, grad scale) of F(z) = F((x - loc) / scale), dF/dz = slope."""
    if kind == "pdf":
        slope = slope * y  # pdf = exp(logpdf): slope was that of logpdf
    dx = g * slope / scale
    density = (-g * y if kind == "pdf" else -g) / scale if kind in DENSITY else 0.0
    return _grad(dx, x), _grad(-dx, loc), _grad(-z * dx + density, scale)


def _tail_slope(kind, z, logpdf_z, y):
    """dF/dz of cdf, logcdf, sf, logsf, given the standard log density at z."""
    density = np.exp(logpdf_z)
    return {"cdf": density, "sf": -density, "logcdf": np.exp(logpdf_z - y),
            "logsf": -np.exp(logpdf_z - y)}[kind]


def _shaped(g, y, kind, value, x):
    """Gradient for a shape parameter from d logpdf / d parameter (`value`)."""
    return _grad(g * value * (y if kind == "pdf" else 1.0), x)


def norm_grads(g, y, x, loc, scale, kind):
    """Gradients of scipy.stats.norm.<kind>(x, loc, scale)."""
    z = (np.asarray(x) - loc) / scale
    slope = -z if kind in DENSITY else _tail_slope(kind, z, stats.norm.logpdf(z), y)
    return _location_scale(g, y, kind, slope, z, x, loc, scale)


def t_grads(g, y, x, df, loc, scale, kind):
    """Gradients of scipy.stats.t.<kind>(x, df, loc, scale); df only for the densities
    (cdf-like functions return the gradients for x, loc and scale)."""
    z = (np.asarray(x) - loc) / scale
    if kind not in DENSITY:
        slope = _tail_slope(kind, z, stats.t.logpdf(z, df), y)
        return _location_scale(g, y, kind, slope, z, x, loc, scale)
    slope = -(df + 1) * z / (df + z * z)
    d_df = 0.5 * (special.digamma((df + 1) / 2) - special.digamma(df / 2) - 1 / df
                  - np.log1p(z * z / df) + (df + 1) * z * z / (df * (df + z * z)))
    gx, gloc, gscale = _location_scale(g, y, kind, slope, z, x, loc, scale)
    return gx, _shaped(g, y, kind, d_df, df), gloc, gscale


def gamma_grads(g, y, x, a, loc, scale, kind):
    """Gradients of scipy.stats.gamma.<kind>(x, a, loc, scale); a only for the densities."""
    z = (np.asarray(x) - loc) / scale
    if kind not in DENSITY:
        slope = _tail_slope(kind, z, stats.gamma.logpdf(z, a), y)
        return _location_scale(g, y, kind, slope, z, x, loc, scale)
    slope = (a - 1) / z - 1
    gx, gloc, gscale = _location_scale(g, y, kind, slope, z, x, loc, scale)
    return gx, _shaped(g, y, kind, np.log(z) - special.digamma(a), a), gloc, gscale


def beta_grads(g, y, x, a, b, loc, scale, kind):
    """Gradients of scipy.stats.beta.<kind>(x, a, b, loc, scale); a, b only for densities."""
    z = (np.asarray(x) - loc) / scale
    if kind not in DENSITY:
        slope = _tail_slope(kind, z, stats.beta.logpdf(z, a, b), y)
        return _location_scale(g, y, kind, slope, z, x, loc, scale)
    slope = (a - 1) / z - (b - 1) / (1 - z)
    both = special.digamma(a + b)
    gx, gloc, gscale = _location_scale(g, y, kind, slope, z, x, loc, scale)
    return (gx, _shaped(g, y, kind, np.log(z) - special.digamma(a) + both, a),
            _shaped(g, y, kind, np.log1p(-z) - special.digamma(b) + both, b), gloc, gscale)


def chi2_grads(g, y, x, df, loc, scale, kind):
    """Gradients of scipy.stats.chi2.<kind>(x, df, loc, scale); df only for the densities
    (cdf-like functions return the gradients for x, loc and scale)."""
    z = (np.asarray(x) - loc) / scale
    if kind not in DENSITY:
        slope = _tail_slope(kind, z, stats.chi2.logpdf(z, df), y)
        return _location_scale(g, y, kind, slope, z, x, loc, scale)
    slope = (df / 2 - 1) / z - 0.5
    d_df = 0.5 * (np.log(z / 2) - special.digamma(df / 2))
    gx, gloc, gscale = _location_scale(g, y, kind, slope, z, x, loc, scale)
    return gx, _shaped(g, y, kind, d_df, df), gloc, gscale


def poisson_mu_grad(g, y, k, mu, loc, kind):
    """Gradient of scipy.stats.poisson.<kind>(k, mu, loc) with respect to mu (k, an
    integer count, has none)."""
    k = np.asarray(k) - loc
    if kind == "cdf":  # P(K <= k) = Q(floor(k) + 1, mu): d/dmu = -pmf(floor(k), mu)
        return _grad(-g * stats.poisson.pmf(np.floor(k), mu), mu)
    return _shaped(g, y, "pdf" if kind == "pmf" else "logpdf", k / mu - 1, mu)


def dirichlet_grads(g, y, x, alpha, kind):
    """Gradients of scipy.stats.dirichlet.<kind>(x, alpha): components on x's first axis
    (x on the simplex: only perturbations that keep sum(x) = 1 are meaningful)."""
    x = np.asarray(x)
    a = np.reshape(alpha, (-1,) + (1,) * (x.ndim - 1))
    weight = g * (y if kind == "pdf" else 1.0)
    dx = weight * (a - 1) / x
    d_alpha = weight * (np.log(x) - special.digamma(a) + special.digamma(np.sum(alpha)))
    return cast_like(dx, x), cast_like(np.reshape(np.sum(d_alpha, axis=tuple(range(1, x.ndim))),
                                                  np.shape(alpha)), alpha)


def _as_matrix(cov, d):
    cov = np.asarray(cov, dtype=np.result_type(cov, np.float64))
    return cov if cov.ndim == 2 else np.diag(cov) if cov.ndim == 1 else cov * np.eye(d)


def _matrix_grad_for(full, cov):
    """A gradient computed for the (d, d) covariance, for a cov given as a matrix, a
    vector of variances or one variance."""
    ndim = np.ndim(cov)
    value = full if ndim == 2 else np.diagonal(full) if ndim == 1 else np.trace(full)
    return cast_like(value, cov)


def mvn_grads(g, y, x, mean, cov, kind):
    """Gradients of scipy.stats.multivariate_normal.<kind>(x, mean, cov) (logpdf or pdf),
    points on x's last axis. The covariance gradient is the symmetric one (valid for
    the symmetric perturbations a covariance allows), as for np.linalg.eigh."""
    x = np.asarray(x)
    d = x.shape[-1]
    precision = np.linalg.inv(_as_matrix(cov, d))
    r = x - (0.0 if mean is None else mean)
    weight = np.asarray(g * (y if kind == "pdf" else 1.0))[..., None]  # one per point
    pr = r @ precision
    dx = -weight * pr
    flat_pr = np.reshape(pr, (-1, d))
    flat_w = np.reshape(weight, (-1, 1))
    d_cov = 0.5 * (flat_pr.T @ (flat_w * flat_pr) - np.sum(flat_w) * precision)
    d_mean = None if mean is None else cast_like(unbroadcast(-dx, mean), mean)
    return cast_like(dx, x), d_mean, _matrix_grad_for(d_cov, cov)


def mvn_entropy_grads(g, mean, cov):
    """Gradients of multivariate_normal.entropy(mean, cov) = log det(2 pi e cov) / 2:
    0 for mean (the entropy does not depend on it), inv(cov) / 2 for cov."""
    d = np.shape(mean)[-1] if np.ndim(mean) else 1 if np.ndim(cov) < 2 else np.shape(cov)[0]
    full = 0.5 * g * np.linalg.inv(_as_matrix(cov, d))
    zero = None if mean is None else cast_like(np.zeros(np.shape(mean)), mean)
    return zero, _matrix_grad_for(full, cov)
