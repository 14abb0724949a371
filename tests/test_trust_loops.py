"""A loop variable reused after its loop (issue 10, item 3).

The backward of `W = value` resets W's gradient for the value W held before; that reset
must be shaped like the old value (it ran before the old value was restored, so it had
the new one's shape), and a loop target recomputed in the backward (`W = Ws[i]`) must get
the reset too (it got none, so one element's gradient leaked into the previous one).
The same resets fixed the random-program families "copy assignment" (a = M[1, 1] in a
loop: the old a kept receiving gradient) and "NoneType len"; `a = a` is now no statement at
all, and the old value of x = f(x) has x's shape class only where f provably keeps it.
Every gradient here is checked against finite differences, shapes included.
"""
import numpy as np
import pytest

from adjoint.testing import check_grads


def reassigned_after_loop(x, Ws):
    for W in Ws:
        x = x @ W
    W = Ws[0]
    return np.sum(x) + np.sum(W)


def shapes_differ(x, bs):
    for b in bs:
        x = x * b
    return np.sum(x) + np.sum(b * b)


def last_value_read(x, gates):
    for g in gates:
        x = x * g
    return np.sum(x * g)


def mlp_output(x, Ws):  # autograd's MLP example loop
    for W in Ws:
        out = np.dot(x, W)
        x = np.tanh(out)
    return np.sum(out)


def loop_in_loop(x, Ws):
    for k in range(2):
        for W in Ws:
            x = np.tanh(x @ W)
        last = W
    return np.sum(x * np.arange(1.0, 4.0)) + np.sum(last)


RNG = np.random.default_rng(3)


def test_loop_variable_reassigned_after_loop():
    Ws = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))]
    check_grads(reassigned_after_loop, RNG.standard_normal(3), Ws, wrt=(0, 1))


def test_loop_variable_with_different_shapes_per_iteration():
    bs = [RNG.standard_normal(3), RNG.standard_normal(1)]
    grads = check_grads(shapes_differ, RNG.standard_normal(3), bs, wrt=(0, 1))
    assert np.shape(grads[1][1]) == (1,)
    bs = [RNG.standard_normal(1), RNG.standard_normal(3)]
    check_grads(shapes_differ, RNG.standard_normal(3), bs, wrt=(0, 1))


def test_loop_variable_last_value_read_after_loop():
    gates = [RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)]
    check_grads(last_value_read, RNG.standard_normal(3), gates, wrt=(0, 1))


def test_mlp_loop_returning_last_preactivation():
    Ws = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))]
    check_grads(mlp_output, RNG.standard_normal(3), Ws, wrt=(0, 1))


def test_nested_loops_over_layers_of_different_shapes():
    Ws = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 3))]
    check_grads(loop_in_loop, RNG.standard_normal(3), Ws, wrt=(0, 1))


def parameter_as_loop_variable(W, Ws):
    s = 0.0
    for W in Ws:
        s = s + np.sum(W * W)
    return s + np.sum(W)


def test_parameter_rebound_by_loop_gets_its_own_shape():
    grads = check_grads(parameter_as_loop_variable, RNG.standard_normal(2),
                        [RNG.standard_normal(3), RNG.standard_normal(3)], wrt=(0, 1))
    assert np.shape(grads[0]) == (2,) and not np.any(grads[0])


# copies in loops and branches (random-program families "copy assignment", "NoneType len")
def self_assignment_in_branch(a):
    if a > 0.0:
        a = a
    return a * 2.0


def self_assignment_in_loop(a, M):
    for row in M:
        a = a
    return a * 2.0 + np.sum(M)


def copy_of_entry_in_loop(a, M):
    for i in range(2):
        a = M[1, 1]
    return a * 2.0


def entry_of_array_rebound_in_branch(y, a):
    s = a * 2.0
    if a > 10.0:
        s = s + 1.0
        a = a - y[0]
    return a + s


def scalar_rebound_to_array_in_branch(y, a):
    if a > 10.0:
        a = a - y
    return np.sum(a * np.array([1.0, 3.0]))


def test_self_assignment_keeps_the_gradient():
    check_grads(self_assignment_in_branch, 0.7)
    check_grads(self_assignment_in_branch, -0.7)
    check_grads(self_assignment_in_loop, 0.7, np.ones((2, 2)), wrt=(0, 1))


def test_copy_of_an_entry_in_a_loop_replaces_the_old_value():
    check_grads(copy_of_entry_in_loop, 0.7, np.full((2, 2), 0.3), wrt=(0, 1))


@pytest.mark.parametrize("a", [0.3, 30.0])
def test_float_rebound_to_an_expression_with_an_array_entry(a):
    check_grads(entry_of_array_rebound_in_branch, np.array([0.5, 0.2]), a, wrt=(0, 1))


@pytest.mark.parametrize("a", [0.3, 30.0])
def test_float_rebound_to_an_array_gets_a_float_gradient(a):
    grads = check_grads(scalar_rebound_to_array_in_branch, np.array([0.5, 0.2]), a, wrt=(0, 1))
    assert np.ndim(grads[1]) == 0 and not isinstance(grads[1], np.ndarray)


def reshaped_in_loop_by_broadcast(x, c):
    h = x
    for _ in range(2):
        h = h * 1.5 + c  # (3,) becomes (2, 3): h's shape changes inside the loop
    return np.sum(h) + np.sum(h[0] * h[1])


def reshaped_in_loop_by_reduction(x):
    acc = 0.0
    for _ in range(2):
        y = x * 2.0
        x = np.mean(x, axis=0, keepdims=True)  # (3, 4) becomes (1, 4)
        acc = acc + np.sum(y + x)
    return acc


def test_a_name_whose_shape_changes_in_a_loop_keeps_every_unbroadcast():
    """Found while building forward mode and tapes: one shape class for every value of a
    name reassigned with a new shape dropped an unbroadcast (a silent wrong gradient)."""
    check_grads(reshaped_in_loop_by_broadcast, np.ones(3), np.arange(6.0).reshape(2, 3) / 5, wrt=(0, 1))
    check_grads(reshaped_in_loop_by_reduction, np.arange(12.0).reshape(3, 4) / 7, wrt=0)
