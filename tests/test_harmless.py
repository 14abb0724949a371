"""Harmless Python runs as written inside a differentiated function: assert, print,
f-strings, float(), int(), tuple(), sorted(), len, isinstance, str and dict methods,
random draws (constants: run once, in the forward, never dropped, never repeated), with
blocks; try/except is refused, saying why. Gradients are checked against central finite
differences.
"""
from __future__ import annotations

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

RNG = np.random.default_rng(20250603)
RS = np.random.RandomState(0)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


def test_assert_runs_and_fails_as_written():
    from harmless_functions import checked  # (not in a test module: pytest rewrites asserts)
    check_grads(checked, _r(3))
    with pytest.raises(AssertionError, match="x must be a vector, not 2-d"):
        adjoint.grad(checked)(_r(2, 2))


def printed(x):
    print(f"loss at {np.sum(x):.2f} over {len(x)!r} entries")
    return np.sum(x ** 2)


def test_print_runs_once_per_call_in_the_forward(capsys):
    x = np.array([0.5, 1.0])
    g = adjoint.grad(printed)(x)
    np.testing.assert_allclose(g, 2 * x)
    assert capsys.readouterr().out == "loss at 1.50 over 2 entries\n"


def conversions(x, xs):
    n = int(len(xs))
    first = float(np.sum(x))  # float() of a differentiable scalar: the identity
    pair = tuple(xs)
    order = sorted(xs)
    return first * n + pair[0] * pair[1] + order[0] * 3.0 + order[-1] ** 2


def test_float_int_tuple_sorted():
    check_grads(conversions, _r(3), [0.3, -0.8, 0.5], wrt=(0, 1))


def by_name(params, x):
    total = 0.0
    for key in sorted(params):
        if key.startswith("W") and isinstance(params[key], np.ndarray):
            total = total + np.sum(params[key] * x)
    bias = params.get("b", 0.0) + params.get("missing", 0.5)
    return total + np.sum(bias) * len(params)


def test_str_and_dict_methods():
    params = {"W1": _r(3), "W2": _r(3), "b": _r(3)}
    grads = adjoint.grad(by_name)(params, _r(3))
    assert set(grads) == {"W1", "W2", "b"}
    check_grads(by_name, params, _r(3), wrt=(0, 1))


def bayes(mu, log_sigma):
    eps = RS.randn(4)  # a draw: a constant, made once per call
    z = mu + np.exp(log_sigma) * eps
    return np.sum(z ** 2) / 2 - log_sigma * 4


def seeded_bayes(mu, log_sigma):
    RS.seed(7)
    return bayes(mu, log_sigma)


def test_a_bayesian_objective_drawing_inside_matches_finite_differences():
    check_grads(seeded_bayes, _r(4), 0.3, wrt=(0, 1))  # reseeded per call: the same draws
    RS.seed(7)
    eps = RS.randn(4)
    grads = adjoint.grad(seeded_bayes, wrt=(0, 1))(np.zeros(4), 0.0)
    np.testing.assert_allclose(grads[0], eps)
    assert grads[1] == pytest.approx(np.sum(eps ** 2) - 4)


def draws_unused(x):
    RS.seed(11)
    RS.randn(3)  # drawn and dropped: still advances the generator
    unused = RS.randn(2)  # noqa: F841
    return np.sum(x * RS.randn(2))


def test_draws_run_exactly_as_written():
    x = _r(2)
    g = adjoint.grad(draws_unused)(x)
    state_after_gradient = RS.randn()
    draws_unused(x)
    assert RS.randn() == state_after_gradient  # as many draws as the function makes
    RS.seed(11)
    RS.randn(5)
    np.testing.assert_allclose(g, RS.randn(2))
    assert "RS.randn(3)" in adjoint.source(draws_unused, 0, x)


def generator_draw(mu, rng):
    noise = rng.normal(0.0, 1.0, size=mu.shape)
    return np.sum((mu + noise) ** 2)


def test_a_generator_passed_in():
    mu = _r(3)
    g = adjoint.grad(generator_draw)(mu, np.random.default_rng(5))
    noise = np.random.default_rng(5).normal(0.0, 1.0, size=3)
    np.testing.assert_allclose(g, 2 * (mu + noise))


def guarded_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(x > 0, np.log(np.abs(x) + 1e-300), 0.0)
    with np.errstate(all="ignore"):
        return np.sum(y * x)


def test_with_errstate():
    check_grads(guarded_log, np.array([0.5, 1.5, 2.0]))


class Counting:
    def __init__(self):
        self.entered = self.exited = 0

    def __enter__(self):
        self.entered += 1
        return 3.0

    def __exit__(self, *exc):
        self.exited += 1
        return False


