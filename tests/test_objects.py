"""Objects: grad(model.loss), methods, __call__, fields read as values, wrt=self, and
gradients that mirror the object (dataclass, NamedTuple, registered class, dict).

Every gradient is checked against central finite differences (check_grads perturbs each
float leaf of an object on a copy of it), at seeded, non-uniform inputs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads, numerical_grad

RNG = np.random.default_rng(20250601)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


class Dense:
    def __init__(self, n_in, n_out):
        self.W = _r(n_in, n_out) * 0.5
        self.b = _r(n_out) * 0.1

    def __call__(self, x):
        return x @ self.W + self.b


class MLP:
    def __init__(self, sizes=(3, 5, 2)):
        self.layer1 = Dense(sizes[0], sizes[1])
        self.layer2 = Dense(sizes[1], sizes[2])
        self.act = np.tanh
        self.reg = 1e-2

    def forward(self, x):
        return self.layer2(self.act(self.layer1(x)))

    def loss(self, X, y):
        data = np.mean((self.forward(X) - y) ** 2)
        return data + self.reg * (np.sum(self.layer1.W ** 2) + np.sum(self.layer2.W ** 2))


X, Y = _r(6, 3), _r(6, 2)


def test_bound_method_wrt_an_argument():
    model = MLP()
    check_grads(model.loss, X, Y, wrt="X")
    check_grads(model.loss, X, Y, wrt=0)


def test_bound_method_wrt_self_is_a_dict_of_its_arrays():
    model = MLP()
    grads = adjoint.grad(model.loss, wrt="self")(X, Y)
    assert set(grads) == {"layer1", "layer2", "reg"}
    assert set(grads["layer1"]) == {"W", "b"} and grads["layer1"]["W"].shape == (3, 5)
    check_grads(model.loss, X, Y, wrt="self")


def test_class_based_mlp_trains_with_sgd_through_grad_of_model_loss():
    model = MLP()
    value_and_grad = adjoint.value_and_grad(model.loss, wrt="self")
    losses = []
    for step in range(5):
        value, grads = value_and_grad(X, Y)
        assert value == pytest.approx(model.loss(X, Y))
        if step in (0, 4):  # fields are read when the code runs: fresh gradients after updates
            check_grads(model.loss, X, Y, wrt="self")
        for layer, g in ((model.layer1, grads["layer1"]), (model.layer2, grads["layer2"])):
            layer.W = layer.W - 0.5 * g["W"]
            layer.b = layer.b - 0.5 * g["b"]
        losses.append(value)
    assert losses[-1] < losses[0]


@dataclass
class Params:
    W: np.ndarray
    b: np.ndarray
    scale: float
    n_steps: int = 2
    name: str = "p"


def dataclass_loss(p: Params, x):
    h = x
    for _ in range(p.n_steps):
        h = np.tanh(h @ p.W + p.b) * p.scale
    return np.sum(h ** 2)


def test_dataclass_gradient_is_the_same_dataclass():
    p = Params(_r(3, 3), _r(3), 0.8)
    g = adjoint.grad(dataclass_loss)(p, _r(4, 3))
    assert isinstance(g, Params) and g.W.shape == (3, 3) and isinstance(g.scale, float)
    assert g.n_steps == 2 and g.name == "p"  # fields without gradient are kept as they are
    check_grads(dataclass_loss, p, _r(4, 3))
    check_grads(dataclass_loss, p, _r(4, 3), wrt=1)


@dataclass(frozen=True)
class Frozen:
    w: np.ndarray
    c: float


def frozen_loss(f, x):
    return np.sum(np.sin(f.w * x) * f.c)


def test_frozen_dataclass():
    f = Frozen(_r(3), 0.7)
    g = adjoint.grad(frozen_loss)(f, _r(3))
    assert isinstance(g, Frozen)
    check_grads(frozen_loss, f, _r(3))


class Pair(NamedTuple):
    W: np.ndarray
    c: float


def namedtuple_loss(p, x):
    return np.sum((x @ p.W) ** 2) * p.c


def test_namedtuple_gradient_is_the_same_namedtuple():
    p = Pair(_r(3, 2), 1.3)
    g = adjoint.grad(namedtuple_loss)(p, _r(4, 3))
    assert isinstance(g, Pair) and g.W.shape == (3, 2)
    check_grads(namedtuple_loss, p, _r(4, 3))


class Registered:
    """A class that declares its own flattening: the weights are children, the label aux."""

    def __init__(self, weights, bias, label):
        self.weights, self.bias, self.label = weights, bias, label


adjoint.register_pytree(Registered, lambda r: ((r.weights, r.bias), r.label),
                lambda label, children: Registered(children[0], children[1], label))


def registered_loss(r, x):
    return np.sum(np.tanh(x @ r.weights + r.bias) ** 2)


def test_registered_class_flattens_as_declared():
    r = Registered(_r(3, 2), _r(2), "layer")
    g = adjoint.grad(registered_loss)(r, _r(5, 3))
    assert isinstance(g, Registered) and g.label == "layer" and g.bias.shape == (2,)
    check_grads(registered_loss, r, _r(5, 3))


class Network:
    """Methods calling methods, a property, a staticmethod and a classmethod."""

    scale = 2.0

    def __init__(self):
        self.W = _r(3, 3)
        self.v = _r(3)

    @property
    def gram(self):
        return self.W.T @ self.W

    @staticmethod
    def squash(x):
        return x / (1.0 + x * x)

    @classmethod
    def factor(cls, x):
        return cls.scale * x

    def hidden(self, x):
        return self.squash(x @ self.gram)

    def score(self, x):
        return np.sum(self.factor(self.hidden(x)) * self.v)


def test_methods_properties_static_and_class_methods():
    net = Network()
    check_grads(net.score, _r(4, 3), wrt="self")
    check_grads(net.score, _r(4, 3), wrt="x")


def apply_layer(layer, x):
    return np.sum(np.cos(layer(x)))


def test_an_object_passed_to_a_function_and_called():
    layer = Dense(3, 2)
    g = adjoint.grad(apply_layer)(layer, _r(4, 3))
    assert set(g) == {"W", "b"}
    check_grads(apply_layer, layer, _r(4, 3), wrt=(0, 1))


class Stacked:
    def __init__(self):
        self.weights = [_r(2, 2), _r(2, 2)]
        self.gain = {"in": 0.5, "out": _r(2)}

    def __call__(self, x):
        for W in self.weights:
            x = np.tanh(x @ W)
        return x * self.gain["in"] + self.gain["out"]


def stacked_loss(model, x):
    return np.sum(model(x) ** 2)


def test_lists_and_dicts_inside_objects():
    model = Stacked()
    g = adjoint.grad(stacked_loss)(model, _r(3, 2))
    assert len(g["weights"]) == 2 and set(g["gain"]) == {"in", "out"}
    check_grads(stacked_loss, model, _r(3, 2))


class Activation:
    def __init__(self, act):
        self.act = act
        self.w = _r(3)

    def value(self, x):
        return np.sum(self.act(x * self.w))


def test_a_callable_field_is_part_of_the_key():
    model = Activation(np.tanh)
    dvalue = adjoint.grad(model.value, wrt="x")
    x = _r(3)
    first = dvalue(x)
    check_grads(model.value, x)
    model.act = np.sin  # same object, new function: compiled again
    second = dvalue(x)
    np.testing.assert_allclose(second, np.cos(x * model.w) * model.w)
    assert not np.allclose(first, second)


class Encoder:
    def __init__(self):
        self.inner = Dense(3, 3)
        self.outer = Dense(3, 1)

    def encode(self, x):
        return self.outer(np.tanh(self.inner(x)))


def nested_loss(enc, x):
    return np.sum(enc.encode(x) ** 2) + np.sum(enc.inner.W)


def test_nested_objects_and_their_fields():
    enc = Encoder()
    g = adjoint.grad(nested_loss)(enc, _r(2, 3))
    assert set(g) == {"inner", "outer"} and g["inner"]["W"].shape == (3, 3)
    check_grads(nested_loss, enc, _r(2, 3))


def test_two_objects_of_one_class_share_code_with_their_own_values():
    dloss = adjoint.grad(MLP.loss, wrt="X")
    a, b = MLP(), MLP()
    np.testing.assert_allclose(dloss(a, X, Y), numerical_grad(lambda x: a.loss(x, Y), [X], 0),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dloss(b, X, Y), numerical_grad(lambda x: b.loss(x, Y), [X], 0),
                               rtol=1e-5, atol=1e-7)
    assert len(dloss.sources) == 1  # same class, same structure: one compiled gradient


GLOBAL_MODEL = Dense(2, 2)


def uses_global_model(x):
    return np.sum(GLOBAL_MODEL(x) ** 2)


def test_a_global_objects_fields_are_read_when_the_code_runs():
    dloss = adjoint.grad(uses_global_model)
    x = _r(3, 2)
    check_grads(uses_global_model, x)
    GLOBAL_MODEL.W = GLOBAL_MODEL.W * 3.0
    np.testing.assert_allclose(dloss(x), numerical_grad(uses_global_model, [x], 0), rtol=1e-5)


class Objective:
    def __init__(self):
        self.theta = _r(4)

    def __call__(self):
        return np.sum(np.sin(self.theta) * self.theta)


def test_a_method_without_arguments_differentiates_its_object():
    obj = Objective()
    g = adjoint.grad(obj.__call__)()
    np.testing.assert_allclose(g["theta"], np.cos(obj.theta) * obj.theta + np.sin(obj.theta))


class Writes:
    def __init__(self):
        self.W = _r(2, 2)

    def loss(self, x):
        h = x @ self.W
        self.cache = h  # <attribute-write>
        return np.sum(h)


class ReadsMethod:
    def __init__(self):
        self.W = _r(2, 2)

    def f(self, x):
        return x @ self.W

    def loss(self, x):
        g = self.f  # <method-read>
        return np.sum(g(x))


class StoresBoundMethod:
    def __init__(self):
        self.inner = Dense(3, 2)
        self.apply = self.inner.__call__

    def loss(self, x):
        return np.sum(self.apply(x))  # <bound-method-field>


@pytest.mark.parametrize("cls,tag,what", [
    (Writes, "attribute-write", "assignment to an attribute"),
    (ReadsMethod, "method-read", "reading the method f without calling it"),
    (StoresBoundMethod, "bound-method-field", "reading the method stored in apply"),
], ids=["attribute write", "method read", "bound method in a field"])
def test_refusals_name_the_line(cls, tag, what):
    from helpers import line_of
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.grad(cls().loss)(_r(3, 2))
    message = str(info.value)
    assert what in message and f"test_objects.py:{line_of(__file__, tag)}:" in message, message


def test_wrt_must_name_a_parameter_or_self():
    model = MLP()
    with pytest.raises(adjoint.BadArguments):
        adjoint.grad(model.loss, wrt="nope")
    assert dataclasses.is_dataclass(adjoint.grad(dataclass_loss)(Params(_r(3, 3), _r(3), 1.0), _r(1, 3)))
