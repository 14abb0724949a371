"""A gradient has its argument's structure (issue 10, item 9), and lists of values mixed
with numbers reach numpy functions without dtype errors.

Before: np.vstack(a) (and hstack, column_stack, stack, concatenate) on one array gave a
list of per-row gradients; a numpy function given a list (np.append([1., 2.], x),
np.square(xs)) gave an array for the list. The rules' helpers now answer in the input's
structure, and the gradients handed back take their argument's structure
(runtime.core.structured_like). np.sum([1, a * a, 2]) failed because numpy read a list
as a dtype spec when the gradient's dtype was worked out.
"""
from __future__ import annotations

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

RNG = np.random.default_rng(9)
WEIGHTS = np.arange(1.0, 7.0)


def vstack_one(a):
    return np.sum(np.vstack(a) * WEIGHTS[: a.size].reshape(-1, 1))


def hstack_one(a):
    return np.sum(np.hstack(a) ** 2 * WEIGHTS[: a.size])


def column_stack_one(a):
    return np.sum(np.column_stack(a) ** 2 * WEIGHTS[: a.size].reshape(-1, 1))


def stack_one(a):
    return np.sum(np.stack(a) ** 3 * WEIGHTS[: a.size].reshape(a.shape))


def concatenate_rows(a):
    return np.sum(np.concatenate(a) ** 2 * WEIGHTS[: a.size])


@pytest.mark.parametrize("f", [vstack_one, hstack_one, column_stack_one])
def test_joining_one_vector_gives_an_array_gradient(f):
    grads = check_grads(f, RNG.standard_normal(3))
    assert isinstance(grads[0], np.ndarray)


@pytest.mark.parametrize("f", [stack_one, concatenate_rows, hstack_one])
def test_joining_the_rows_of_a_matrix_gives_a_matrix_gradient(f):
    grads = check_grads(f, RNG.standard_normal((2, 3)))
    assert isinstance(grads[0], np.ndarray) and grads[0].shape == (2, 3)


def test_float32_rows_keep_their_dtype():
    g = adjoint.grad(vstack_one)(np.ones(3, dtype=np.float32))
    assert isinstance(g, np.ndarray) and g.dtype == np.float32


def append_to_list(a, x):
    return np.sum(np.append(a, x) ** 2 * WEIGHTS[:4])


def square_of_list(xs):
    return np.sum(np.square(xs) * np.array([1.0, -2.0, 3.0]))


def tanh_of_tuple(t):
    return np.sum(np.tanh(t) * np.array([1.0, 2.0]))


def dot_of_lists(xs, ys):
    return np.dot(xs, ys) ** 2


def test_list_arguments_get_list_gradients():
    grads = check_grads(append_to_list, [1.0, 2.0], RNG.standard_normal(2), wrt=(0, 1))
    assert isinstance(grads[0], list) and isinstance(grads[1], np.ndarray)
    assert isinstance(check_grads(square_of_list, [0.5, -1.0, 2.0])[0], list)
    assert isinstance(check_grads(tanh_of_tuple, (0.5, -1.0))[0], tuple)
    grads = check_grads(dot_of_lists, [0.5, -1.0], [2.0, 3.0], wrt=(0, 1))
    assert isinstance(grads[0], list) and isinstance(grads[1], list)


def rebound_list(xs, flag):
    if flag > 0:
        xs = np.asarray(xs) * 2.0
    return np.sum(np.square(xs))


def test_argument_rebound_in_the_function_keeps_its_given_structure():
    assert isinstance(check_grads(rebound_list, [0.5, -1.0], 1.0)[0], list)
    assert isinstance(check_grads(rebound_list, [0.5, -1.0], -1.0)[0], list)


# numbers mixed with differentiable values, in lists and returned tuples ---------------
def sum_of_mixed_list(a):
    return np.sum([1, a * a, 2])


def mean_of_list(x):
    return np.mean([x, x + 2])


def pair(a):
    return a, a * 3.0


def sum_of_returned_tuple(a):
    return np.sum(pair(a))


def prod_of_mixed_list(a, b):
    return np.prod([2.0, a, b, a])


@pytest.mark.parametrize("f", [sum_of_mixed_list, mean_of_list, sum_of_returned_tuple])
def test_numpy_reductions_of_lists_with_numbers(f):
    check_grads(f, 0.7)


def test_product_of_a_mixed_list():
    check_grads(prod_of_mixed_list, 0.7, -1.3, wrt=(0, 1))
