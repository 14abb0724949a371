"""Rules for scipy.linalg's solvers and sqrtm, scipy.signal.convolve and more of
scipy.special (skipped without scipy).

The assertions are in rule_harness.check_case and check_float32 (assert on each
gradient's shape, dtype and agreement with finite differences).
"""
import numpy as np
import pytest

from rule_harness import Case, check_case, check_float32, spd, uniform

linalg = pytest.importorskip("scipy.linalg")
signal = pytest.importorskip("scipy.signal")
special = pytest.importorskip("scipy.special")


def u(*shape, lo=-2.0, hi=2.0):
    return uniform(shape, lo, hi)


def triangular(n, lower):
    m = u(n, n) + 3 * np.eye(n)
    return np.tril(m) if lower else np.triu(m)


def banded(n, lower, upper):
    """ab storage of a diagonally dominant banded matrix (entries outside the band 0)."""
    ab = u(lower + upper + 1, n)
    ab[upper] += 4.0
    for k in range(upper):  # the unused corners
        ab[k, :upper - k] = 0.0
    for k in range(lower):
        ab[upper + 1 + k, n - 1 - k:] = 0.0
    return ab


CASES = [Case(linalg.solve_triangular, (triangular(3, False), u(3))),
         Case(linalg.solve_triangular, (triangular(3, True), u(3, 2)), {"lower": True}),
         Case(linalg.solve_triangular, (triangular(3, False), u(3, 2)), {"trans": "T"}),
         Case(linalg.solve_triangular, (triangular(4, True), u(4)), {"lower": True, "trans": 1}),
         Case(linalg.solve_triangular, (triangular(3, True), u(3)),
              {"lower": True, "unit_diagonal": True}),
         Case(linalg.sqrtm, (spd(3),)), Case(linalg.sqrtm, (spd(2) + np.array([[0, 0.5], [0, 0]]),)),
         Case(linalg.solve_sylvester, (spd(3), spd(2), u(3, 2))),
         Case(linalg.solve_sylvester, (u(2, 2) + 4 * np.eye(2), spd(2), u(2, 2))),
         Case(linalg.solve_banded, ((1, 1), banded(4, 1, 1), u(4))),
         Case(linalg.solve_banded, ((2, 0), banded(5, 2, 0), u(5, 2))),
         Case(linalg.solve_banded, ((0, 1), banded(3, 0, 1), u(3)))]
for mode in ("full", "same", "valid"):
    CASES += [Case(signal.convolve, (u(5), u(3), mode)), Case(signal.convolve, (u(4, 5), u(2, 3), mode)),
              Case(signal.convolve, (u(3, 4), u(3, 4)), {"mode": mode})]
CASES += [Case(signal.convolve, (u(2), u(4)), note="second longer")]
CASES += [Case(special.gammainc, (u(3, lo=0.5, hi=3.0), u(3, lo=0.2, hi=3.0))),
          Case(special.gammainc, (2.5, u(2, 3, lo=0.2, hi=3.0))),
          Case(special.gammaincc, (u(2, 1, lo=0.5, hi=3.0), u(3, lo=0.2, hi=3.0))),
          Case(special.betainc, (u(3, lo=0.5, hi=3.0), 2.0, u(3, lo=0.1, hi=0.9))),
          Case(special.betainc, (1.5, u(2, 1, lo=0.5, hi=3.0), u(3, lo=0.1, hi=0.9)))]
for f in (special.iv, special.ive, special.jv):
    CASES += [Case(f, (1.5, u(4, lo=0.2, hi=3.0))), Case(f, (np.array([0, 2]), u(3, 2, lo=-3.0, hi=3.0)))]
CASES += [Case(special.yn, (2, u(3, lo=0.5, hi=4.0))), Case(special.yn, (np.array([0, 1, 3]), u(2, 3, lo=0.5, hi=4.0)))]
CASES += [Case(special.multigammaln, (u(lo=3.0, hi=5.0), 3)),
          Case(special.multigammaln, (u(4, lo=3.0, hi=5.0), 2))]
CASES += [Case(special.rgamma, (u(4, lo=0.3, hi=4.0),)), Case(special.rgamma, (u(2, 3, lo=-2.5, hi=-0.5),))]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)
