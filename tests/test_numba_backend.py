"""The numba backend (backend="numba"): the same numbers as the default backend, checked
against finite differences too, and clear refusals for what numba cannot type."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import adjoint
from adjoint.errors import BadArguments, NonScalarOutput, UnsupportedSyntax
from adjoint.testing import check_grads

pytest.importorskip("numba")
pytest.importorskip("scipy")  # numba's @ calls BLAS through scipy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def loop(x, y):
    for i in range(200):
        x = x - 0.01 * math.sin(x) * y
    return x


def rnn(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.mean(h ** 2)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@adjoint.rule(sigmoid)
def d_sigmoid(g, y, x):
    return g * (1 - y) * y


def neuron(w0, x0, w1, x1, w2):
    return sigmoid(w0 * x0 + w1 * x1 + w2)


def mlp(X, Y, W1, b1, W2, b2):
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    return np.sum((Z - Y) ** 2) / X.shape[0]


def branches(x, n):
    acc = x
    for i in range(n):
        if acc > 1.0:
            acc = acc * 0.7
        elif i % 2 == 0:
            acc = acc * acc + 0.4
        else:
            acc = acc + np.sin(acc)
    return acc


def while_loop(x, c):
    k = 0
    while x < 10.0:
        x = x * c + 0.5
        k = k + 1
    return x * k


def softplus(z):
    return np.log(1.0 + np.exp(z))


def calls_helper(w, x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + softplus(w * x[i])
    return total


def with_dict(params, x):
    return params["w"] * x


def takes_array_returns_array(x):
    return x * 2.0


def _same(a, b, tol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    assert float(np.max(np.abs(a - b), initial=0.0)) <= tol * scale


def _same_as_default(f, wrt, *args):
    """The numba gradient equals the default backend's, value and every gradient."""
    value, grads = adjoint.value_and_grad(f, wrt, backend="numba")(*args)
    ref_value, ref_grads = adjoint.value_and_grad(f, wrt)(*args)
    _same(value, ref_value)
    if not isinstance(wrt, tuple):
        grads, ref_grads = (grads,), (ref_grads,)
    assert len(grads) == len(ref_grads)
    for g, r in zip(grads, ref_grads):
        _same(g, r)
        assert np.asarray(g).dtype == np.asarray(r).dtype
    return grads


def test_scalar_loop_matches_default_and_finite_differences():
    grads = _same_as_default(loop, ("x", "y"), 2.0, 0.1)
    check_grads(loop, 2.0, 0.1, wrt=(0, 1), grad_fn=adjoint.grad(loop, (0, 1), backend="numba"))
    assert all(isinstance(g, float) for g in grads)


@pytest.mark.slow  # numba compiles @, tanh and the helpers for arrays: seconds
def test_rnn_matches_default_and_finite_differences():
    rng = np.random.default_rng(0)
    args = (0.5 * rng.standard_normal((3, 5)), rng.standard_normal((5, 5)) / 3,
            rng.standard_normal((4, 5)) / 2, rng.standard_normal((6, 3, 4)))
    before = [a.copy() for a in args]
    grads = _same_as_default(rnn, ("h", "Wh", "Wx"), *args)
    check_grads(rnn, *args, wrt=(0, 1, 2), grad_fn=adjoint.grad(rnn, (0, 1, 2), backend="numba"))
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)  # the caller's arrays are never changed
    for g, a in zip(grads, args):
        assert g.shape == a.shape and g.flags.writeable and not np.shares_memory(g, a)


def test_neuron_calls_the_users_function_under_numba():
    args = (2.0, -1.0, -3.0, -2.0, -3.0)
    grads = _same_as_default(neuron, (0, 1, 2, 3, 4), *args)
    s = 1 / (1 + math.exp(-(2.0 * -1.0 + -3.0 * -2.0 - 3.0)))
    _same(grads[4], s * (1 - s))  # the lecture's numbers


