"""Still more of the Python people write: f(*xs) into a function without *args, classes
whose __init__ (or a dataclass's __post_init__) computes, enumerate and zip over lists of
objects, f(**params) of a dict argument.

Every gradient is checked against central finite differences (check_grads); objectives
weight their outputs with non-uniform cotangents (COT) so that no entry hides another.
"""
from __future__ import annotations

import functools
from dataclasses import InitVar, dataclass
from functools import partial

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

RNG = np.random.default_rng(20250613)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


COT = _r(4, 3) + 2.0  # a non-uniform cotangent for (4, 3) outputs
X = _r(4, 3)


# f(*xs) into a function without *args ---------------------------------------------------
def symmetrize(A):
    return 0.5 * (A + A.T)


def solve_weighted(A, b):
    return np.sum(np.linalg.solve(A, b) * np.arange(1.0, 4.0))


def symmetric_first(*args):  # autograd's test_linalg: fun(symmetrize(args[0]), *args[1:])
    return solve_weighted(symmetrize(args[0]), *args[1:])


def through_star(A, b):
    return symmetric_first(A, b) + symmetric_first(A.T, 2.0 * b)


def three(a, b, c):
    return a * b + np.sin(c)


def tuple_spread(x, y):
    xs = (x, y, x * y)
    return np.sum(three(*xs) * COT[0])


def list_spread(x, y):
    xs = [y, x, 2.0]
    return np.sum(three(*xs) * COT[1]) + np.sum(three(*xs[:2], x) * COT[2])


def spread_tuple_argument(x, y):
    return helper_spreading((x, y)) + helper_spreading([y, y * x])


def helper_spreading(pair):
    return np.sum(three(*pair, pair[0]) * COT[3])


def test_spreading_star_args_into_a_fixed_signature():
    A, b = _r(3, 3) + 3.0 * np.eye(3), _r(3)
    check_grads(through_star, A, b, wrt=(0, 1))
    g = adjoint.grad(symmetric_first, wrt=0)(A, b)  # *args itself: a tuple of gradients
    check_grads(lambda A, b: symmetric_first(A, b), A, b, wrt=(0, 1))
    assert isinstance(g, tuple) and len(g) == 2


@pytest.mark.parametrize("f", [tuple_spread, list_spread, spread_tuple_argument])
def test_spreading_tuples_and_lists_of_known_length(f):
    check_grads(f, _r(3), _r(3), wrt=(0, 1))


def spread_star_parameter(*xs):
    return np.sum(three(*xs) * COT[0])


def test_star_args_of_another_length_compile_again():
    x = _r(3)
    check_grads(lambda a, b, c: spread_star_parameter(a, b, c), x, 2.0 * x, x ** 2, wrt=(0, 1, 2))
    with pytest.raises(adjoint.AdjointError, match="does not match its signature"):
        adjoint.grad(spread_star_parameter)(x, x)  # three() needs three: refused, never guessed


def grows_then_spreads(x, y):
    xs = [x]
    xs.append(y)
    return np.sum(np.hypot(*xs) * COT[0])


def test_a_list_grown_before_the_spread_keeps_its_own_length():
    check_grads(grows_then_spreads, _r(3), _r(3), wrt=(0, 1))


# classes whose __init__ computes ---------------------------------------------------------
class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)


class Net:
    """Computes in __init__: a nested object, shapes, a loop, a branch, +=."""

    def __init__(self, W, b, scale=2.0, act=np.tanh):
        self.first = Dense(W, b)
        n = W.shape[0]
        self.n = n
        self.W2 = W.T * scale
        total = 0.0
        for k in range(n):
            total = total + b[k] * (k + 1)
        if scale > 1.0:
            total = total * scale
        self.total = total
        self.act = act
        self.W2 += 1.0

    def __call__(self, x):
        return self.act(self.first(x) @ self.W2) * self.total + self.n


def net_loss(W, b, x):
    return np.sum(Net(W, b, scale=3.0)(x) * COT) + np.sum(Net(W, b, 0.5, np.sin)(x) * COT)


@dataclass
class Posted:
    W: np.ndarray
    c: float = 2.0
    shift: InitVar[float] = 1.0

    def __post_init__(self, shift):
        self.V = self.W.T * self.c + shift
        self.c = self.c * 2.0


