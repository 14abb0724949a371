"""Rules for numpy's elementwise functions of several arrays, np.where and np.clip."""
import numpy as np
import pytest

from rule_harness import Case, binary_cases, check_case, check_float32, uniform

CASES = []
for f in (np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin,
          np.arctan2, np.hypot, np.logaddexp, np.logaddexp2):
    CASES += binary_cases(f)
CASES += binary_cases(np.divide, lo2=0.5, hi2=2.0)
CASES += binary_cases(np.power, 0.5, 2.0) + [Case(np.power, (uniform((3,), 0.5, 2), np.array([2, 3, 1])))]
CASES += binary_cases(np.float_power, 0.5, 2.0)
CASES += binary_cases(np.copysign, pairs=(((3,), (3,)), ((2, 3), (3,))))
CASES += binary_cases(np.remainder, 0.1, 5.0, 0.7, 2.0, pairs=(((4,), (4,)), ((2, 3), ())))
CASES += binary_cases(np.fmod, -5.0, 5.0, 0.7, 2.0, pairs=(((4,), (4,)), ((2, 3), (3,))))
CASES += [Case(np.ldexp, (uniform((2, 3)), np.array([1, -2, 3]))),
          Case(np.ldexp, (uniform((3,)), 2))]
CASES += [Case(np.fmax, (np.array([1.0, np.nan, 3.0]), np.array([np.nan, 2.0, 0.5])), note="nan"),
          Case(np.fmin, (np.array([1.0, np.nan, 3.0]), np.array([np.nan, 2.0, 0.5])), note="nan")]
CASES += [Case(np.where, (uniform((2, 3)) > 0, uniform((2, 3)), uniform((2, 3)))),
          Case(np.where, (uniform((2, 3)) > 0, uniform((3,)), 1.5)),
          Case(np.where, (uniform((3,)) > 0, uniform((2, 1)), uniform(())))]
CASES += [Case(np.clip, (uniform((2, 3)), -0.5, 0.7)),
          Case(np.clip, (uniform((2, 3)), uniform((3,), -2, 0), uniform((2, 1), 0, 2))),
          Case(np.clip, (uniform((4,)), None, 0.3)),
          Case(np.clip, (uniform((4,)),), {"a_min": -0.3, "a_max": None})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


# conventions ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_ties_split_evenly(name):
    import adjoint.rules.binary as binary
    rule = getattr(binary, "d_" + name)
    a = np.array([1.0, 2.0])
    b = np.array([1.0, 0.0])
    ga, gb = rule(np.array([4.0, 4.0]), getattr(np, name)(a, b), a, b)
    assert ga[0] == gb[0] == 2.0


def test_clip_splits_ties_with_the_bound():
    from adjoint.rules.binary import d_clip
    a = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo, hi = np.zeros(5), np.ones(5)
    ga, glo, ghi = d_clip(np.ones(5), np.clip(a, lo, hi), a, lo, hi)
    assert list(ga) == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert list(glo) == [1.0, 0.5, 0.0, 0.0, 0.0] and list(ghi) == [0.0, 0.0, 0.0, 0.5, 1.0]


def test_where_sends_nothing_to_the_unused_branch_even_if_it_is_inf():
    from adjoint.rules.binary import d_where
    cond = np.array([True, False])
    _, ga, gb = d_where(np.array([1.0, 1.0]), None, cond, np.array([1.0, np.inf]), np.array([np.nan, 2.0]))
    assert list(ga) == [1.0, 0.0] and list(gb) == [0.0, 1.0]


def test_hypot_at_the_origin_is_zero():
    from adjoint.rules.binary import d_hypot
    ga, gb = d_hypot(1.0, 0.0, 0.0, 0.0)
    assert ga == 0.0 and gb == 0.0


def test_power_exponent_gradient_is_zero_at_zero_base():
    from adjoint.rules.binary import d_power
    _, gb = d_power(np.ones(2), np.array([0.0, 4.0]), np.array([0.0, 2.0]), np.array([2.0, 2.0]))
    assert gb[0] == 0.0 and np.isclose(gb[1], 4 * np.log(2))