@pytest.mark.slow
def test_mlp_matches_default_and_finite_differences():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((8, 6)), rng.standard_normal((8, 3))
    W1, b1 = rng.standard_normal((6, 5)) / 3, 0.1 * rng.standard_normal(5)
    W2, b2 = rng.standard_normal((5, 3)) / 3, 0.1 * rng.standard_normal(3)
    args = (X, Y, W1, b1, W2, b2)
    grads = _same_as_default(mlp, (2, 3, 4, 5), *args)
    check_grads(mlp, *args, wrt=(2, 3, 4, 5), grad_fn=adjoint.grad(mlp, (2, 3, 4, 5), backend="numba"))
    assert grads[1].shape == (5,) and grads[3].shape == (3,)  # the biases, unbroadcast


@pytest.mark.parametrize("x", [0.3, 0.9, 1.7])
def test_branches_in_a_loop(x):
    _same_as_default(branches, "x", x, 7)
    check_grads(branches, x, 7, wrt=(0,), grad_fn=adjoint.grad(branches, ("x",), backend="numba"))


def test_while_loop():
    _same_as_default(while_loop, ("x", "c"), 0.7, 1.3)
    check_grads(while_loop, 0.7, 1.3, wrt=(0, 1),
                grad_fn=adjoint.grad(while_loop, (0, 1), backend="numba"))


def test_function_differentiated_through_is_compiled_too():
    x = np.linspace(-1.0, 2.0, 7)
    _same_as_default(calls_helper, ("w", "x"), 0.8, x)
    check_grads(calls_helper, 0.8, x, wrt=(0, 1),
                grad_fn=adjoint.grad(calls_helper, (0, 1), backend="numba"))
    text = adjoint.source(calls_helper, (0, 1), 0.8, x, backend="numba", callees=True)
    assert "def fwd_softplus" in text and "def bwd_softplus" in text


def test_source_is_the_default_code_with_its_rewrites():
    default = adjoint.source(loop, ("x", "y"), 2.0, 0.1)
    numba_text = adjoint.source(loop, ("x", "y"), 2.0, 0.1, backend="numba")
    assert "reversed(" in default  # (no `= None`: s1 is recomputed, not taped)
    # the backward walks x's tape (passes/tape_loops.py): a reversed copy numba can type
    assert "reversed(" not in numba_text and "for x in x_tape[::-1]:" in numba_text
    # a backward loop that reads its counter keeps the range, counting down
    branches_text = adjoint.source(branches, ("x",), 0.5, 5, backend="numba")
    assert "reversed(" not in branches_text and "for i in range(n - 1, -1, -1):" in branches_text
    assert numba_text.count("= UNSET") == default.count("= None") and "= None" not in numba_text
    changed = [(a, b) for a, b in zip(default.splitlines(), numba_text.splitlines()) if a != b]
    assert len(default.splitlines()) == len(numba_text.splitlines())
    assert len(changed) == 1 + default.count("= None")
    assert [line for line in numba_text.splitlines() if line.strip().startswith("#")] == \
        [line for line in default.splitlines() if line.strip().startswith("#")]


def test_dict_parameter_is_refused_naming_the_function():
    df = adjoint.grad(with_dict, "x", backend="numba")
    with pytest.raises(UnsupportedSyntax) as info:
        df({"w": 2.0}, 3.0)
    message = str(info.value)
    assert "numba backend cannot compile the gradient of with_dict" in message
    assert "default backend" in message and "Traceback" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_array_output_is_a_non_scalar_output():
    with pytest.raises(NonScalarOutput, match="scalar output"):
        adjoint.grad(takes_array_returns_array, backend="numba")(np.ones(3))


def test_unknown_backend_and_check_finite_are_refused():
    with pytest.raises(BadArguments, match="unknown backend 'jax'"):
        adjoint.grad(loop, backend="jax")
    with pytest.raises(BadArguments, match="check_finite is not available"):
        adjoint.grad(loop, check_finite=True, backend="numba")(2.0, 0.1)


