"""adjoint.dask.value_and_grad: chunks where they live, combined in a tree, the same numbers
as the gradient on the concatenated data (1e-12)."""
from __future__ import annotations

import numpy as np
import pytest

import adjoint
import adjoint.dask

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


def loss(W, b, X, y, decay=1e-3):
    h = np.tanh(X @ W + b)
    return np.mean((h - y) ** 2) + decay * np.sum(W * W)


def total(params, X, y):
    p = X @ params["w"] + params["c"]
    return np.sum((p - y) ** 2)


RNG = np.random.default_rng(1)
W, B = RNG.normal(size=(5, 3)), RNG.normal(size=3)
X, Y = RNG.normal(size=(37, 5)), RNG.normal(size=(37, 3))


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_mean_over_uneven_chunks_matches_the_whole_batch(client):
    step = adjoint.dask.value_and_grad(loss, wrt=("W", "b"), batch=("X", "y"), reduce="mean")
    value, (gW, gb) = step(W, B, da.from_array(X, chunks=(10, 5)), da.from_array(Y, chunks=(10, 3)))
    # the regulariser is added once per chunk and weighted by rows: still once in total
    want_value, (want_W, want_b) = adjoint.value_and_grad(loss, wrt=(0, 1))(W, B, X, Y)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(gW, want_W, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb, want_b, rtol=1e-12, atol=1e-12)


def test_sum_with_a_dict_of_parameters(client):
    params = {"w": RNG.normal(size=(5, 3)), "c": RNG.normal(size=3)}
    step = adjoint.dask.value_and_grad(total, wrt="params", batch=("X", "y"), reduce="sum")
    value, grads = step(params, da.from_array(X, chunks=(8, 5)), da.from_array(Y, chunks=(8, 3)))
    want_value, want = adjoint.value_and_grad(total)(params, X, Y)
    assert isinstance(grads, dict) and set(grads) == {"w", "c"}
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    for key in want:
        np.testing.assert_allclose(grads[key], want[key], rtol=1e-12, atol=1e-12)


def test_without_a_client_the_local_scheduler_runs_it():
    step = adjoint.dask.value_and_grad(loss, wrt="W", batch=("X", "y"))
    value, gW = step(W, B, da.from_array(X, chunks=(20, 5)), da.from_array(Y, chunks=(20, 3)))
    want_value, want_W = adjoint.value_and_grad(loss)(W, B, X, Y)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(gW, want_W, rtol=1e-12, atol=1e-12)


def test_chunks_that_do_not_line_up_are_refused():
    step = adjoint.dask.value_and_grad(loss, wrt="W", batch=("X", "y"))
    with pytest.raises(adjoint.BadArguments, match="chunked differently.*rechunk"):
        step(W, B, da.from_array(X, chunks=(10, 5)), da.from_array(Y, chunks=(12, 3)))


def test_a_batch_name_that_is_not_a_parameter_is_refused():
    with pytest.raises(adjoint.BadArguments, match="batch names 'Z'"):
        adjoint.dask.value_and_grad(loss, wrt="W", batch=("X", "Z"))


def test_a_numpy_batch_argument_is_refused_with_the_fix():
    step = adjoint.dask.value_and_grad(loss, wrt="W", batch=("X", "y"))
    with pytest.raises(adjoint.BadArguments, match="dask array chunked along axis 0"):
        step(W, B, X, da.from_array(Y, chunks=(10, 3)))
