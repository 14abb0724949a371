"""A sample of the rules through the compiler: grad(f) of a small function calling the
rule, checked against finite differences with adjoint.testing.check_grads. Each output
is weighted by a random, non-uniform array so a transposed gradient cannot pass."""
import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

special = pytest.importorskip("scipy.special")

R = np.random.default_rng(7)
W23 = R.normal(size=(2, 3))
W32 = R.normal(size=(3, 2))
W3 = R.normal(size=3)
W33 = R.normal(size=(3, 3))
W4 = R.normal(size=4)
W6 = R.normal(size=6)
W24 = R.normal(size=(2, 4))
WEIGHTS12 = np.reshape(R.normal(size=12), (4, 3))
WEIGHTS223 = np.reshape(R.normal(size=12), (2, 2, 3))
KNOTS = np.array([-1.5, -0.5, 0.2, 1.0, 2.5])


def x23():
    return R.normal(size=(2, 3))


def pos23():
    return R.uniform(0.3, 2.0, size=(2, 3))


def invertible():
    return R.normal(size=(3, 3)) + 3 * np.eye(3)


def f_sin(x): return np.sum(np.sin(x) * W23)
def f_exp_log(x): return np.sum(np.log(np.exp(x) + 1.0) * W23)
def f_sqrt(x): return np.sum(np.sqrt(x) * W23)
def f_arctan2(x, y): return np.sum(np.arctan2(x, y) * W23)
def f_maximum(x): return np.sum(np.maximum(x, W3) * W23)
def f_power(x): return np.sum(np.power(x, 2.5) * W23)
def f_hypot(x, y): return np.sum(np.hypot(x, y) * W23)
def f_logaddexp(x): return np.sum(np.logaddexp(x, W3) * W23)
def f_where(x): return np.sum(np.where(x > 0, np.sqrt(x), 0.0) * W23)
def f_clip(x): return np.sum(np.clip(x, -0.5, 0.5) * W23)
def f_sum_axis(x): return np.sum(np.sum(x, axis=0) * W3)
def f_mean_keepdims(x): return np.sum(np.mean(x, axis=1, keepdims=True) * W23)
def f_prod(x): return np.sum(np.prod(x, axis=1) * W23[:, 0])
def f_max(x): return np.sum(np.max(x, axis=1, keepdims=True) * W23)
def f_var(x): return np.sum(np.var(x, axis=0, ddof=1) * W3)
def f_std(x): return np.std(x * W23)
def f_cumsum(x): return np.sum(np.cumsum(x, axis=1) * W23)
def f_cumprod(x): return np.sum(np.cumprod(x, axis=1) * W23)
def f_logsumexp(x): return np.sum(special.logsumexp(x, axis=1) * W23[:, 0])
def f_softmax(x): return np.sum(special.softmax(x, axis=1) * W23)
def f_log_softmax(x): return np.sum(special.log_softmax(x, axis=1) * W23)
def f_expit(x): return np.sum(special.expit(x) * W23)
def f_gammaln(x): return np.sum(special.gammaln(x) * W23)
def f_dot(x): return np.sum(np.dot(x, W32) * W33[:2, :2])
def f_matmul(x, y): return np.sum(np.matmul(x, y) * W33[:2, :2])
def f_einsum(x, y): return np.sum(np.einsum("ij,jk->ik", x, y) * W33[:2, :2])
def f_tensordot(x): return np.sum(np.tensordot(x, W23, axes=([0], [0])) * W33)
def f_outer(x): return np.sum(np.outer(x, W3) * W33)
def f_kron(x): return np.sum(np.kron(x, W23[:1, :2]) * W24)
def f_trace(x): return np.trace(x * W33)
def f_norm(x): return np.linalg.norm(x * W23)
def f_inv(a): return np.sum(np.linalg.inv(a) * W33)
def f_det(a): return np.linalg.det(a)
def f_solve(a, b): return np.sum(np.linalg.solve(a, b) * W3)


def f_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet


def f_eigh(a):
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w * W3)


