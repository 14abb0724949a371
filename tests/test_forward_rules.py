"""Every rule's forward rule (declared, written or derived), checked on every rule case
against finite differences along random tangents, through the forward-mode compiler.

Each test asserts through forward_harness.check_forward_case, which raises an
AssertionError naming the rule, the inputs carrying tangents and both numbers."""
import pytest

from forward_harness import check_forward_case
from test_registry import all_cases

pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")


@pytest.mark.parametrize("case", all_cases(), ids=str)
def test_forward_rule_matches_finite_differences(case):
    check_forward_case(case)
