"""Gradients on other array libraries, through numpy's own dispatch (NEP 18/13/35).

A function written with numpy calls, given dask arrays, gets its gradients back as dask
arrays, still lazy: nothing is computed until the user asks. The numbers are the numpy
gradient's (1e-12). CuPy takes the same path; it is checked on a GPU machine by
benchmarks/cupy_check.py, not here.
"""
from __future__ import annotations

import numpy as np
import pytest

import adjoint

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


class CountingScheduler:
    """A dask scheduler that counts how often anything is computed."""

    def __init__(self):
        self.computes = 0

    def __call__(self, graph, keys, **kwargs):
        self.computes += 1
        return dask.get(graph, keys, **kwargs)


def mlp(W1, b1, W2, X, y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * y, axis=1))


def rnn(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.mean(h ** 2)


def reductions(x, w):
    a = np.sum(x * w, axis=0)
    b = np.max(x, axis=1)
    c = np.mean(np.sqrt(x * x + 1.0))
    return np.sum(a ** 2) + np.sum(b) + c


def gather(x, idx):
    return np.sum(x[idx] ** 2) + np.sum(x[1:3] * 2.0)


def selected(x, y):
    z = np.where(x > 0.0, x * y, -y)
    return np.sum(np.concatenate([z, x]) ** 2)


RNG = np.random.default_rng(0)
CASES = [
    (mlp, (RNG.normal(size=(6, 4)), RNG.normal(size=4), RNG.normal(size=(4, 3)),
           RNG.normal(size=(20, 6)), np.eye(3)[RNG.integers(0, 3, 20)]), (0, 1, 2)),
    (rnn, (RNG.normal(size=(2, 4)), RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(3, 4)),
           RNG.normal(size=(5, 2, 3))), (0, 1, 2)),
    (reductions, (RNG.normal(size=(5, 4)), RNG.normal(size=4)), (0, 1)),
    (gather, (RNG.normal(size=6), np.array([0, 2, 2, 5])), (0,)),
    (selected, (RNG.normal(size=7), RNG.normal(size=7)), (0, 1)),
]


def _lazy(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return da.from_array(value, chunks=max(1, value.shape[0] // 2))
    return value


@pytest.mark.parametrize("func,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_dask_gradients_are_lazy_dask_arrays_with_numpys_numbers(func, args, wrt):
    expected = adjoint.grad(func, wrt=wrt)(*args)
    lazy_args = tuple(_lazy(a) for a in args)
    scheduler = CountingScheduler()
    with dask.config.set(scheduler=scheduler):
        grads = adjoint.grad(func, wrt=wrt)(*lazy_args)
        assert scheduler.computes == 0, "the gradient computed a dask array before being asked"
    for got, want, k in zip(grads, expected, wrt):
        assert isinstance(got, da.Array), f"gradient {k} came back as {type(got).__name__}"
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got.compute(), want, rtol=1e-12, atol=1e-12)


def test_value_and_grad_on_dask_keeps_the_value_lazy_too():
    args = CASES[0][1]
    value, grads = adjoint.value_and_grad(mlp, wrt=0)(*(_lazy(a) for a in args))
    assert isinstance(value, da.Array) and isinstance(grads, da.Array)
    want_value, want_grad = adjoint.value_and_grad(mlp, wrt=0)(*args)
    np.testing.assert_allclose(value.compute(), want_value, rtol=1e-12)
    np.testing.assert_allclose(grads.compute(), want_grad, rtol=1e-12, atol=1e-12)


def test_integer_dask_array_is_refused_like_an_integer_numpy_array():
    with pytest.raises(adjoint.BadArguments, match="integer"):
        adjoint.grad(gather)(da.arange(6), np.array([0]))
