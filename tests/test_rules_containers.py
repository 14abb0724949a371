"""Rules for xs.append(v) (compiled as appended(xs, v)), {k: v} displays and builtin sum."""
import builtins

import pytest

from adjoint.containers import appended, make_dict
from rule_harness import Case, check_case, uniform

CASES = [
    Case(appended, ([uniform((2,)), uniform((2,))], uniform((2,))), f32=False),
    Case(appended, ([uniform(None)], uniform(None)), f32=False),
    Case(builtins.sum, ([uniform((3,)), uniform((3,)), uniform((3,))],), f32=False),
    Case(builtins.sum, ((uniform(None), uniform(None)),), f32=False),
    Case(builtins.sum, (uniform((4, 3)),), f32=False),
    Case(make_dict, (("W", "b"), (uniform((2, 3)), uniform((3,)))), f32=False),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)
