"""Array ranks in the dispatch key, and matmul's gradient helpers written out for matrices
(adjoint/passes/ranks.py)."""
import numpy as np
import pytest

import adjoint
from adjoint.passes.ranks import infer_ranks
from adjoint.testing import check_grads

RNG = np.random.default_rng(7)


def rnn(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.sum(h * h * np.arange(1.0, h.shape[-1] + 1))  # a non-uniform cotangent


def matrices(n=3, k=4, m=5):
    return RNG.normal(size=(n, k)), RNG.normal(size=(k, m))


def product_loss(a, b):
    return np.sum(np.sin(a @ b) * np.linspace(0.5, 2.0, (a @ b).size).reshape((a @ b).shape))


def test_matrices_get_the_products_written_out():
    h, Wh, Wx, xs = RNG.normal(size=(2, 4)), RNG.normal(size=(4, 4)), RNG.normal(size=(3, 4)), \
        RNG.normal(size=(5, 2, 3))
    text = str(adjoint.source(rnn, (0, 1, 2), h, Wh, Wx, xs))
    assert "@ Wh.T" in text and "h.T @" in text and "s3.T @" in text
    assert "matmul_left" not in text and "matmul_right" not in text
    check_grads(rnn, h, Wh, Wx, xs, wrt=(0, 1, 2))


def test_code_for_unknown_ranks_keeps_the_helpers():
    text = str(adjoint.source(rnn, (0, 1, 2)))  # no example arguments: any ndim
    assert "matmul_left" in text and "matmul_right" in text


@pytest.mark.parametrize("shapes", [((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                    ((2, 3, 4), (4, 5)), ((4, 5), (2, 5, 3)), ((2, 2, 3), (2, 3, 4))])
def test_other_ranks_keep_the_helpers_and_are_right(shapes):
    a, b = (RNG.normal(size=s) for s in shapes)
    text = str(adjoint.source(product_loss, (0, 1), a, b))
    assert "matmul_left" in text and "matmul_right" in text
    check_grads(product_loss, a, b, wrt=(0, 1))


def test_one_function_called_with_several_ranks_compiles_each():
    dloss = adjoint.grad(product_loss, wrt=(0, 1))
    for shapes in [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 2))]:
        a, b = (RNG.normal(size=s) for s in shapes)
        check_grads(product_loss, a, b, wrt=(0, 1), grad_fn=dloss)
    assert len(dloss.sources) == 3


def shrinks_in_a_branch(a, b, flag):
    if flag > 0:
        a = a[0]  # a row: a vector from here on, on this path only
    return np.sum(np.cos(a @ b))


def test_a_rank_that_differs_between_paths_is_not_known():
    a, b = matrices()
    text = str(adjoint.source(shrinks_in_a_branch, (0, 1), a, b, 1.0))
    assert "matmul_left" in text  # a is a matrix or a vector here: the helper decides
    for flag in (1.0, -1.0):
        check_grads(shrinks_in_a_branch, a, b, flag, wrt=(0, 1))


def test_inference_follows_loops_and_indexing():
    def body(x, W):
        for i in range(3):
            x = np.tanh(x @ W)
        y = x[0]
        z = y @ W
        return np.sum(z)
    fn = adjoint.pipeline.lower_function(body).fn
    ranks = infer_ranks(fn, {"x": 2, "W": 2})
    by_name = {v.name: r for v, r in ranks.items()}
    assert by_name["x"] == 2 and by_name["W"] == 2 and by_name["i"] == 0
    assert by_name["y"] == 1 and by_name["z"] == 1
    ranks = infer_ranks(fn, {"x": 1, "W": 2})  # x @ W of a vector is a vector
    by_name = {v.name: r for v, r in ranks.items()}
    assert by_name["x"] == 1 and by_name["y"] == 0 and "z" not in by_name  # 0-d @ matrix: refused


def test_unknown_parameter_ranks_prove_nothing():
    def body(x, W):
        return np.sum(x @ W)
    fn = adjoint.pipeline.lower_function(body).fn
    assert infer_ranks(fn, {}) == {}
    assert {v.name: r for v, r in infer_ranks(fn, {"x": 2}).items()} == {"x": 2}