@dataclass(frozen=True)
class Frozen:
    W: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "V", np.sin(self.W))


def posted_loss(W, x, shift):
    p, f = Posted(W, shift=shift), Frozen(W)
    return np.sum((x @ p.V) * p.c * COT) + np.sum(x @ f.V * COT)


def test_an_init_that_computes_runs_inlined():
    check_grads(net_loss, _r(3, 3), _r(3), X, wrt=(0, 1, 2))
    text = adjoint.source(net_loss, "W", _r(3, 3), _r(3), X)
    assert "make_record(Net, ('first', 'n', 'W2', 'total', 'act')" in text


def test_dataclasses_with_post_init_run_it_inlined():
    W = _r(3, 3)
    check_grads(posted_loss, W, X, 0.7, wrt=(0, 1, 2))
    p = Posted(W, shift=0.7)  # the object built at run time is the one Python builds
    value = adjoint.value_and_grad(lambda W: np.sum(Posted(W, shift=0.7).V * COT[:3]))(W)[0]
    assert value == pytest.approx(np.sum(p.V * COT[:3]))


class CallsAMethod:
    def __init__(self, W):
        self.W = W
        self.reset()

    def reset(self):
        self.h = 0.0

    def apply(self, x):
        return x @ self.W


class Parent:
    def __init__(self, W):
        self.W = W


class Child(Parent):
    def __init__(self, W):
        super().__init__(W)

    def __call__(self, x):
        return x @ self.W


def method_of_unbuilt(W, x):
    return np.sum(CallsAMethod(W).apply(x))


def field_of_unbuilt(W, x):
    return np.sum(x @ CallsAMethod(W).W)


def call_of_unbuilt(W, x):
    return np.sum(Child(W)(x))


@pytest.mark.parametrize("f, error, why", [
    (method_of_unbuilt, adjoint.UnsupportedSyntax, "__init__ calls the method self.reset"),
    (field_of_unbuilt, adjoint.MissingRule, "__init__ calls the method self.reset"),
    (call_of_unbuilt, adjoint.UnsupportedSyntax, r"__init__ calls super\(\)"),
])
def test_an_init_that_cannot_run_here_is_named_in_the_refusal(f, error, why):
    with pytest.raises(error, match=why) as info:
        adjoint.grad(f)(_r(3, 3), X)
    assert "test_python_constructors.py:" in str(info.value)  # the use, and __init__'s line
    assert str(info.value).count("test_python_constructors.py:") >= 2


# enumerate and zip over lists of objects ---------------------------------------------------
class Scale:
    def __init__(self, s):
        self.s = s

    def __call__(self, x):
        return x * self.s


class Model:
    def __init__(self, layers):
        self.layers = layers

    def loss_enumerate(self, x, gains):
        h = x
        for i, layer in enumerate(self.layers):
            h = layer(h) * gains[i]
        return np.sum(h * COT)

    def loss_zip(self, x, gains):
        h = x
        for layer, g in zip(self.layers, gains):
            h = layer(h) * g
        return np.sum(h * COT)

    def loss_enumerate_from_one(self, x, gains):
        h = x
        for i, layer in enumerate(self.layers, start=1):
            h = layer(h) * gains[i - 1]
        return np.sum(h * COT)


ALIKE = Model([Dense(_r(3, 3), _r(3)) for _ in range(3)])
DIFFERING = Model([Dense(_r(3, 3), _r(3)), Scale(_r(3)), Dense(_r(3, 3), _r(3))])


@pytest.mark.parametrize("model", [ALIKE, DIFFERING], ids=["alike", "differing"])
@pytest.mark.parametrize("method", ["loss_enumerate", "loss_zip", "loss_enumerate_from_one"])
def test_enumerate_and_zip_over_a_list_of_objects(model, method):
    gains = _r(3) + 2.0
    check_grads(getattr(Model, method), model, X, gains, wrt=(0, 1, 2))


def zip_shorter(x, gains):
    h = x
    for layer, g in zip(ALIKE.layers, gains):  # zip stops at the shorter: two steps
        h = layer(h) * g
    return np.sum(h * COT)