def test_show_backend_numba():
    target = f"{os.path.abspath(__file__)}:loop"
    out = subprocess.run([sys.executable, "-m", "adjoint", "show", target, "--at", "x=2.0,y=0.1",
                          "--wrt", "x,y", "--backend", "numba", "--no-color"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "for x in x_tape[::-1]:" in out.stdout and "reversed(" not in out.stdout


def softmax_mlp(X, Y, W1, b1, W2, b2):  # the benchmark's MLP: keepdims max and sum
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    Zs = Z - np.max(Z, axis=1, keepdims=True)
    logp = Zs - np.log(np.sum(np.exp(Zs), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def reductions(x):
    a = np.sum(x * np.max(x, axis=(0, 2), keepdims=True), axis=-1)
    b = np.mean(x, axis=1, keepdims=True) * np.min(x, axis=0)
    return np.sum(a ** 2) + np.sum(np.amax(b, axis=2)) * np.ndim(x)


def reduction_with_dtype(x):
    return np.sum(x, axis=0, dtype=np.float32)[0]


@pytest.mark.slow  # numba compiles the reductions and @ for arrays: seconds
def test_softmax_mlp_matches_default_and_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((7, 6))
    Y = np.eye(4)[rng.integers(0, 4, 7)]
    W1, b1 = rng.standard_normal((6, 5)) / 3, 0.1 * rng.standard_normal(5)
    W2, b2 = rng.standard_normal((5, 4)) / 3, 0.1 * rng.standard_normal(4)
    args = (X, Y, W1, b1, W2, b2)
    _same_as_default(softmax_mlp, (2, 3, 4, 5), *args)
    check_grads(softmax_mlp, *args, wrt=(2, 3, 4, 5),
                grad_fn=adjoint.grad(softmax_mlp, (2, 3, 4, 5), backend="numba"))


@pytest.mark.slow
def test_reductions_over_axes_and_ties():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 5))
    x[1, 2, :2] = x.max()  # a tie for the max over axes (0, 2): the gradient splits evenly
    _same_as_default(reductions, "x", x)
    check_grads(reductions, rng.standard_normal((3, 4, 5)), wrt=(0,),
                grad_fn=adjoint.grad(reductions, ("x",), backend="numba"))


def test_numba_reductions_match_numpy():
    """The numba reductions themselves, against numpy: axes, keepdims, nan, ints."""
    from adjoint.backends.numba_ufuncs import NUMPY
    import numba
    x = np.arange(24.0).reshape(2, 3, 4) % 5 - 2.0
    x[0, 1, 2] = np.nan
    cases = {
        "max": numba.njit(lambda a: NUMPY.max(a, axis=(0, 2), keepdims=True)),
        "min": numba.njit(lambda a: NUMPY.min(a, axis=-1)),
        "mean": numba.njit(lambda a: NUMPY.mean(a, axis=1, keepdims=True)),
        "sum": numba.njit(lambda a: NUMPY.sum(a, axis=(1, 2))),
    }
    for name, jitted in cases.items():
        expected = {"max": np.max(x, axis=(0, 2), keepdims=True), "min": np.min(x, axis=-1),
                    "mean": np.mean(x, axis=1, keepdims=True), "sum": np.sum(x, axis=(1, 2))}[name]
        np.testing.assert_allclose(jitted(x), expected, rtol=1e-15, equal_nan=True)
    ints = np.arange(12).reshape(3, 4)
    total = numba.njit(lambda a: NUMPY.sum(a, axis=0, keepdims=True))(ints)
    assert total.dtype == np.int64 and total.tolist() == [[12, 15, 18, 21]]


def test_unsupported_reduction_argument_is_refused_naming_function_and_line():
    df = adjoint.grad(reduction_with_dtype, backend="numba")
    with pytest.raises(UnsupportedSyntax) as info:
        df(np.ones((3, 2)))
    message = str(info.value)
    assert "gradient of reduction_with_dtype" in message and "np.sum" in message
    assert "Traceback" not in message and info.value.__cause__ is None
