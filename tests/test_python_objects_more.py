"""More of the Python people write: lists of layers, objects built inside the objective,
f(**d) and f(*args, **kwargs) forwarding, size-1 array outputs, and a name that holds
different callables on different paths (refused: it was compiled for one of them).

Every gradient is checked against central finite differences (check_grads); objectives
weight their outputs with non-uniform cotangents (COT) so that no entry hides another.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads, numerical_grad

RNG = np.random.default_rng(20250612)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


COT = _r(4, 3) + 2.0  # a non-uniform cotangent for (4, 3) outputs


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)

    def forward(self, x):
        return self(x)


class Scale:
    def __init__(self, s):
        self.s = s

    def __call__(self, x):
        return x * self.s


class Model:
    def __init__(self, layers):
        self.layers = layers

    def loss(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return np.sum(h * COT)

    def loss_forward(self, x):
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        return np.sum(h * COT)

    def loss_indexed(self, x):
        h = x
        for i in range(len(self.layers)):
            h = self.layers[i](h)
        return np.sum(h * COT) + np.sum(self.layers[-1].W ** 2)

    def loss_reversed(self, x):
        h = x
        for layer in reversed(self.layers):
            h = layer(h)
        return np.sum(h * COT)

    def loss_two_loops(self, x, heads):
        h = x
        for layer in self.layers:
            h = layer(h)
        out = 0.0
        for layer in heads:  # the same name over a list of another class
            out = out + np.sum(layer(h) * COT)
        return out


def dense_model(n=3):
    return Model([Dense(_r(3, 3), _r(3)) for _ in range(n)])


X = _r(4, 3)


@pytest.mark.parametrize("method", ["loss", "loss_forward", "loss_indexed", "loss_reversed"])
def test_a_list_of_layers_differentiates_with_the_models_structure(method):
    model = dense_model()
    loss = getattr(model, method)
    grads = adjoint.grad(loss, wrt="self")(X)
    assert set(grads) == {"layers"} and isinstance(grads["layers"], list)
    assert [set(g) for g in grads["layers"]] == [{"W", "b"}] * 3
    check_grads(loss, X, wrt="self")
    check_grads(loss, X, wrt="x")


def test_layers_of_different_classes_are_written_out_one_by_one():
    model = Model([Dense(_r(3, 3), _r(3)), Scale(_r(3)), Dense(_r(3, 3), _r(3)), Scale(0.7)])
    grads = adjoint.grad(model.loss, wrt="self")(X)
    assert set(grads["layers"][1]) == {"s"} and isinstance(grads["layers"][3]["s"], float)
    check_grads(model.loss, X, wrt="self")
    source = adjoint.source(model.loss, "x", X)
    assert "for " not in source and source.count("= fwd___call__") == 4  # one call per layer


def test_two_loops_over_lists_of_different_classes_share_a_name():
    model = dense_model(2)
    heads = [Scale(_r(3)), Scale(_r(3))]
    check_grads(model.loss_two_loops, X, heads, wrt="self")
    check_grads(model.loss_two_loops, X, heads, wrt="heads")


def test_a_list_of_functions_passed_in():
    def apply_all(x, fs):
        for f in fs:
            x = f(x)
        return np.sum(x * COT)
    check_grads(apply_all, X, [np.tanh, np.sin, np.exp])
    dfx = adjoint.grad(apply_all)
    first = dfx(X, [np.sin, np.cos])
    np.testing.assert_allclose(dfx(X, [np.cos, np.sin]),  # another list: compiled again
                               numerical_grad(lambda x: apply_all(x, [np.cos, np.sin]), [X], 0),
                               rtol=1e-5, atol=1e-7)
    assert not np.allclose(first, dfx(X, [np.cos, np.sin]))


def test_the_model_trains_and_each_step_reads_fresh_weights():
    model = dense_model(2)
    value_and_grad = adjoint.value_and_grad(model.loss, wrt="self")
    values = []
    for _ in range(4):
        value, grads = value_and_grad(X)
        for layer, g in zip(model.layers, grads["layers"]):
            layer.W = layer.W - 0.1 * g["W"]
            layer.b = layer.b - 0.1 * g["b"]
        values.append(value)
    assert values[-1] < values[0]
    check_grads(model.loss, X, wrt="self")


GLOBAL_LAYERS = [Dense(_r(3, 3), _r(3)), Dense(_r(3, 3), _r(3))]


def uses_global_layers(x):
    for layer in GLOBAL_LAYERS:
        x = layer(x)
    return np.sum(x * COT)


def test_a_global_list_changed_in_place_compiles_again():
    dloss = adjoint.grad(uses_global_layers)
    check_grads(uses_global_layers, X)
    GLOBAL_LAYERS.append(Scale(_r(3)))
    try:
        np.testing.assert_allclose(dloss(X), numerical_grad(uses_global_layers, [X], 0),
                                   rtol=1e-5, atol=1e-7)
    finally:
        GLOBAL_LAYERS.pop()


def test_indexing_differing_elements_at_run_time_is_refused():
    model = Model([Dense(_r(3, 3), _r(3)), Scale(_r(3))])
    with pytest.raises(adjoint.UnsupportedSyntax, match="index known only when the code runs"):
        adjoint.grad(model.loss_indexed, wrt="self")(X)


# a name that holds different callables on different paths ---------------------------
class Choose:
    def __init__(self):
        self.a, self.b = Scale(_r(3)), Dense(_r(3, 3), _r(3))

    def loss(self, x, c):
        if c > 0:
            g = self.a
        else:
            g = self.b
        return np.sum(g(x) * COT)


def choose_function(x, c, f1, f2):
    if c > 0:
        g = f1
    else:
        g = f2
    return np.sum(g(x) * COT)


def test_a_name_holding_different_callables_by_path_is_refused():
    with pytest.raises(adjoint.UnsupportedSyntax, match="holds different functions or objects"):
        adjoint.grad(Choose().loss, wrt="x")(X, -1.0)
    with pytest.raises(adjoint.UnsupportedSyntax, match="test_python_objects_more.py:"):
        adjoint.grad(choose_function)(X, -1.0, np.sin, np.cos)


# f(**d), f(*args, **kwargs) ----------------------------------------------------------
def inner(a, b, scale=1.0):
    return np.sum(a * b * COT) * scale


def spread_display(x, y):
    d = {"a": x, "b": y}
    return inner(**d)


def spread_literal(x, y):
    return inner(x, **{"b": y, "scale": 3.0})


def forwards(*args, **kwargs):
    return inner(*args, **kwargs)


def forwarding(x, y):
    return forwards(x, y, scale=2.0) + forwards(y, b=x)


def spread_into_library(x):
    opts = {"axis": 0}
    return np.sum(np.cumsum(x, **opts) * COT)


@pytest.mark.parametrize("f", [spread_display, spread_literal, forwarding])
def test_keyword_spreading_into_user_functions(f):
    check_grads(f, X, _r(4, 3), wrt=(0, 1))


def test_keyword_spreading_into_a_numpy_function():
    check_grads(spread_into_library, X)


def spread_changed(x, y, flag):
    d = {"a": x}
    d["b"] = y  # the keys change: not known when compiling
    return inner(**d)


def test_spreading_a_dict_whose_keys_change_is_refused():
    with pytest.raises(adjoint.UnsupportedSyntax, match="keys are known only when the code runs"):
        adjoint.grad(spread_changed)(X, X, 1)


# size-1 outputs -------------------------------------------------------------------------
def quadratic_form(x, A):
    return x.reshape(1, -1) @ A @ x.reshape(-1, 1)  # shape (1, 1)


def kept_sum(x):
    return np.sum(np.sin(x) * COT[0], keepdims=True)  # shape (1,)


def test_size_one_outputs_are_scalars_as_in_autograd():
    x, A = _r(3), _r(3, 3)
    value, g = adjoint.value_and_grad(quadratic_form)(x, A)
    assert np.shape(value) == (1, 1)
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-12)
    np.testing.assert_allclose(adjoint.grad(kept_sum)(x), np.cos(x) * COT[0], rtol=1e-12)
    check_grads(lambda x: quadratic_form(x, A)[0, 0], x)  # (the check itself needs a scalar)
    with pytest.raises(adjoint.NonScalarOutput):
        adjoint.grad(lambda x: x * 2.0)(x)


# objects built inside the objective -------------------------------------------------------
def built_dense(W, b, x):
    layer = Dense(W, b)
    return np.sum(layer(x) * COT)


def built_stack(W, b, s, x):
    layers = [Dense(W, b), Scale(s), Dense(W.T, b)]
    for layer in layers:
        x = layer(x)
    return np.sum(x * COT)


@dataclass
class Affine:
    W: np.ndarray
    b: np.ndarray
    gain: float = 2.0

    def apply(self, x):
        return (x @ self.W + self.b) * self.gain


class Pair(NamedTuple):
    W: np.ndarray
    c: float


def built_records(W, b, c, x):
    affine = Affine(W, b=b)
    pair = Pair(W * c, c)
    return np.sum(np.sin(affine.apply(x)) * COT) + np.sum(x @ pair.W) * pair.c


class Tracked:
    def __init__(self, W):
        self.W = W * 2.0  # more than storing an argument

    def __call__(self, x):
        return x @ self.W


def built_tracked(W, x):
    return np.sum(Tracked(W)(x))


def test_a_user_class_built_inside_the_objective():
    W, b = _r(3, 3), _r(3)
    check_grads(built_dense, W, b, X, wrt=(0, 1, 2))
    check_grads(built_stack, W, b, _r(3), X, wrt=(0, 1, 2, 3))


def test_dataclasses_and_namedtuples_built_inside_the_objective():
    check_grads(built_records, _r(3, 3), _r(3), 0.8, X, wrt=(0, 1, 2, 3))


def test_a_class_whose_init_computes_runs_it_inlined():
    check_grads(built_tracked, _r(3, 3), X, wrt=(0, 1))  # (more: test_python_constructors.py)


# + of tuples and lists: joined, not added ------------------------------------------------
def concat_and_multiply(weights, *args):  # autograd's rnn.py and lstm.py
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, weights)


def rnn_like(W, x, h):
    return np.sum(concat_and_multiply(W, x, h) * COT[:, :2]) + np.sum(concat_and_multiply(W[:3], h))


def joined_displays(x, y):
    return np.sum(np.hstack((x,) + (y, x)) * np.arange(9.0)) + np.sum((x + [1.0, 2.0, 3.0]) ** 2)


def test_plus_of_tuples_joins_them_and_splits_the_gradient_back():
    check_grads(rnn_like, _r(5, 2), _r(4, 2), _r(4, 2), wrt=(0, 1, 2))
    x, y = _r(3), _r(3)
    check_grads(joined_displays, x, y, wrt=(0, 1))
    gx, gy = adjoint.grad(lambda x, y: np.sum(np.hstack((x,) + (y,)) * np.arange(6.0)), wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, [0.0, 1.0, 2.0])  # (was summed with y's: a wrong gradient)
    np.testing.assert_allclose(gy, [3.0, 4.0, 5.0])
