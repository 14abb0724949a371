"""Where no gradient flows, a proof says why; an unknown object is refused (issue 10, item 1).

Before, a rule's None slot (x[i]'s index, einsum's subscripts) silently dropped the
gradient of whatever sat there: np.r_[x, x], a user object's __getitem__, einsum's
sublist form all gave 0. Entries of nested tuple displays and lists assigned into a slice
were dropped the same way, and a cast to an integer dtype let gradients through. Each
refusal names the file and line (tagged `# <tag>`, found by reading this file).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import adjoint
from adjoint.errors import MissingRule, UnsupportedSyntax
from adjoint.testing import check_grads
from helpers import line_of

HERE = os.path.abspath(__file__)
RNG = np.random.default_rng(10)


class Concatenator:
    """An indexing object of our own: builds an array from what it is indexed with."""

    def __getitem__(self, parts):
        return np.concatenate([np.atleast_1d(p) for p in parts])


class Tripler:
    """A callable object with no rule."""

    def __call__(self, x):
        return 3.0 * x


JOIN = Concatenator()
TRIPLE = Tripler()


def with_indexing_object(x):
    return np.sum(JOIN[x, 2.0 * x] ** 2)  # <join>


def with_indexing_parameter(x, joiner):
    return np.sum(joiner[x, x] ** 2)  # <join-param>


def with_callable_object(x):
    return np.sum(TRIPLE(x) ** 2)  # <triple>


def contract(a, spec):
    return np.sum(a) * len(spec)


@adjoint.rule(contract)
def d_contract(g, y, a, spec):
    return g * np.ones_like(a), None  # spec is meant to be a constant


def made_up_rule_given_a_variable(a):
    return contract(a, a) * 2.0  # <contract>


def with_r_(x):
    return np.sum(np.r_[x, 3.0 * x] ** 2)


def with_c_(x):
    return np.sum(np.c_[x, 3.0 * x] ** 2)


def einsum_sublists(a):
    return np.sum(np.einsum(a, (0, 1), (1, 0)) * np.arange(4.0).reshape(2, 2))


def refusal(excinfo, tag):
    problem = excinfo.value.problems[0]
    assert problem.location.filename == HERE and problem.location.line == line_of(HERE, tag)
    assert problem.fix


def test_indexing_object_of_unknown_type_is_refused_with_the_line():
    with pytest.raises(MissingRule, match="indexing JOIN") as excinfo:
        adjoint.grad(with_indexing_object)(np.ones(2))
    refusal(excinfo, "join")


def test_indexing_object_passed_as_an_argument_is_refused_at_run_time():
    with pytest.raises(MissingRule, match="Concatenator") as excinfo:
        adjoint.grad(with_indexing_parameter)(np.ones(2), JOIN)
    assert f"{HERE}:{line_of(HERE, 'join-param')}" in str(excinfo.value.__notes__)


def test_callable_object_without_rule_is_right_or_refused():
    try:  # (differentiated through its __call__ where adjoint reads its source)
        check_grads(with_callable_object, RNG.standard_normal(2))
    except MissingRule as exc:
        assert "TRIPLE" in str(exc)
        assert exc.problems[0].location.line == line_of(HERE, "triple")


def test_rule_returning_none_for_a_differentiated_argument_is_refused():
    with pytest.raises(MissingRule, match="no gradient for its argument spec") as excinfo:
        adjoint.grad(made_up_rule_given_a_variable)(np.ones(3))
    refusal(excinfo, "contract")


@pytest.mark.parametrize("f", [with_r_, with_c_])
def test_numpy_index_tricks_are_right_or_refused(f):
    try:
        check_grads(f, RNG.standard_normal(3))
    except MissingRule as exc:
        assert exc.problems[0].location.filename == HERE


def test_einsum_sublist_form_is_right_or_refused():
    try:
        check_grads(einsum_sublists, RNG.standard_normal((2, 2)))
    except MissingRule as exc:
        assert exc.problems[0].location.filename == HERE


# entries of nested displays ------------------------------------------------------------
def nested_tuple(a, b, c):
    t = ((a, b), c)
    return t[0][1] * c + t[0][0] ** 2


def nested_list_array(a, b):
    m = np.array([[a, b], [b, 1.0]])
    return np.sum(m ** 2 * np.array([[1.0, 2.0], [3.0, 4.0]]))


def list_into_slice(a, b):
    x = np.zeros(3)
    x[0:2] = [a, b]  # <list-into-slice>
    return np.sum(x * x)


def list_into_slice_named(a, b):
    x = np.zeros(3)
    v = np.array([a, b])
    x[0:2] = v
    return np.sum(x * x * np.array([1.0, 3.0, 5.0]))


def test_entries_of_nested_tuples_get_their_gradients():
    check_grads(nested_tuple, 0.5, -1.5, 2.0, wrt=(0, 1, 2))


def test_entries_of_nested_lists_in_np_array_get_their_gradients():
    check_grads(nested_list_array, 0.5, -1.5, wrt=(0, 1))


def test_list_of_differentiable_values_into_a_slice_is_refused_and_the_fix_works():
    with pytest.raises(UnsupportedSyntax, match="np.array") as excinfo:
        adjoint.grad(list_into_slice, wrt=(0, 1))(0.5, 2.0)
    refusal(excinfo, "list-into-slice")
    check_grads(list_into_slice_named, 0.5, 2.0, wrt=(0, 1))


# casts to integers carry no gradient ---------------------------------------------------
def integer_part_times_x(x):
    return np.sum(x.astype(int) * x)


def bool_cast_times_x(x):
    return np.sum(np.asarray(x, dtype=bool) * x * x)


def lookup_at_integer_index(x, table):
    k = (x * 2.0).astype(int)
    return np.sum(table[k] * x)


def test_cast_to_integer_dtype_passes_no_gradient():
    x = np.array([1.3, 2.6, -0.4])
    check_grads(integer_part_times_x, x)
    check_grads(bool_cast_times_x, np.array([1.3, 0.0, -0.4]))


def test_index_computed_by_an_integer_cast_needs_no_gradient():
    check_grads(lookup_at_integer_index, np.array([0.3, 1.2]), np.array([5.0, -1.0, 2.0]))


def index_from_a_float(x, table):
    return np.sum(table[x])  # <float-index>


def test_index_depending_on_differentiated_values_is_checked_at_run_time():
    table = np.arange(3.0)
    with pytest.raises(IndexError):  # numpy's own refusal of a float index
        adjoint.value_and_grad(index_from_a_float)(np.array([0.0]), table)
    assert "indexes_plainly(table)" in adjoint.source(index_from_a_float)


def sum_over_keys(params, scale):
    total = 0.0
    for key in params:
        total = total + np.sum(params[key] * scale[key])
    return total


def test_keys_computed_from_a_differentiated_dict_index_it_plainly():
    params = {"a": RNG.standard_normal(2), "b": RNG.standard_normal(3)}
    scale = {"a": RNG.standard_normal(2), "b": RNG.standard_normal(3)}
    check_grads(sum_over_keys, params, scale, wrt=(0, 1))


def integer_dtype_by_position(x, kind):
    return np.sum(np.array(x, kind) * x)


def test_cast_to_integer_dtype_chosen_at_run_time_passes_no_gradient():
    check_grads(integer_dtype_by_position, np.array([1.3, 2.6, -0.4]), int)
    check_grads(integer_dtype_by_position, np.array([1.3, 2.6, -0.4]), float)
