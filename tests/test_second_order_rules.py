"""Second order through every forward rule: reverse mode over the forward code of each
rule case (what hessian, hvp and grad of grad run), against finite differences of the
forward code. Each test asserts through second_order_harness.check_second_order_case."""
import numpy as np
import pytest

from adjoint import MissingRule
from adjoint.rules.registry import display_name
from second_order_harness import check_second_order_case
from test_registry import all_cases, forward_pending

pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")

CASES = [c for c in all_cases() if not forward_pending(c.primal)]


def singular_value_norm(case) -> bool:
    """A 'nuc', 2 or -2 matrix norm's slope: its next order (third derivatives of the
    user's norm) goes through np.linalg.svd's third derivatives, refused when it runs."""
    if not display_name(case.primal).endswith("norm_slope"):
        return False
    axis = case.kwargs.get("axis")
    matrix = display_name(case.primal).endswith("matrix_norm_slope") or np.ndim(axis) == 1 or \
        axis is None and np.ndim(case.args[0]) >= 2
    return matrix and case.kwargs.get("ord") in ("nuc", 2, -2)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_second_order_matches_finite_differences(case):
    if singular_value_norm(case):
        with pytest.raises(MissingRule, match=r"third and higher derivatives of the .* matrix norm"):
            check_second_order_case(case)
        return
    check_second_order_case(case)
