"""Rules of the helpers forward-mode code calls (adjoint/forward/runtime.py), each checked
on its own: reverse mode differentiates forward code (Hessian-vector products), so these
need gradients too."""
import numpy as np
import pytest

from adjoint.forward.runtime import broadcast_like, diff_tangent, writable_tangent
from rule_harness import Case, check_case, check_float32, uniform

CASES = [Case(broadcast_like, (uniform((3,)), uniform((2, 3)))),
         Case(broadcast_like, (uniform((2, 1)), uniform((2, 3)))),
         Case(broadcast_like, (uniform((2, 3)), uniform((2, 3)))),
         Case(writable_tangent, (uniform((3,)), uniform((4, 3)))),
         Case(writable_tangent, (uniform(()), uniform((2,)))),
         Case(diff_tangent, (uniform((5,)),)), Case(diff_tangent, (uniform((3, 4)), 2, 0)),
         Case(diff_tangent, (uniform((4,)),), {"prepend": 0.5, "append": np.ones(2)})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


def test_broadcast_like_keeps_a_full_tangent_and_spreads_a_small_one():
    t = np.ones(3)
    assert broadcast_like(t, np.zeros(3)) is t
    assert broadcast_like(t, np.zeros((2, 3))).shape == (2, 3)
    assert broadcast_like(0.0, [np.zeros(2), 1.0])[0].shape == (2,)


def test_writable_tangent_is_a_new_array():
    t = np.ones(3)
    out = writable_tangent(t, np.zeros(3))
    out[0] = 5.0
    assert t[0] == 1.0
