"""What grad() returns: a plain function (the cheapest thing for Python to call) carrying
.source, .sources and .wrt, with f's signature, recognized by isinstance as a
GradientFunction and, when called inside differentiated code, by its own rule."""
import inspect

import numpy as np
import pytest

import adjoint
from adjoint.display import PendingSource, Source
from adjoint.testing import check_grads


def cubic(x, y):
    return np.sum(x * x * x * y)


class Scaled:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, x, power=2.0):
        return self.scale * x ** power

    def all_defaults(self=None, x=3.0):  # noqa: N805 - every parameter has a default
        return self.scale * x * x


def test_gradient_is_a_plain_function_with_f_names():
    dg = adjoint.grad(cubic)
    assert inspect.isfunction(dg) and isinstance(dg, adjoint.GradientFunction)
    assert not isinstance(cubic, adjoint.GradientFunction)
    assert (dg.__name__, dg.__qualname__, dg.__module__) == ("cubic", "cubic", __name__)
    assert list(inspect.signature(dg).parameters) == ["x", "y"]
    assert dg.wrt == ("x",)


def test_source_before_a_call_is_compiled_when_read_and_acts_as_the_text():
    dg = adjoint.grad(cubic, wrt=("x", "y"))
    pending = dg.source
    assert isinstance(pending, PendingSource) and dg.sources == {}
    expected = adjoint.source(cubic, ("x", "y"))
    assert str(pending) == expected and pending == expected
    assert "def grad_cubic(" in pending and pending.splitlines() == expected.splitlines()
    assert pending[:4] == expected[:4] and len(pending) == len(expected)
    assert pending._repr_markdown_() == Source(expected)._repr_markdown_()
    x, y = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    gx, gy = dg(x, y)
    np.testing.assert_allclose(gx, 3 * x * x * y)
    np.testing.assert_allclose(gy, x ** 3)
    assert type(dg.source) is Source and dg.source == expected  # after a call: a str
    assert list(dg.sources.values()) == [dg.source]


def test_source_follows_the_code_that_ran_and_sources_every_signature():
    dg = adjoint.grad(cubic, wrt=("x", "y"))
    dg(2.0, 3.0)
    floats = dg.source
    dg(np.array([2.0]), np.array([3.0]))
    arrays = dg.source
    assert floats != arrays and sorted(dg.sources.values()) == sorted([floats, arrays])
    dg(2.0, 3.0)
    assert dg.source == floats


def test_bound_method_gradient_binds_the_object_and_keeps_defaults():
    model = Scaled(1.5)
    dg = adjoint.grad(model.loss)
    assert list(inspect.signature(dg).parameters) == ["x", "power"]
    assert dg(2.0) == pytest.approx(1.5 * 2 * 2.0)
    assert dg(2.0, 3.0) == pytest.approx(1.5 * 3 * 4.0)
    assert dg(x=2.0, power=3.0) == pytest.approx(1.5 * 3 * 4.0)
    check_grads(model.loss, 0.75, wrt=0)
    every = adjoint.grad(Scaled(2.0).all_defaults)
    assert every() == pytest.approx(2.0 * 2 * 3.0)
    assert every(1.0) == pytest.approx(2.0 * 2 * 1.0)


def test_calls_of_a_gradient_function_inside_differentiated_code_use_its_rule():
    dcubic = adjoint.grad(cubic)

    def outer(x, y):
        return np.sum(dcubic(x, y) * y)  # sum of 3 x^2 y^2

    x, y = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    np.testing.assert_allclose(adjoint.grad(outer)(x, y), 6 * x * y * y)
    check_grads(outer, x, y, wrt=(0, 1))