def test_zip_stops_at_the_shorter_list():
    check_grads(zip_shorter, X, _r(2) + 2.0, wrt=(0, 1))


def plain_enumerate_from(x):
    out = 0.0
    for i, row in enumerate(x, 2):
        out = out + i * np.sum(np.sin(row) * COT[0])
    return out


def test_enumerate_with_a_start_over_an_array():
    check_grads(plain_enumerate_from, X)


# f(**params) of a dict argument -------------------------------------------------------------
def layer(W, b, x):
    return np.tanh(x @ W + b)


def params_loss(params, x):
    return np.sum(layer(x=x, **params) * COT)


def params_passed_on(params, x):
    return params_loss(params, x) * 2.0 + np.sum(params["b"] ** 2)


@pytest.mark.parametrize("f", [params_loss, params_passed_on])
def test_spreading_a_dict_argument(f):
    params = {"W": _r(3, 3), "b": _r(3)}
    g = check_grads(f, params, X, wrt=(0, 1))[0]
    assert set(g) == {"W", "b"}
    with pytest.raises(adjoint.AdjointError, match="unexpected keyword argument 'extra'"):
        adjoint.grad(f)(dict(params, extra=1.0), X)  # other keys: compiled again, and refused
    check_grads(f, params, X)  # the first keys still work


# everyday Python from autograd's examples and tests ----------------------------------------
def log_partition(params, data):  # autograd's hmm_em.py: map over a partial, recursing
    if isinstance(data, list):
        return sum(map(partial(log_partition, params), data))
    a, b = params
    return np.sum(np.tanh(a * data + b) * COT[0])


def over_sequences(a, b, d1, d2):
    return log_partition((a, b), [d1, d2 * 2.0])


def power_sum(x, s, power=2):
    return np.sum((x * s) ** power * COT[1])


def weighted_step(acc, v, w):
    return acc + w * v


def partials_written_out(x, s):
    return partial(power_sum, x, power=3)(s) + np.sum(
        functools.reduce(partial(weighted_step, w=s), [x, 2.0 * x], 0.0) * COT[2])


def first_of(pair, y):
    (a,) = pair
    return np.sum(a * y * COT[3])


def converted_displays(a, y):  # autograd's ode_net.py: tuple((params,)) passed on
    return first_of(tuple((a,)), y) + first_of(list([a * 2.0]), y)


def drawn_inside(A):  # autograd's test_linalg: a generator built inside the objective
    rng = np.random.RandomState(0)
    z = A @ rng.randn(A.shape[0])
    return np.linalg.norm(z) + np.sum(A * np.random.default_rng(1).normal(size=A.shape))


def test_partials_mapped_reduced_and_called_where_built():
    check_grads(over_sequences, _r(3), _r(3), _r(3), _r(3), wrt=(0, 1, 2, 3))
    check_grads(partials_written_out, _r(3), 0.7, wrt=(0, 1))


def test_tuple_and_list_of_a_display_and_generators_built_inside():
    check_grads(converted_displays, _r(3), _r(3), wrt=(0, 1))
    A = _r(3, 3)
    check_grads(drawn_inside, A)
    assert adjoint.grad(drawn_inside)(A) == pytest.approx(adjoint.grad(drawn_inside)(A))  # same draws


def test_grad_of_a_function_with_a_rule_of_its_own():
    assert adjoint.grad(np.sqrt)(2.0) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-12)
    assert adjoint.grad(np.arctan2, wrt=1)(1.0, 2.0) == pytest.approx(-0.2, rel=1e-12)
    x = _r(3)
    np.testing.assert_allclose(adjoint.grad(np.sum)(x), np.ones(3))
    assert "return np.sqrt(x)" in adjoint.source(np.sqrt, None, 2.0)
    with pytest.raises(adjoint.NonScalarOutput):
        adjoint.grad(np.tanh)(x)


def test_a_dict_argument_keeps_the_dispatchers_fast_path():
    params = {"W": _r(3, 3), "b": _r(3)}
    df = adjoint.grad(params_passed_on)
    first = df(params, X)
    spec = df._specializer
    assert spec.state is not spec.unchecked  # its keys are checked in the entry, with the types
    again = df({"W": params["W"] * 2.0, "b": params["b"]}, X)
    assert not np.allclose(first["W"], again["W"])
