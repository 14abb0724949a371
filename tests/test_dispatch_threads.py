"""Threads: one gradient called from many threads at once, with Python switching threads
as often as it can (sys.setswitchinterval(1e-6)), gives every thread the gradient of its
own arguments; compiling the same functions from several threads at once leaves working
cached code. Every result is checked against the gradient written out by hand."""
import sys
import threading

import numpy as np
import pytest

import adjoint
from adjoint.pipeline import forget_callees

THREADS = 8
STEPS = 300


@pytest.fixture(autouse=True)
def switch_often():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def run_threads(work) -> list:
    """Run work(k) in THREADS threads started together; the errors they raised."""
    errors, barrier = [], threading.Barrier(THREADS)

    def body(k):
        try:
            barrier.wait()
            work(k)
        except Exception as exc:  # noqa: BLE001  (collected, then failed on below)
            errors.append(exc)
    threads = [threading.Thread(target=body, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def loss(x, w):
    return np.sum(np.tanh(x * w) * x)


def loss_grad_by_hand(x, w):
    t = np.tanh(x * w)
    return t + x * w * (1 - t * t), np.sum(x * x * (1 - t * t))


def test_threads_alternating_float_and_array_calls_get_their_own_gradient():
    df = adjoint.grad(loss, wrt=(0, 1))
    arrays = [np.linspace(-1, 1, 3 + k) for k in range(THREADS)]

    def work(k):
        for step in range(STEPS):
            x = 0.1 * (k + 1) + 0.01 * step if (step + k) % 2 else arrays[k]
            got = df(x, 0.7)
            want = loss_grad_by_hand(x, 0.7)
            for g, h in zip(got, want):
                assert np.shape(g) == np.shape(h), (np.shape(g), np.shape(h))
                np.testing.assert_allclose(g, h, rtol=1e-12)
    assert run_threads(work) == []


def shared_helper(x):
    return np.sin(x) * x


def uses_helper_a(x):
    return np.sum(shared_helper(x) * 2.0)


def uses_helper_b(x):
    return np.sum(shared_helper(x * 3.0))


def helper_grad(x):
    return np.cos(x) * x + np.sin(x)


def test_compiling_one_callee_from_many_threads_leaves_working_code():
    x = np.array([0.2, -0.4, 0.9])
    want = {uses_helper_a: 2.0 * helper_grad(x), uses_helper_b: 3.0 * helper_grad(3.0 * x)}
    for _ in range(3):
        forget_callees()
        grads = [adjoint.grad(uses_helper_a if k % 2 else uses_helper_b) for k in range(THREADS)]

        def work(k):
            f = uses_helper_a if k % 2 else uses_helper_b
            for _ in range(5):
                np.testing.assert_allclose(grads[k](x), want[f], rtol=1e-12)
        assert run_threads(work) == []
    # and the cached pairs still work afterwards, in this thread
    np.testing.assert_allclose(adjoint.grad(uses_helper_a)(x), want[uses_helper_a], rtol=1e-12)


SCALE = 2.0


def scaled_loss(x):
    return np.sum(x * x) * SCALE


def test_threads_calling_while_a_global_is_rebound_see_one_of_the_two_gradients():
    global SCALE
    df = adjoint.grad(scaled_loss)
    x = np.array([0.5, -1.5])
    seen = []

    def work(k):
        for step in range(100):
            got = df(x) if (k + step) % 2 else df(float(k))
            base = x if (k + step) % 2 else float(k)
            ratio = np.asarray(got) / (2 * np.asarray(base)) if k or (k + step) % 2 else None
            if ratio is not None:
                assert np.allclose(ratio, 2.0) or np.allclose(ratio, 5.0), ratio
                seen.append(float(np.ravel(ratio)[0]))
    try:
        threads_done = []

        def flipper():
            global SCALE
            for step in range(STEPS):
                SCALE = 5.0 if step % 2 else 2.0
            threads_done.append(True)
        flip = threading.Thread(target=flipper)
        flip.start()
        errors = run_threads(work)
        flip.join()
    finally:
        SCALE = 2.0
    assert errors == [] and threads_done == [True] and seen
    np.testing.assert_allclose(df(x), 4.0 * x)
