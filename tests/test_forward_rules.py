"""Every rule's forward rule (declared, written or derived), checked on every rule case
against finite differences along random tangents, through the forward-mode compiler.

Each test asserts through forward_harness.check_forward_case, which raises an
AssertionError naming the rule, the inputs carrying tangents and both numbers."""
import pytest

from adjoint import MissingRule
from forward_harness import check_forward_case
from test_registry import all_cases, forward_pending

pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")


@pytest.mark.parametrize("case", all_cases(), ids=str)
def test_forward_rule_matches_finite_differences(case):
    if forward_pending(case.primal):  # no forward rule yet: refused, never run
        with pytest.raises(MissingRule, match="forward-mode rule|complex value"):
            check_forward_case(case)
        return
    check_forward_case(case)
