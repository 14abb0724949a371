"""A loop variable reused after its loop (issue 10, item 3).

The backward of `W = value` resets W's gradient for the value W held before; that reset
must be shaped like the old value (it ran before the old value was restored, so it had
the new one's shape), and a loop target recomputed in the backward (`W = Ws[i]`) must get
the reset too (it got none, so one element's gradient leaked into the previous one).
Every gradient here is checked against finite differences, shapes included.
"""
import numpy as np

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