COUNTER = Counting()


def in_context(x):
    with COUNTER as factor:
        y = x * factor
    return np.sum(y ** 2)


def raises_in_context(x):
    with COUNTER:
        y = np.linalg.cholesky(x)  # fails for a matrix that is not positive definite
    return np.sum(y)


def test_a_context_manager_is_entered_and_left_once():
    before = (COUNTER.entered, COUNTER.exited)
    check_grads(in_context, _r(3))
    g = adjoint.grad(in_context)(np.ones(2))
    np.testing.assert_allclose(g, 18 * np.ones(2))
    assert COUNTER.entered - before[0] == COUNTER.exited - before[1]
    with pytest.raises(np.linalg.LinAlgError):
        adjoint.grad(raises_in_context)(-np.eye(2))
    assert COUNTER.entered == COUNTER.exited  # left on the way out


def handles(x):
    try:  # <try>
        y = np.log(x)
    except FloatingPointError:
        y = x
    return np.sum(y)


def test_try_except_is_refused_saying_why():
    from helpers import line_of
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.grad(handles)(np.ones(2))
    message = str(info.value)
    assert f"test_harmless.py:{line_of(__file__, 'try')}:" in message
    assert "try/except" in message and "outside the differentiated function" in message


def early_return_in_with(x):
    with np.errstate(all="ignore"):
        if np.sum(x) > 0:
            return np.sum(x)  # <with-return>
        y = x * 2
    return np.sum(y)


def test_leaving_a_with_block_early_is_refused():
    with pytest.raises(adjoint.UnsupportedSyntax, match="leaving a with block early"):
        adjoint.grad(early_return_in_with)(np.ones(2))


def cached(x, W):
    cache = {}
    h = cache.setdefault("h", np.tanh(x @ W))
    cache.setdefault("h", x)  # already there: unchanged
    scale = cache.setdefault("scale", 2.0)
    return np.sum(cache["h"] * h) * scale


def test_setdefault_on_a_local_dict():
    check_grads(cached, _r(2, 3), _r(3, 3), wrt=(0, 1))


def sets_callers_dict(params, x):
    params.setdefault("b", 1.0)
    return np.sum(params["W"] * x)


def test_setdefault_on_the_callers_dict_leaves_it_unchanged():
    """The compiled d.setdefault makes a new version of d: the gradient call never changes
    the caller's dict (plain Python would add the key to it)."""
    params, x = {"W": _r(2)}, _r(2)
    grads = adjoint.grad(sets_callers_dict)(params, x)
    assert set(params) == {"W"}
    np.testing.assert_allclose(grads["W"], x)


def branch_on_type(x, scale):
    factor = scale if isinstance(scale, float) else float(np.mean(scale))
    return np.sum(np.tanh(x) * factor)


def loop_with_len(xs):
    total = 0.0
    for k in range(len(xs)):
        total = total + xs[k] * (k + 1)
    return np.sum(total)


def index_by_int(x):
    k = int(np.argmax(x))
    return x[k] ** 2 + np.sum(x)


def rows_as_tuple(m):
    first, *rest = tuple(m)
    return np.sum(first * rest[-1]) + sum(np.sum(r) for r in rest)


def sorted_reversed(xs):
    ordered = sorted(xs)
    return ordered[-1] * 2.0 + ordered[0]


def messages(x):
    label = "loss".upper() + ":" + str(len(x))
    if label.endswith(str(len(x))):
        x = x * 2.0
    return np.sum(x ** 2)


def nested_get(config, x):
    layer = config.get("layer", {})
    return np.sum(layer.get("W", 1.0) * x) + config.get("bias", 0.1)


def draws_in_loop(mu):
    RS.seed(5)
    total = 0.0
    for _ in range(3):
        total = total + np.sum((mu - RS.randn(2)) ** 2)
    return total


MORE = [
    (branch_on_type, (_r(3), 0.8), (0, 1)),
    (loop_with_len, ([_r(2) for _ in range(3)],), 0),
    (index_by_int, (np.array([0.2, 1.5, -0.3]),), 0),
    (rows_as_tuple, (_r(3, 2),), 0),
    (sorted_reversed, ([0.4, -1.2, 0.9],), 0),
    (messages, (_r(3),), 0),
    (nested_get, ({"layer": {"W": _r(3)}, "bias": 0.3}, _r(3)), (0, 1)),
    (draws_in_loop, (_r(2),), 0),
]


@pytest.mark.parametrize("f,args,wrt", MORE, ids=lambda v: getattr(v, "__name__", ""))
def test_more_harmless_programs(f, args, wrt):
    check_grads(f, *args, wrt=wrt)
