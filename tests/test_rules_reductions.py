"""Rules for reductions and scans (sum, mean, prod, max, var, cumsum, nan*, ...)."""
import numpy as np
import pytest

from rule_harness import Case, check_case, check_float32, reduction_cases, uniform


def with_nans(shape):
    x = uniform(shape)
    x.flat[::5] = np.nan
    return x


CASES = []
for f in (np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin, np.ptp,
          np.median):
    CASES += reduction_cases(f)
CASES += [Case(np.median, (uniform((4, 3)),), {"axis": 0}, note="even")]
CASES += reduction_cases(np.prod, 0.5, 1.5)
CASES += [Case(np.prod, (np.array([2.0, 0.0, 3.0, 1.5]),), note="a zero"),
          Case(np.prod, (np.array([[2.0, 0.0], [0.0, 3.0]]),), {"axis": 1}, note="zeros")]
for f in (np.var, np.std):
    CASES += reduction_cases(f)
    CASES += [Case(f, (uniform((3, 4)),), {"axis": 1, "ddof": 1}),
              Case(f, (uniform((5,)),), {"ddof": 2})]
for f in (np.nansum, np.nanmean, np.nanvar, np.nanstd):
    CASES += [Case(f, (with_nans((6,)),)), Case(f, (with_nans((3, 4)),), {"axis": 0}),
              Case(f, (with_nans((3, 4)),), {"axis": 1, "keepdims": True})]
CASES += [Case(np.nanvar, (with_nans((3, 4)),), {"axis": 1, "ddof": 1}),
          Case(np.nanstd, (with_nans((3, 4)),), {"axis": 1, "ddof": 1})]
CASES += [Case(np.nanprod, (np.where(np.isnan(with_nans((6,))), np.nan, uniform((6,), 0.5, 1.5)),)),
          Case(np.nanprod, (np.where(np.isnan(with_nans((3, 4))), np.nan, uniform((3, 4), 0.5, 1.5)),),
               {"axis": 1})]
CASES += [Case(np.average, (uniform((5,)),)),
          Case(np.average, (uniform((3, 4)),), {"axis": 1, "weights": uniform((4,), 0.5, 2)}),
          Case(np.average, (uniform((3, 4)),), {"axis": 0, "weights": uniform((3, 4), 0.5, 2),
                                                "keepdims": True}),
          Case(np.average, (uniform((3, 4)),), {"weights": uniform((3, 4), 0.5, 2)})]
for f in (np.cumsum, np.nancumsum):
    CASES += [Case(f, (uniform((5,)),)), Case(f, (uniform((3, 4)),)),
              Case(f, (uniform((3, 4)),), {"axis": 0}), Case(f, (uniform((2, 3, 2)),), {"axis": -1})]
CASES += [Case(np.nancumsum, (with_nans((3, 4)),), {"axis": 1}, note="nan")]
CASES += [Case(np.cumprod, (uniform((5,), 0.5, 1.5),)),
          Case(np.cumprod, (uniform((3, 4), 0.5, 1.5),)),
          Case(np.cumprod, (uniform((3, 4), 0.5, 1.5),), {"axis": 1}),
          Case(np.cumprod, (np.array([[2.0, 0.0, 3.0], [1.5, 2.0, 0.0]]),), {"axis": 1}, note="zeros")]
if hasattr(np, "cumulative_sum"):
    CASES += [Case(np.cumulative_sum, (uniform((5,)),)),
              Case(np.cumulative_sum, (uniform((3, 4)),), {"axis": 1}),
              Case(np.cumulative_sum, (uniform((3, 4)),), {"axis": 0, "include_initial": True})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


# conventions ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "nanmax", "nanmin"])
def test_tied_extremes_share_the_gradient(name):
    import adjoint.rules.reductions as reductions
    rule = getattr(reductions, "d_" + name)
    x = np.array([[3.0, 1.0, 3.0], [-2.0, -2.0, 0.0]])
    y = getattr(np, name)(x, axis=1)
    grad = rule(np.array([6.0, 6.0]), y, x, axis=1)
    if "max" in name:
        assert grad.tolist() == [[3.0, 0.0, 3.0], [0.0, 0.0, 6.0]]
    else:
        assert grad.tolist() == [[0.0, 6.0, 0.0], [3.0, 3.0, 0.0]]


def test_std_of_a_constant_has_zero_gradient():
    from adjoint.rules.reductions import d_std
    x = np.full(4, 2.0)
    assert np.all(d_std(1.0, np.std(x), x) == 0.0)


def test_median_of_even_length_shares_the_two_middle_entries():
    from adjoint.rules.reductions import d_median
    x = np.array([4.0, 1.0, 3.0, 2.0])
    assert d_median(1.0, np.median(x), x).tolist() == [0.0, 0.0, 0.5, 0.5]


def test_float32_max_gradient_stays_float32_even_with_a_python_float_seed():
    from adjoint.rules.reductions import d_max
    x = np.array([1.0, 3.0, 2.0], dtype=np.float32)
    assert d_max(np.float32(1.0), np.max(x), x).dtype == np.float32
