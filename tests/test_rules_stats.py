"""Rules for scipy.stats distributions (skipped without scipy): finite differences with a
non-uniform output gradient, broadcasting between x and the parameters, float32 kept."""
import numpy as np
import pytest

from rule_harness import Case, RNG, check_case, check_float32, spd, uniform

stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")


def u(shape, lo=-2.0, hi=2.0):
    return uniform(shape, lo, hi)


KINDS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
CASES = []
for kind in KINDS:
    f = getattr(stats.norm, kind)
    CASES += [Case(f, (u((4,)),)), Case(f, (u((2, 3)), u((3,)), u((2, 1), 0.5, 2.0))),
              Case(f, (u((3,)),), {"loc": u(()), "scale": u((), 0.5, 2.0)})]
    f = getattr(stats.t, kind)
    CASES += [Case(f, (u((4,)), u((4,), 1.0, 6.0))),
              Case(f, (u((2, 3)), 3.5, u((3,)), u((2, 1), 0.5, 2.0)))]
    for dist, shapes, lo, hi in (("gamma", 1, 0.2, 4.0), ("chi2", 1, 0.2, 4.0), ("beta", 2, 0.1, 0.9)):
        f = getattr(getattr(stats, dist), kind)
        params = tuple(u((3,), 1.5, 4.0) for _ in range(shapes))
        CASES += [Case(f, (u((3,), lo, hi),) + params),
                  Case(f, (u((2, 3), lo, hi),) + tuple(u((), 1.5, 4.0) for _ in range(shapes)),
                       {"loc": u((3,), -0.1, 0.0), "scale": u((2, 1), 1.0, 1.2)})]
COUNTS = np.array([0, 1, 3, 5])
for kind in ("logpmf", "pmf", "cdf"):
    f = getattr(stats.poisson, kind)
    CASES += [Case(f, (COUNTS, u((4,), 0.5, 4.0))), Case(f, (COUNTS.reshape(2, 2), u((2, 1), 0.5, 4.0))),
              Case(f, (COUNTS + 1, u((), 0.5, 4.0)), {"loc": 1})]


def dirichlet_logpdf(x, alpha):
    """An independent implementation without scipy's simplex check, so finite
    differences can move x off the simplex (checked equal to scipy's on it below)."""
    a = np.reshape(alpha, (-1,) + (1,) * (np.ndim(x) - 1))
    norm = np.sum(special.gammaln(alpha)) - special.gammaln(np.sum(alpha))
    return np.sum((a - 1) * np.log(x), axis=0) - norm


def dirichlet_pdf(x, alpha):
    return np.exp(dirichlet_logpdf(x, alpha))


def simplex(*shape):
    x = RNG.uniform(0.2, 1.0, size=shape)
    return x / np.sum(x, axis=0)


DIRICHLET = [(simplex(3), u((3,), 0.5, 3.0)), (simplex(3, 4), u((3,), 0.5, 3.0))]
for kind, formula in (("logpdf", dirichlet_logpdf), ("pdf", dirichlet_pdf)):
    CASES += [Case(getattr(stats.dirichlet, kind), args, call=formula) for args in DIRICHLET]
MVN = stats.multivariate_normal


def cov_symmetrized(f):
    """f with its cov argument symmetrized, so finite differences see the symmetric
    perturbations the covariance gradient is defined for."""
    def call(x, mean=None, cov=1, **kw):
        cov = (cov + np.swapaxes(cov, -1, -2)) / 2 if np.ndim(cov) == 2 else cov
        return f(x, mean, cov, **kw)
    return call


for kind in ("logpdf", "pdf"):
    f = getattr(MVN, kind)
    CASES += [Case(f, (u((3,)), u((3,)), spd(3) / 3), call=cov_symmetrized(f)),
              Case(f, (u((4, 2)), u((2,)), spd(2) / 2), call=cov_symmetrized(f)),
              Case(f, (u((2, 3, 2)),), {"cov": spd(2) / 2}, call=cov_symmetrized(f)),
              Case(f, (u((4, 2)), u((2,)), u((2,), 0.5, 2.0)), note="diagonal cov"),
              Case(f, (u((3, 2)), u((2,)), 1.5), note="one variance")]
CASES += [Case(MVN.entropy, (u((3,)), spd(3) / 3), call=lambda m, c: MVN.entropy(m, (c + c.T) / 2)),
          Case(MVN.entropy, (), {"cov": spd(2) / 2},
               call=lambda mean=None, cov=1: MVN.entropy(mean, (cov + cov.T) / 2))]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    with np.errstate(divide="ignore"):
        check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    with np.errstate(divide="ignore"):
        check_float32(case)


@pytest.mark.parametrize("x,alpha", DIRICHLET)
def test_dirichlet_formula_is_scipys_and_x_gradient_holds_on_the_simplex(x, alpha):
    from adjoint.rules.stats import d_dirichlet_logpdf
    assert np.allclose(dirichlet_logpdf(x, alpha), stats.dirichlet.logpdf(x, alpha))
    g = RNG.normal(size=np.shape(stats.dirichlet.logpdf(x, alpha))) + 0.5
    grad_x, _ = d_dirichlet_logpdf(g, None, x, alpha)
    eps = 1e-6
    for i, j in ((0, 1), (2, 0)):  # moves along the simplex: scipy itself, no formula
        step = np.zeros_like(x)
        step[i], step[j] = eps, -eps
        moved = [np.sum(g * stats.dirichlet.logpdf(x + s * step, alpha)) for s in (1, -1)]
        assert np.isclose(np.sum(grad_x * step) / eps, (moved[0] - moved[1]) / (2 * eps), rtol=1e-5)
