"""Rules for numpy's elementwise functions of one array, each checked on its own."""
import numpy as np
import pytest

from rule_harness import Case, check_case, check_float32, unary_cases, uniform

CASES = []
for f in (np.negative, np.positive, np.exp, np.exp2, np.expm1, np.square, np.sin, np.cos,
          np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh, np.deg2rad, np.rad2deg,
          np.degrees, np.radians, np.sinc, np.real, np.imag, np.conjugate, np.cbrt):
    CASES += unary_cases(f)
for f in (np.abs, np.fabs):  # away from the kink at 0
    CASES += unary_cases(f, 0.2, 2.0) + unary_cases(f, -2.0, -0.2, shapes=((3,),))
for f in (np.log, np.log2, np.log10, np.sqrt, np.reciprocal):
    CASES += unary_cases(f, 0.3, 3.0)
CASES += unary_cases(np.log1p, -0.5, 2.0)
CASES += unary_cases(np.tan, -1.2, 1.2)
for f in (np.arcsin, np.arccos, np.arctanh):
    CASES += unary_cases(f, -0.9, 0.9)
CASES += unary_cases(np.arccosh, 1.2, 3.0)
CASES += [Case(np.nan_to_num, (np.array([1.0, np.nan, -2.0, np.inf, 0.5, -np.inf]),),
               {"posinf": 5.0, "neginf": -5.0}),
          Case(np.nan_to_num, (uniform((2, 3)),), {"nan": 1.0})]
CASES += [Case(np.sinc, (np.array([0.0, 0.5, -1.5]),), note="at 0")]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


# conventions ---------------------------------------------------------------------------
def test_abs_has_slope_zero_at_zero():
    from adjoint.rules.unary import d_abs, d_fabs
    x = np.array([-1.0, 0.0, 2.0])
    assert list(d_abs(np.ones(3), np.abs(x), x)) == [-1.0, 0.0, 1.0]
    assert list(d_fabs(np.ones(3), np.abs(x), x)) == [-1.0, 0.0, 1.0]


def test_sqrt_is_finite_at_positive_inputs_and_zero_where_masked():
    from adjoint.rules.unary import d_sqrt
    x = np.array([-1.0, 0.0, 4.0])
    g = np.array([0.0, 0.0, 2.0])  # np.where(x > 0, np.sqrt(x), 0) sends 0 to x <= 0
    with np.errstate(all="ignore"):
        assert list(d_sqrt(g, np.sqrt(x), x)) == [0.0, 0.0, 0.5]


@pytest.mark.parametrize("name, x", [("log", -1.0), ("log2", 0.0), ("log10", 0.0),
                                      ("log1p", -1.0), ("reciprocal", 0.0), ("arcsin", 2.0),
                                      ("arccos", 1.0), ("arccosh", 0.5), ("arctanh", 1.0),
                                      ("cbrt", 0.0)])
def test_masked_branch_of_a_domain_limited_function_gets_zero_not_nan(name, x):
    import adjoint.rules.unary as unary
    rule = getattr(unary, "d_" + name)
    x = np.array([x, 0.5 if name != "arccosh" else 2.0])
    with np.errstate(all="ignore"):  # the forward itself warns there
        y = getattr(np, name)(x)
        grad = rule(np.array([0.0, 1.0]), y, x)
    assert grad[0] == 0.0 and np.isfinite(grad[1])


def test_nan_to_num_blocks_gradient_at_replaced_entries():
    from adjoint.rules.unary import d_nan_to_num
    x = np.array([np.nan, 1.0, np.inf])
    assert list(d_nan_to_num(np.full(3, 2.0), np.nan_to_num(x), x)) == [0.0, 2.0, 0.0]
