"""Rules of the helpers that forward rules call (adjoint/rules/second_order.py), each
checked on its own against finite differences: reverse mode over forward code (Hessians,
HVPs, grad of grad) runs them. Assertions are in rule_harness.check_case."""
import numpy as np
import pytest

from adjoint.runtime.core import power_slope
from adjoint.runtime.norm_slopes import matrix_norm_slope, norm_slope, vector_norm_slope
from rule_harness import Case, binary_cases, check_case, uniform

CASES = [Case(norm_slope, (uniform((5,)),)), Case(norm_slope, (uniform((3, 4)),)),
         Case(norm_slope, (uniform((3, 4)),), {"axis": 1}),
         Case(norm_slope, (uniform((5,), 0.3, 2.0),), {"ord": 3}),
         Case(norm_slope, (uniform((5,), 0.3, 2.0),), {"ord": -1}),
         Case(norm_slope, (uniform((5,)),), {"ord": np.inf}),
         Case(norm_slope, (uniform((3, 4)),), {"ord": "nuc"}),
         Case(norm_slope, (uniform((3, 4)),), {"ord": 2}),
         Case(norm_slope, (uniform((2, 3, 4)),), {"ord": -2, "axis": (2, 1)}),
         Case(norm_slope, (uniform((3, 4)),), {"ord": "fro", "axis": (0, 1), "keepdims": True}),
         Case(np.polyder, (uniform((5,)),)), Case(np.polyder, (uniform((5,)), 2)),
         Case(np.polyder, (uniform((2,)), 3), note="too few coefficients")]
CASES += binary_cases(power_slope, 0.5, 2.0, -1.5, 2.5)
if hasattr(np.linalg, "vector_norm"):
    CASES += [Case(vector_norm_slope, (uniform((3, 4)),), {"axis": 1}),
              Case(vector_norm_slope, (uniform((5,), 0.3, 2.0),), {"ord": 3}),
              Case(matrix_norm_slope, (uniform((2, 3, 4)),)),
              Case(matrix_norm_slope, (uniform((3, 3)),), {"ord": "nuc"}),
              Case(matrix_norm_slope, (uniform((3, 4)),), {"ord": 1})]
special = pytest.importorskip("scipy.special")
from adjoint.runtime.special import multigammaln_slope  # noqa: E402 (needs scipy)

CASES += [Case(multigammaln_slope, (uniform((4,), 2.0, 4.0), 3)),
          Case(multigammaln_slope, (uniform((2, 2), 2.0, 4.0), 2), {"order": 1})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


def test_multigammaln_slope_of_order_0_is_the_sum_of_digammas():
    a = np.array([2.5, 3.0])
    expected = special.digamma(a) + special.digamma(a - 0.5)
    np.testing.assert_allclose(multigammaln_slope(a, 2), expected, rtol=1e-12)
