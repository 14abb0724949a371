"""The numba backend without its reliance on numba's internals: gradients handed back
uncopied only where the call provably made them (numba.owned), and numba's own lowering
where numba_calls.py's custom one cannot work (another numba version): same numbers."""
import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

numba = pytest.importorskip("numba")
pytest.importorskip("scipy")

from adjoint.backends import numba as numba_backend
from adjoint.backends import numba_calls


def _args():
    rng = np.random.default_rng(3)
    return rng.uniform(-1.0, 1.0, (3, 4)), rng.uniform(-1.0, 1.0, (3, 4)), rng.uniform(-1.0, 1.0, 4)


def _never(*args):
    raise AssertionError("a helper was called by address")


def _check_against_default(f, args, wrt):
    value, grads = adjoint.value_and_grad(f, wrt, backend="numba")(*args)
    ref_value, ref_grads = adjoint.value_and_grad(f, wrt)(*args)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    for g, r in zip(grads, ref_grads):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-14)
    check_grads(f, *args, wrt=wrt, grad_fn=adjoint.grad(f, wrt, backend="numba"))


def test_owned_copies_what_the_call_did_not_make():
    @numba.njit
    def results(x):
        fresh = x * 2.0
        return x, x[1:], x.T, fresh, fresh, x + 1.0

    x = np.arange(6.0).reshape(2, 3)
    out = numba_backend.owned(results(x))
    assert out[5].base is not None and not np.may_share_memory(out[5], x)
    for kept_or_copied in out[:5]:
        assert not np.may_share_memory(kept_or_copied, x)
    assert not np.may_share_memory(out[3], out[4])  # one buffer twice: at least one copied
    np.testing.assert_array_equal(out[3], out[4])
    np.testing.assert_array_equal(out[1], x[1:])
    assert numba_backend.owned((1.0, (2.0,))) == (1.0, (2.0,))


def test_gradients_of_one_buffer_are_separate_arrays():
    def f(a, b):
        return np.sum((a + b) * np.array([1.0, 2.0, 3.0, 4.0]))

    a, b, _ = _args()
    ga, gb = adjoint.grad(f, (0, 1), backend="numba")(a, b)
    assert not np.may_share_memory(ga, gb) and not np.may_share_memory(ga, a)
    ga += 1.0
    np.testing.assert_array_equal(gb, np.tile([1.0, 2.0, 3.0, 4.0], (3, 1)))
    np.testing.assert_array_equal(a, _args()[0])


@pytest.mark.slow  # numba's own pipeline links and optimises every helper (seconds)
def test_numba_own_lowering_when_internals_differ(monkeypatch):
    monkeypatch.setattr(numba_calls, "SUPPORTED", False)
    monkeypatch.setattr(numba_calls, "call_by_address", _never)  # the custom lowering is off

    def f(a, b, c):
        return np.sum(np.tanh(a * b + c) * (1.0 - b * b))

    _check_against_default(f, _args(), (0, 1, 2))


@pytest.mark.slow  # numba compiles the helpers the usual way for this gradient
def test_a_helper_not_found_the_expected_way_is_lowered_by_numba(monkeypatch):
    def missing(*args):
        raise AttributeError("numba internals moved")

    monkeypatch.setattr(numba_calls, "helper_compiled", missing)
    monkeypatch.setattr(numba_calls, "plan", missing)
    monkeypatch.setattr(numba_calls, "call_by_address", _never)

    def f(a, b, c):
        return np.sum(np.sin(a - c) * b ** 2 + a * c)

    _check_against_default(f, _args(), (0, 1, 2))
