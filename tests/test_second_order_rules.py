"""Second order through every forward rule: reverse mode over the forward code of each
rule case (what hessian, hvp and grad of grad run), against finite differences of the
forward code. Each test asserts through second_order_harness.check_second_order_case."""
import pytest

from adjoint import MissingRule
from adjoint.rules.registry import display_name
from second_order_harness import check_second_order_case
from test_registry import all_cases, forward_pending

pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")

CASES = [c for c in all_cases() if not forward_pending(c.primal)]
# helpers of forward code whose forward rule calls a helper without a gradient rule: the
# next order (third derivatives of the user's norm or prod) is refused, with the line
NEXT_ORDER_REFUSED = ("norm_slope", "prod_of_others")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_second_order_matches_finite_differences(case):
    if display_name(case.primal).endswith(NEXT_ORDER_REFUSED):
        with pytest.raises(MissingRule, match=r"derivatives of this order .* are not supported(.|\n)*"
                                              r"no gradient rule for \w+_vjp"):
            check_second_order_case(case)
        return
    check_second_order_case(case)
