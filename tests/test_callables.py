"""Callables as arguments (functions, lambdas, partials, bound methods, callable objects),
map and functools.reduce, callable defaults, and variadics: *args, **kwargs, f(*xs),
(*shape, 2), a, *rest = xs, zip(*pairs), lists of arrays passed to helpers and
differentiable values nested in literals.

A function passed in is known when compiling: the gradient is specialized on it (its
identity is part of the dispatcher's key), so passing another compiles again. Every
gradient is checked against central finite differences.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads, numerical_grad

RNG = np.random.default_rng(20250602)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


def rk4(f, y, dt):
    k1 = f(y)
    k2 = f(y + 0.5 * dt * k1)
    k3 = f(y + 0.5 * dt * k2)
    k4 = f(y + dt * k3)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def integrate(f, y, dt):
    for _ in range(4):
        y = rk4(f, y, dt)
    return np.sum(y ** 2)


def decay(y):
    return -0.7 * y + np.sin(y)


def coupled(y, k=0.5):
    return np.array([y[1], -k * y[0] - 0.1 * y[1]])


cubic = lambda y: y - y ** 3  # noqa: E731


class Spring:
    def __init__(self, k):
        self.k = k

    def rhs(self, y):
        return np.array([y[1], -self.k * y[0]])


class Field:
    def __init__(self):
        self.A = _r(2, 2)

    def __call__(self, y):
        return np.tanh(self.A @ y)


Y0 = np.array([0.4, -0.3])
CALLABLES = [decay, cubic, functools.partial(coupled, k=0.9), Spring(1.3).rhs, np.tanh, Field()]


@pytest.mark.parametrize("f", CALLABLES, ids=["function", "lambda", "partial", "bound method",
                                              "ufunc", "callable object"])
def test_rk4_with_the_rhs_as_an_argument(f):
    check_grads(integrate, f, Y0, 0.1, wrt=(1, 2))


def test_passing_another_callable_compiles_again():
    dintegrate = adjoint.grad(integrate, wrt="y")
    for f in CALLABLES + CALLABLES[:2]:  # and back: each gets its own code
        expected = numerical_grad(lambda y: integrate(f, y, 0.1), [Y0], 0)
        np.testing.assert_allclose(dintegrate(f, Y0, 0.1), expected, rtol=1e-6, atol=1e-8)
    assert len(dintegrate.sources) == len(CALLABLES)


def test_a_partials_bound_values_are_read_when_the_code_runs():
    dintegrate = adjoint.grad(integrate, wrt="y")
    for k in (0.5, 2.0):  # a new partial of the same shape: same code, its own k
        f = functools.partial(coupled, k=k)
        expected = numerical_grad(lambda y: integrate(f, y, 0.1), [Y0], 0)
        np.testing.assert_allclose(dintegrate(f, Y0, 0.1), expected, rtol=1e-6, atol=1e-8)
    assert len(dintegrate.sources) == 1


def two_systems(y, dt):
    return np.sum(rk4(decay, y, dt) * rk4(cubic, y, dt))  # one callee, two specializations


def test_a_helper_called_with_functions_by_name():
    check_grads(two_systems, Y0, 0.05, wrt=(0, 1))
    source = adjoint.source(two_systems, "y", Y0, 0.05, callees=True)
    assert "def fwd_decay(" in source and "def fwd_cubic(" in source
    assert "def fwd_rk4_f_decay_y_scalar_dt(" in source  # one pair per function passed
    assert "def fwd_rk4_y_scalar_dt(" in source  # (a lambda has no name to add)


def apply_object(field, y):
    return np.sum(field(y) ** 2)


def test_a_callable_object_gets_a_gradient_with_its_structure():
    field = Field()
    g = adjoint.grad(apply_object)(field, Y0)
    assert set(g) == {"A"}
    check_grads(apply_object, field, Y0, wrt=(0, 1))


def repeat_apply(f, x, n):
    if n == 0:
        return x
    return repeat_apply(f, f(x), n - 1)


def repeated(x):
    return np.sum(repeat_apply(np.sin, x, 3))


def test_recursion_passing_a_function_down():
    check_grads(repeated, _r(3))


def plus_square(acc, x):
    return acc + x * x


def reductions(xs):
    a = functools.reduce(plus_square, xs, 0.0)
    b = functools.reduce(lambda p, q: p * q, xs)
    return np.sum(a) + np.sum(b)


def mappings(xs, ys):
    a = sum(map(np.tanh, xs))
    b = list(map(plus_square, xs, ys))
    c = sum(map(lambda v: v ** 3, ys))
    return np.sum(a) + np.sum(b[0] * b[1]) + np.sum(c)


def test_reduce_and_map_over_functions_and_lambdas():
    xs, ys = [_r(2) for _ in range(3)], [_r(2) for _ in range(3)]
    check_grads(reductions, xs)
    check_grads(mappings, xs, ys, wrt=(0, 1))


def with_default(x, _r=np.sum, scale=2.0):
    return _r(np.sin(x) * scale)


def test_a_default_that_is_a_function():
    check_grads(with_default, _r(3))
    check_grads(with_default, _r(3), np.prod, wrt=0)  # another function: compiled again


def cell(*args):
    h, x, Wh, Wx = args
    return np.tanh(h @ Wh + x @ Wx)


def rnn(h, xs, Wh, Wx):
    for t in range(xs.shape[0]):
        h = cell(h, xs[t], Wh, Wx)
    return np.sum(h ** 2)


def test_an_rnn_cell_written_with_star_args():
    h, xs, Wh, Wx = _r(3), _r(5, 2), _r(3, 3) * 0.6, _r(2, 3)
    check_grads(rnn, h, xs, Wh, Wx, wrt=(0, 1, 2, 3))


def cell_of(h, weights):
    return np.sum(cell(h, *weights))  # f(h, *xs) into the callee's *args


def test_star_unpacking_into_a_call():
    check_grads(cell_of, _r(3), (_r(2), _r(3, 3), _r(2, 3)), wrt=(0, 1))


def scaled(x, **options):
    return np.sum(x * options["scale"]) + options.get("shift", 0.0)


def uses_kwargs(x, s):
    return scaled(x, scale=s, shift=s * s)


def test_kwargs_in_a_helper():
    check_grads(uses_kwargs, _r(3), 0.7, wrt=(0, 1))


def top_level_star(x, *rest, **named):
    first, *others = rest
    return np.sum(x * first) + sum(np.sum(o * o) for o in others) + named["c"] * np.sum(x)


def test_star_parameters_of_the_differentiated_function():
    x, a, b, c = _r(2), _r(2), _r(2), _r(2)
    grads = adjoint.grad(top_level_star, wrt=("x", "rest"))(x, a, b, c, c=0.5)
    np.testing.assert_allclose(grads[0], a + 0.5)
    assert isinstance(grads[1], tuple) and len(grads[1]) == 3
    np.testing.assert_allclose(grads[1][0], x)
    np.testing.assert_allclose(grads[1][2], 2 * c)


def unpacked(xs):
    head, *middle, tail = xs
    return np.sum(head * tail) + sum(np.sum(m) ** 2 for m in middle)


def test_starred_assignment():
    check_grads(unpacked, [_r(2) for _ in range(4)])
    check_grads(unpacked, _r(4, 2))


def zipped(x):
    pairs = [(x[0], x[1]), (x[1] * 2.0, x[2])]
    firsts, seconds = zip(*pairs)
    shape = x.shape
    padded = np.zeros((*shape, 2)) + x[:, None]
    return sum(a * b for a, b in zip(firsts, seconds)) + np.sum(padded ** 2)


def test_zip_of_pairs_and_a_starred_shape():
    check_grads(zipped, _r(3))


def layers(x, weights):
    for W in weights:
        x = np.tanh(x @ W)
    return x


def list_to_helper(x, W1, W2):
    return np.sum(layers(x, [W1, W2]) ** 2)


def test_a_list_of_arrays_passed_to_a_helper():
    check_grads(list_to_helper, _r(4, 3), _r(3, 3), _r(3, 2), wrt=(0, 1, 2))


def nested_literal(x):
    m = np.array([[x, x], [x, 2 * x]])
    return np.sum(m * np.array([[1.0, 2.0], [3.0, 4.0]])) + math.sin(x)


def test_differentiable_values_nested_in_literals():
    check_grads(nested_literal, 0.3)
    assert adjoint.grad(nested_literal)(0.3) == pytest.approx(1 + 2 + 3 + 8 + math.cos(0.3))


def calls_parameter_without_example(f, y):
    return np.sum(f(y))


def test_a_function_parameter_needs_an_example_to_show_its_code():
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.source(calls_parameter_without_example, "y")
    assert "cannot call the parameter f" in str(info.value)
    assert "np.tanh(y)" in adjoint.source(calls_parameter_without_example, "y", np.tanh, Y0)


def make_scale(c):
    def scale(x):
        return c * np.sin(x)
    return scale


def make_affine(a, b=0.5):
    shift = b * 2.0
    affine = lambda x: a * x + shift  # noqa: E731
    return affine


def uses_factories(x, a):
    f = make_scale(3.0 * a)  # the returned function closes over a value being differentiated
    g = make_affine(a)
    return np.sum(f(x) * g(x))


def test_a_function_returned_by_a_function():
    check_grads(uses_factories, _r(3), 0.7, wrt=(0, 1))
    source = adjoint.source(uses_factories, ("x", "a"), _r(3), 0.7)
    code = [line for line in source.splitlines() if not line.strip().startswith("#")]
    assert not any("make_scale" in line or "make_affine" in line for line in code)  # inlined


def local_rhs(y, k):
    decay_rate = lambda v: -k * v  # noqa: E731 (reads k, which is differentiated)

    def forced(v):
        return np.sin(v) * k

    def twice(g, v):
        return g(g(v))

    return np.sum(rk4(decay_rate, y, 0.1)) + np.sum(integrate(forced, y, 0.1)) + np.sum(twice(forced, y))


def test_functions_defined_here_passed_to_a_helper():
    check_grads(local_rhs, Y0, 0.8, wrt=(0, 1))
