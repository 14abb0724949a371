"""Values recomputed in the backward instead of taped (adjoint/reverse/rematerialize.py):
scalars made by one cheap operation, and shapes that follow from values at hand."""
import math
import re

import numpy as np
import pytest

import adjoint
from adjoint.runtime.core import unbroadcast_matmul
from adjoint.testing import check_grads


def tapes_of(source: str) -> list:
    """The variables the forward pushes, in order."""
    return [value for _, value in re.findall(r"(\w+)_tape\.append\((\w+)\)", source)]


def scalar_loop(x, y):
    for i in range(30):
        x = x - 0.01 * math.sin(x) * y
    return x


def test_the_scalar_loop_keeps_only_x():
    source = adjoint.source(scalar_loop, (0, 1), 2.0, 0.1)
    assert tapes_of(source) == ["x"], source
    backward = source.split("reversed(")[1]
    assert "grad_s2 * (0.01 * math.sin(x))" in backward, source  # read once: written in
    check_grads(scalar_loop, 2.0, 0.1, wrt=(0, 1))
    check_grads(scalar_loop, -1.3, 2.5, wrt=(0, 1))


def operand_overwritten(x, y):
    for i in range(4):
        a = 0.5 * math.sin(x)
        x = x * y           # a's operand changes before a is read below
        y = y + a * x
    return x + y


def test_a_value_whose_operand_changes_before_it_is_read_stays_on_a_tape():
    source = adjoint.source(operand_overwritten, (0, 1), 0.7, 1.1)
    assert "a" in tapes_of(source), source
    check_grads(operand_overwritten, 0.7, 1.1, wrt=(0, 1))


def long_chain(x):
    for i in range(3):
        a = math.sin(x)
        b = a * 2.0
        c = math.exp(b)
        d = c + 1.0
        x = x * d / 3.0
    return x


def test_long_chains_are_taped_beyond_three_operations():
    source = adjoint.source(long_chain, (0,), 0.3)
    assert "d" in tapes_of(source), source    # sin, *, exp, + : four operations
    assert "c" not in tapes_of(source), source  # sin, *, exp: recomputed
    check_grads(long_chain, 0.3, wrt=0)


def branch_in_loop(x, y):
    for i in range(6):
        s = math.sin(x) * y
        if s > 0:
            x = x - 0.1 * s
        else:
            x = x + s * s
    return x


def test_branches_after_the_value():
    check_grads(branch_in_loop, 0.4, 0.9, wrt=(0, 1))
    check_grads(branch_in_loop, -0.4, 0.9, wrt=(0, 1))


def nested_scalar_loops(x, y):
    for i in range(3):
        for j in range(4):
            x = x - 0.05 * math.sin(x) * y
        y = y * 0.9 + math.cos(y) * 0.1
    return x * y


def while_scalar_loop(x, y):
    n = 0
    while n < 5:
        x = x - 0.1 * math.cos(x) * y
        n = n + 1
    return x


@pytest.mark.parametrize("func", [nested_scalar_loops, while_scalar_loop])
def test_recomputation_in_nested_and_while_loops(func):
    source = adjoint.source(func, (0, 1), 0.8, 0.6)
    assert "s1_tape" not in source, source
    check_grads(func, 0.8, 0.6, wrt=(0, 1))
    check_grads(func, -2.0, 1.7, wrt=(0, 1))


def counted(x, ks):
    total = 0.0
    for k in ks:
        c = 2.0 * k     # k: the loop counter, restored by the reversed loop itself
        total = total + c * x
    return total


def test_the_loop_counter_is_an_operand():
    check_grads(counted, 0.5, [1.0, 2.0, 3.5], wrt=0)


def rnn(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.sum(h * h)


def test_rnn_shapes_that_change_in_the_first_step():
    """h starts 1-D and becomes (2, 3) after the first step: the shape of h @ Wh differs
    between steps, and the backward recomputes each from the popped h."""
    rng = np.random.default_rng(5)
    args = (rng.standard_normal(3), rng.standard_normal((3, 3)) * 0.5,
            rng.standard_normal((4, 3)) * 0.5, rng.standard_normal((5, 2, 4)))
    source = adjoint.source(rnn, (0, 1, 2), *args)
    assert tapes_of(source) == ["h"], source
    check_grads(rnn, *args, wrt=(0, 1, 2))


def grows(x, w):
    for i in range(3):
        y = np.sin(x)            # read only for its shape, which is x's
        x = np.concatenate([y * w, x])
    return np.sum(x)


def test_shape_from_an_elementwise_operand_while_the_shape_grows():
    rng = np.random.default_rng(2)
    check_grads(grows, rng.standard_normal(2), 0.7, wrt=(0, 1))


@pytest.mark.parametrize("a_shape,b_shape", [((3,), (3,)), ((3,), (3, 4)), ((2, 5, 3), (3,)),
                                             ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 6)),
                                             ((3, 4), (4, 5)), ((3,), (2, 3, 4))])
def test_unbroadcast_matmul_sums_to_the_product_shape(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    product = a @ b
    g = rng.standard_normal((2,) + product.shape)
    got = unbroadcast_matmul(g, a, b)
    assert got.shape == product.shape
    np.testing.assert_allclose(got, g.sum(axis=0))
    first = g[0]
    assert unbroadcast_matmul(first, a, b) is first  # nothing to sum: g itself


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_unbroadcast_matmul_of_other_array_types_uses_the_product():
    a, b = np.matrix(np.ones((1, 3))), np.ones(3)   # a matrix times a vector stays 2-D
    g = np.ones((4, 1))
    np.testing.assert_allclose(unbroadcast_matmul(g, a, b), np.full((1, 1), 4.0))