def f_cholesky(a):
    low = np.linalg.cholesky(a @ a.T + 3.0 * np.eye(3))
    return np.sum(low * W33)


def f_concatenate(x, y):
    z = np.concatenate([x, y], axis=0)
    return np.sum(z * WEIGHTS12)


def f_stack(x, y):
    z = np.stack((x, y), axis=1)
    return np.sum(z * z * WEIGHTS223)


def f_split(x):
    a, b = np.split(x, 2, axis=0)
    return np.sum(a * b * W23[:1, :])


def f_split_indexed(x):
    parts = np.split(x, 3)
    return np.sum(parts[0] * parts[2])


def f_slogdet_indexed(a):
    result = np.linalg.slogdet(a)
    return result[1]


def f_eigh_indexed(a):
    pair = np.linalg.eigh(a + a.T)
    return np.sum(pair[0] * W3)


def f_array(a, b): return np.sum(np.array([a, b, a * b]) * W3)
def f_reshape(x): return np.sum(np.reshape(x, (3, 2)) * W32)
def f_transpose(x): return np.sum(np.transpose(x) * W32)
def f_broadcast_to(x): return np.sum(np.broadcast_to(x, (2, 3)) * W23)
def f_tile(x): return np.sum(np.tile(x, (1, 2)) * np.concatenate([W23, W23], axis=1))
def f_repeat(x): return np.sum(np.repeat(x, 2, axis=0) * np.concatenate([W23, W23], axis=0))
def f_roll(x): return np.sum(np.roll(x, 1, axis=1) * W23)
def f_flip(x): return np.sum(np.flip(x, axis=1) * W23)
def f_pad(x): return np.sum(np.pad(x, 1) * np.ones((4, 5)) * np.sum(W23))
def f_take(x): return np.sum(np.take(x, [0, 2, 2], axis=1) * W23)
def f_sort(x): return np.sum(np.sort(x, axis=1) * W23)
def f_getitem(x): return np.sum(x[1, :] * W3)
def f_diff(x): return np.sum(np.diff(x, axis=1) * W23[:, :2])
def f_interp(fp): return np.sum(np.interp(W3, KNOTS, fp) * W3)
def f_convolve(x): return np.sum(np.convolve(x, W3) * W6)
def f_triu(x): return np.sum(np.triu(x) * W33)


COMPILED = [
    (f_sin, (x23(),), 0), (f_exp_log, (x23(),), 0), (f_sqrt, (pos23(),), 0),
    (f_arctan2, (x23(), x23()), (0, 1)), (f_maximum, (x23(),), 0), (f_power, (pos23(),), 0),
    (f_hypot, (x23(), x23()), (0, 1)), (f_logaddexp, (x23(),), 0), (f_where, (x23(),), 0),
    (f_clip, (x23(),), 0), (f_sum_axis, (x23(),), 0), (f_mean_keepdims, (x23(),), 0),
    (f_prod, (pos23(),), 0), (f_max, (x23(),), 0), (f_var, (R.normal(size=(4, 3)),), 0),
    (f_std, (x23(),), 0), (f_cumsum, (x23(),), 0), (f_cumprod, (pos23(),), 0),
    (f_logsumexp, (x23(),), 0), (f_softmax, (x23(),), 0), (f_log_softmax, (x23(),), 0),
    (f_expit, (x23(),), 0), (f_gammaln, (pos23(),), 0), (f_dot, (x23(),), 0),
    (f_matmul, (x23(), R.normal(size=(3, 2))), (0, 1)), (f_einsum, (x23(), R.normal(size=(3, 2))), (0, 1)),
    (f_tensordot, (x23(),), 0), (f_outer, (R.normal(size=3),), 0), (f_kron, (x23()[:, :2] ,), 0),
    (f_trace, (R.normal(size=(3, 3)),), 0), (f_norm, (x23(),), 0), (f_inv, (invertible(),), 0),
    (f_det, (invertible(),), 0), (f_solve, (invertible(), R.normal(size=3)), (0, 1)),
    (f_slogdet, (invertible(),), 0), (f_eigh, (R.normal(size=(3, 3)),), 0),
    (f_cholesky, (R.normal(size=(3, 3)),), 0),
    (f_concatenate, (x23(), x23()), (0, 1)), (f_stack, (x23(), x23()), (0, 1)),
    (f_split, (x23(),), 0), (f_split_indexed, (R.normal(size=6),), 0),
    (f_slogdet_indexed, (invertible(),), 0), (f_eigh_indexed, (R.normal(size=(3, 3)),), 0),
    (f_array, (0.7, -1.3), (0, 1)), (f_reshape, (x23(),), 0),
    (f_transpose, (x23(),), 0), (f_broadcast_to, (R.normal(size=3),), 0), (f_tile, (x23(),), 0),
    (f_repeat, (x23(),), 0), (f_roll, (x23(),), 0), (f_flip, (x23(),), 0), (f_pad, (x23(),), 0),
    (f_take, (x23(),), 0), (f_sort, (x23(),), 0), (f_getitem, (x23(),), 0), (f_diff, (x23(),), 0),
    (f_interp, (R.normal(size=5),), 0), (f_convolve, (R.normal(size=4),), 0),
    (f_triu, (R.normal(size=(3, 3)),), 0),
]


