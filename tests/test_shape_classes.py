"""Shape classes (reverse/shapes.py) of names reassigned with a different shape.

A value computed from a name's old value must never share a class with the name after a
reassignment that changed its shape: the unbroadcast that class equality drops would
be needed (a silent wrong gradient, of the wrong shape). Each function here grows a
name from x's shape (3,) to c's (2, 3) and is checked against finite differences, with
an output whose cotangent is not uniform (h[0] * h[1]).
"""
import numpy as np
import pytest

import adjoint
from adjoint.pipeline import lower_function
from adjoint.reverse import shapes
from adjoint.testing import check_grads

RNG = np.random.default_rng(7)
X = np.array([0.3, -0.2, 1.1])
C = RNG.normal(size=(2, 3))


def grows_in_loop(x, c):
    h = x
    for _ in range(2):
        h = h * 1.5 + c
    return np.sum(h) + np.sum(h[0] * h[1])


def grows_in_while(x, c):
    h = x
    k = 0
    while k < 3:
        h = np.tanh(h) + c * k
        k = k + 1
    return np.sum(h[0] * h[1])


def grows_in_a_branch(x, c, flag):
    h = x * 2.0
    if flag:
        h = h * 0.5 + c
    return np.sum(h * h) + np.sum(h[-1] * h[0])


def grows_by_unpacking(x, c):
    h = x
    for _ in range(2):
        h, k = h * 1.5 + c, 1.0
    return np.sum(h[0] * h[1]) * k


@pytest.mark.parametrize("f, args", [
    (grows_in_loop, (X, C)),
    (grows_in_while, (X, C)),
    (grows_in_a_branch, (X, C, True)),
    (grows_in_a_branch, (X, C, False)),
    (grows_by_unpacking, (X, C)),
], ids=["loop", "while", "branch_taken", "branch_not_taken", "unpacking"])
def test_gradient_of_a_name_whose_shape_grows(f, args):
    grads = check_grads(f, *args, wrt=(0, 1))
    assert np.shape(grads[0]) == X.shape and np.shape(grads[1]) == C.shape


def test_the_known_wrong_gradient_is_right():
    # was: a (2, 3) array for x of shape (3,), the unbroadcast of h * 1.5 dropped
    got = adjoint.grad(grows_in_loop)(np.ones(3), C)
    h1 = np.ones(3) * 1.5 + C
    h2 = h1 * 1.5 + C
    # d/dx of sum(h2) + sum(h2[0] * h2[1]); dh2/dx = 2.25 per entry, summed over rows
    expected = 2.25 * (2 + h2[1] + h2[0])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_reassigned_name_with_disagreeing_classes_has_none():
    fn = lower_function(grows_in_loop).fn
    classes = shapes.infer(fn, frozenset())
    reassigned = [v for v in fn.dynamic if v.name == "h"]
    assert reassigned and all(classes[v] is None for v in reassigned)


def set_in_either_branch(x, c, flag):
    if flag:
        z = x * 2.0
    else:
        z = x + c  # (2, 3): z's shape depends on the branch, and is never changed after
    return np.sum(z * z * 1.5) + np.sum(np.atleast_2d(z)[-1] * x)


@pytest.mark.parametrize("flag", [True, False])
def test_a_name_set_in_either_branch_then_read(flag):
    check_grads(set_in_either_branch, X, C, flag, wrt=(0, 1))


def test_settled_names_keep_their_own_class_and_read_then_reassigned_ones_do_not():
    settled_fn = lower_function(set_in_either_branch).fn
    z = [v for v in settled_fn.dynamic if v.name == "z"]
    assert z and all(v in shapes.settled(settled_fn) for v in z)
    grown = lower_function(grows_in_a_branch).fn
    h = [v for v in grown.dynamic if v.name == "h"]
    assert h and not any(v in shapes.settled(grown) for v in h)


def param_rebound_in_loop(x, a):
    first = [a - x[0]]  # reads the caller's a, whose shape the backward needs back
    for i in range(1, 4):
        first.append(np.sum(x[1:3]))
        a += (i + 1) * 0.69
        a = (i + 1) * -1.02
    return np.sum(np.stack(first)) * 1.3 + 0.88 * a


def test_a_parameter_rebound_in_a_loop_keeps_its_entry_shape():
    # the shape tape of a starts from a's shape at entry (was None: a crash in the backward)
    check_grads(param_rebound_in_loop, X, 0.7, wrt=(0, 1))
