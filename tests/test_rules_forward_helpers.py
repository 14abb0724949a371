"""Rules of the helpers forward-mode code calls (adjoint/forward/runtime.py), each checked
on its own: reverse mode differentiates forward code (Hessian-vector products), so these
need gradients too."""
import numpy as np
import pytest

from adjoint.runtime.tangents import broadcast_like, diff_tangent, sinc_slope, writable_tangent
from adjoint.runtime.linalg import (as_columns, as_lower, inverse_gaps, lower_halved, read_triangle,
                                   triangle_tangent)
from adjoint.runtime.reductions import weighted_by
from adjoint.runtime.core import cast_like, safe_div, safe_log, safe_mul
from rule_harness import Case, binary_cases, check_case, check_float32, unary_cases, uniform

CASES = [Case(broadcast_like, (uniform((3,)), uniform((2, 3)))),
         Case(broadcast_like, (uniform((2, 1)), uniform((2, 3)))),
         Case(broadcast_like, (uniform((2, 3)), uniform((2, 3)))),
         Case(writable_tangent, (uniform((3,)), uniform((4, 3)))),
         Case(writable_tangent, (uniform(()), uniform((2,)))),
         Case(diff_tangent, (uniform((5,)),)), Case(diff_tangent, (uniform((3, 4)), 2, 0)),
         Case(diff_tangent, (uniform((4,)),), {"prepend": 0.5, "append": np.ones(2)})]
CASES += binary_cases(safe_div, lo2=0.5, hi2=2.0) + binary_cases(safe_mul)
CASES += unary_cases(safe_log, 0.2, 2.0) + unary_cases(sinc_slope)
CASES += [Case(sinc_slope, (np.array([0.0, 0.5, -1.5]),), note="at 0", eps=1e-4, rtol=1e-4),
          Case(cast_like, (uniform((2, 3)), uniform((2, 3)))),
          Case(weighted_by, (uniform((2, 3)),)), Case(weighted_by, (uniform((2, 3)), uniform((2, 3)))),
          Case(as_columns, (uniform((3,)), uniform((3,)))), Case(as_columns, (uniform((3, 2)), uniform((3, 2)))),
          Case(as_lower, (uniform((3, 3)),)), Case(as_lower, (uniform((2, 3, 3)), True)),
          Case(lower_halved, (uniform((3, 3)),)), Case(lower_halved, (uniform((2, 3, 3)),)),
          Case(inverse_gaps, (np.array([0.5, 1.3, -2.0]),)), Case(inverse_gaps, (uniform((2, 4)),)),
          Case(triangle_tangent, (uniform((3, 3)),)), Case(triangle_tangent, (uniform((2, 3, 3)), True)),
          Case(read_triangle, (uniform((3, 3)),)), Case(read_triangle, (uniform((2, 3, 3)), True))]
special = pytest.importorskip("scipy.special")
for f in (special.jv, special.iv, special.ive):
    CASES += [Case(f, (1, uniform((4,), -3.0, 3.0))), Case(f, (2, uniform((2, 3), -3.0, 3.0)))]
CASES += [Case(special.yv, (1, uniform((4,), 0.3, 4.0)))]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.primal is not cast_like], ids=str)
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