@pytest.mark.parametrize("f, args, wrt", COMPILED, ids=[c[0].__name__ for c in COMPILED])
def test_gradient_through_the_compiler(f, args, wrt):
    with np.errstate(invalid="ignore"):  # f_where's forward takes sqrt of negatives
        check_grads(f, *args, wrt=wrt, rtol=1e-4, atol=1e-6)


def h_sin(x, w): return np.sum(np.sin(x) * w)
def h_sum_axis(x, w): return np.sum(np.sum(x, axis=0) * w[0])
def h_max(x, w): return np.sum(np.max(x, axis=1, keepdims=True) * w)
def h_var(x, w): return np.sum(np.var(x, axis=0, ddof=1) * w[0])
def h_softmax(x, w): return np.sum(special.softmax(x, axis=1) * w)
def h_norm(x, w): return np.linalg.norm(x * w)
def h_reshape(x, w): return np.sum(np.reshape(x, (3, 2)) * np.transpose(w))
def h_take(x, w): return np.sum(np.take(x, [0, 2, 2], axis=1) * w)
def h_cumsum(x, w): return np.sum(np.cumsum(x, axis=1) * w)
def h_matmul(x, w): return np.sum(x @ np.transpose(w) @ x)
def h_where(x, w): return np.sum(np.where(x > 0, np.log(x), 0.0) * w)
def h_concat(x, w): return np.sum(np.concatenate([x, w], axis=1) ** 2)


@pytest.mark.parametrize("f", [h_sin, h_sum_axis, h_max, h_var, h_softmax, h_norm, h_reshape,
                               h_take, h_cumsum, h_matmul, h_where, h_concat],
                         ids=lambda f: f.__name__)
def test_float32_gradient_through_the_compiler(f):
    x = R.normal(size=(2, 3)).astype(np.float32)
    w = R.normal(size=(2, 3)).astype(np.float32)
    if f is h_matmul:
        x = R.normal(size=(3, 3)).astype(np.float32)
        w = R.normal(size=(3, 3)).astype(np.float32)
    with np.errstate(all="ignore"):
        assert adjoint.grad(f)(x, w).dtype == np.float32


def test_masked_sqrt_branch_has_zero_gradient_not_nan():
    x = np.array([[-1.0, 0.0, 4.0], [2.0, -3.0, 0.25]])
    with np.errstate(invalid="ignore"):
        grad = adjoint.grad(f_where)(x)
    assert np.all(np.isfinite(grad))
    assert np.all(grad[x <= 0] == 0.0)


def test_rules_read_like_the_math_in_generated_code():
    source = adjoint.source(f_softmax)
    assert "np.sum(grad_" in source and "keepdims=True" in source
    assert "grad_x = " in adjoint.source(f_sin)
