"""The entry a call of a gradient runs (adjoint/entry.py): one function that checks the
argument types, dtypes and guards inline, then runs the generated statements at the
lines `.source` shows. Gradients are compared with finite differences or hand-written
derivatives."""
import linecache
import traceback

import numpy as np
import pytest

import adjoint
from adjoint.testing import numerical_grad


def weighted(x, w):
    return np.sum(np.tanh(x @ w) * 1.5)


def scaled(x):
    return x * 2.0


def test_an_error_in_the_gradient_points_at_the_shown_line():
    df = adjoint.grad(weighted, wrt=(0, 1))
    x, w = np.ones((2, 3)), np.ones((3, 4))
    df(x, w)
    with pytest.raises(ValueError) as info:
        df(np.ones((2, 3)), np.ones((2, 4)))  # same types: the entry runs, x @ w fails
    frame = [f for f in traceback.extract_tb(info.value.__traceback__)
             if f.filename.startswith("<adjoint ")][-1]
    shown = df.source.splitlines()
    assert shown[frame.lineno - 1].strip() == linecache.getline(frame.filename, frame.lineno).strip()
    assert "@" in shown[frame.lineno - 1]
    assert "generated line" in "".join(getattr(info.value, "__notes__", []))


def test_a_refused_argument_is_refused_on_every_call():
    df = adjoint.grad(scaled)
    for _ in range(2):  # (the second call once ran code compiled for the first)
        with pytest.raises(adjoint.BadArguments, match="bool"):
            df(True)
    assert df(1.5) == 2.0


def test_an_integer_array_after_a_float_array_is_refused():
    df = adjoint.grad(weighted)
    w = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    x = np.linspace(0.1, 0.6, 6).reshape(2, 3)
    np.testing.assert_allclose(df(x, w), numerical_grad(weighted, [x, w], 0), rtol=1e-6)
    with pytest.raises(adjoint.BadArguments, match="integer"):
        df(np.arange(6).reshape(2, 3), w)  # the same type, ndarray: the dtype check refuses


def test_a_wrong_call_gets_pythons_own_type_error():
    df = adjoint.grad(weighted)
    for _ in range(2):  # before and after the first compile
        with pytest.raises(TypeError, match="weighted"):
            df(np.ones((2, 3)))
        df(np.ones((2, 3)), np.ones((3, 4)))


def poly(x, y):
    return np.sum(x * x * y)


def test_alternating_argument_types_each_get_their_own_entry():
    df = adjoint.grad(poly, wrt=(0, 1))
    x = np.array([0.5, -1.0, 2.0])
    for _ in range(2):
        gx, gy = df(x, 0.75)  # an array and a float
        np.testing.assert_allclose(gx, 2 * x * 0.75)
        np.testing.assert_allclose(gy, np.sum(x * x))
        gx, gy = df(0.5, 0.75)  # two floats: numbers back
        assert type(gx) is float and gx == pytest.approx(2 * 0.5 * 0.75)
        assert gy == pytest.approx(0.25)
    assert len(df.sources) == 2
