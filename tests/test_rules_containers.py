"""Rules for xs.append(v) (compiled as appended(xs, v)), {k: v} displays and builtin sum."""
import builtins

import numpy as np
import pytest

from adjoint.runtime.containers import appended, dict_items, dict_values, iterated, make_dict
from rule_harness import Case, check_case, uniform

CASES = [
    Case(appended, ([uniform((2,)), uniform((2,))], uniform((2,))), f32=False),
    Case(appended, ([uniform(None)], uniform(None)), f32=False),
    Case(builtins.sum, ([uniform((3,)), uniform((3,)), uniform((3,))],), f32=False),
    Case(builtins.sum, ((uniform(None), uniform(None)),), f32=False),
    Case(builtins.sum, (uniform((4, 3)),), f32=False),
    Case(make_dict, (("W", "b"), (uniform((2, 3)), uniform((3,)))), f32=False),
    Case(iterated, ([uniform((2,)), uniform(None)],), f32=False),
    Case(iterated, (uniform((3, 2)),), f32=False),
    Case(dict_values, ({"W": uniform((2, 3)), "b": uniform((3,))},), f32=False),
    Case(dict_items, ({"W": uniform((2, 3)), "b": uniform(None)},), f32=False),
]

DICT = {"W": uniform((2, 3)), "b": uniform((3,))}


@pytest.mark.parametrize("view", [dict_values, dict_items], ids=lambda f: f.__name__)
def test_dict_views_send_gradients_to_their_entries(view):
    from adjoint.rules.containers import d_dict_items, d_dict_values
    rule = d_dict_values if view is dict_values else d_dict_items
    g = [np.full(v.shape, 2.0) for v in DICT.values()]
    if view is dict_items:
        g = [(0.0, part) for part in g]
    grad = rule(g, view(DICT), DICT)
    assert set(grad) == set(DICT)
    for key in DICT:
        np.testing.assert_array_equal(grad[key], np.full(DICT[key].shape, 2.0))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)
