"""Rules for scipy.special (skipped when scipy is not installed)."""
import numpy as np
import pytest

from rule_harness import Case, check_case, check_float32, reduction_cases, unary_cases, uniform

special = pytest.importorskip("scipy.special")

CASES = []
for f in (special.expit, special.log_expit, special.erf, special.erfc, special.ndtr,
          special.log_ndtr, special.j0, special.j1, special.y0, special.y1, special.i0, special.i1,
          special.i0e, special.i1e):
    CASES += unary_cases(f, *((0.3, 4.0) if f in (special.y0, special.y1) else (-3.0, 3.0)))
if hasattr(special, "softplus"):
    CASES += unary_cases(special.softplus)
CASES += unary_cases(special.logit, 0.1, 0.9) + unary_cases(special.ndtri, 0.1, 0.9)
CASES += unary_cases(special.erfinv, -0.9, 0.9) + unary_cases(special.erfcinv, 0.1, 1.9)
CASES += unary_cases(special.gammaln, 0.3, 5.0) + unary_cases(special.gamma, 0.3, 4.0)
CASES += unary_cases(special.digamma, 0.3, 5.0) + unary_cases(special.entr, 0.1, 3.0)
CASES += [Case(special.polygamma, (1, uniform((3,), 0.5, 4.0))),
          Case(special.polygamma, (np.array([0, 2]), uniform((2, 2), 0.5, 4.0)))]
for f in (special.betaln, special.beta, special.rel_entr, special.kl_div):
    CASES += [Case(f, (uniform((3,), 0.3, 3.0), uniform((3,), 0.3, 3.0))),
              Case(f, (uniform((2, 3), 0.3, 3.0), uniform((3,), 0.3, 3.0)))]
for f in (special.xlogy, special.xlog1py):
    CASES += [Case(f, (uniform((3,)), uniform((3,), 0.3, 3.0))),
              Case(f, (uniform((2, 3)), uniform((), 0.3, 3.0)))]
CASES += reduction_cases(special.logsumexp, options=({}, {"axis": 0}, {"axis": -1, "keepdims": True},
                                                     {"axis": (0, 2)}, {"keepdims": True}))
CASES += [Case(special.logsumexp, (uniform((3, 4)),), {"axis": 1, "b": uniform((3, 4), 0.5, 2.0)}),
          Case(special.logsumexp, (uniform((4,)),), {"b": uniform((4,), 0.5, 2.0)})]
for f in (special.softmax, special.log_softmax):
    CASES += [Case(f, (uniform((5,)),)), Case(f, (uniform((3, 4)),)),
              Case(f, (uniform((3, 4)),), {"axis": 1}), Case(f, (uniform((2, 3, 2)),), {"axis": (0, 2)})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


def test_xlogy_gradient_in_y_is_zero_where_x_is_zero():
    from adjoint.rules.special import d_xlogy
    with np.errstate(divide="ignore"):  # d/dx = log(0) = -inf there, as it should be
        _, gy = d_xlogy(np.ones(2), None, np.array([0.0, 2.0]), np.array([0.0, 4.0]))
    assert gy.tolist() == [0.0, 0.5]
