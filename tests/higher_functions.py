"""Functions for the forward-mode and higher-order tests (tests/test_higher.py): loops,
branches, while loops, early returns, calls, containers, in-place writes and linear
algebra, each a scalar function of its first parameter x (a small array) and constants.
"""
import math

import numpy as np
import scipy.special as special


def quadratic(x, A):
    return x @ A @ x


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic(w, X, y):
    p = special.expit(X @ w)
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def tanh_layers(x, W):
    h = x
    for _ in range(3):
        h = np.tanh(W @ h + 0.1)
    return np.sum(h * h)


def rnn(x, W):
    h = np.zeros(3)
    for t in range(4):
        h = np.tanh(W @ h + x * (t + 1.0))
    return np.sum(h)


def branch_in_loop(x, W):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            s = s + np.sin(x[i]) * x[i]
        else:
            s = s + x[i] ** 3
    return s + np.sum(W @ x)


def while_loop(x, W):
    y = x
    k = 0
    while k < 3:
        y = np.cos(y) * x + 0.5 * y
        k = k + 1
    return np.sum(y * y)


def while_until_converged(x, W):
    y = x * 0.5
    n = 0
    while np.max(np.abs(y)) > 0.05 and n < 40:
        y = y * 0.7 + 0.01 * np.sin(x)
        n = n + 1
    return np.sum(y * x)


def early_return(x, W):
    s = np.sum(x)
    if s > 100.0:
        return s
    return np.sum(np.exp(x) * x)


def break_in_loop(x, W):
    acc = 0.0
    for i in range(10):
        acc = acc + np.sum(x ** 2) / (i + 1.0)
        if acc > 3.0:
            break
    return acc * np.sum(x)


def _dense(x, W):
    return np.tanh(W @ x)


def calls(x, W):
    h = _dense(x, W)
    return np.sum(_dense(h, W) ** 2)


def _power(x, n):
    if n == 0:
        return 1.0
    return x * _power(x, n - 1)


def recursion(x, W):
    return np.sum(_power(x, 3))


def containers(x, W):
    parts = [x, np.sin(x), x * x]
    total = 0.0
    for p in parts:
        total = total + np.sum(p * p)
    d = {"a": x, "b": np.exp(x)}
    return total + np.sum(d["a"] * d["b"])


def list_append(x, W):
    ys = []
    for i in range(3):
        ys.append(x * (i + 1.0))
    return np.sum(np.stack(ys) ** 3)


def tuple_unpack(x, W):
    a, b = np.sin(x), np.cos(x)
    return np.sum(a * b * x)


def in_place(x, W):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = x[i] ** 2 * np.sum(x)
    return np.sum(out * out)


def fancy_index_write(x, W):
    y = np.copy(x)
    y[[0, 2]] = x[[1, 0]] * 3.0
    return np.sum(y ** 3)


def augmented(x, W):
    s = x * 1.0
    s += np.sin(x)
    s *= x
    return np.sum(s)


def linalg_solve(x, W):
    A = W + np.diag(x * x + 2.0)
    return np.sum(np.linalg.solve(A, x))


def linalg_inv_det(x, W):
    A = np.outer(x, x) + 3.0 * np.eye(x.shape[0])
    return np.log(np.linalg.det(A)) + np.trace(np.linalg.inv(A) @ W)


def slogdet(x, W):
    A = W @ W.T + np.diag(np.exp(x))
    sign, logdet = np.linalg.slogdet(A)
    return logdet


def eigh(x, W):
    A = np.outer(x, x) + W + W.T
    w, v = np.linalg.eigh(A)
    return np.sum(w ** 3)


def norms(x, W):
    return np.linalg.norm(W @ x) + np.sum(np.abs(x) ** 1.5)


def reductions(x, W):
    m = np.max(x * W[0])
    return np.var(x) * m + np.mean(np.exp(x)) + np.std(x * x)


def softmax_ce(x, W):
    z = W @ x
    return special.logsumexp(z) - z[0] + np.sum(special.softmax(x) * x)


def shaping(x, W):
    m = np.reshape(np.concatenate([x, x * x]), (2, -1))
    return np.sum(m.T @ m) + np.sum(np.flip(x) * x) + np.sum(np.cumsum(x) ** 2)


def where_clip(x, W):
    y = np.where(x > 0.2, x ** 2, np.sin(x))
    return np.sum(np.clip(y, -0.5, 2.0) * x)


def math_scalars(x, W):
    total = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        total = total + math.exp(v) * math.sin(v) + math.log(1.0 + v * v)
    return total


def einsum_dot(x, W):
    M = np.einsum("ij,j->i", W, x)
    return np.dot(M, M) + np.sum(np.tensordot(W, np.outer(x, x), axes=2))


def sorted_tail(x, W):
    s = np.sort(x * W[1])
    return np.sum(s[1:] * s[:-1])


def attention(x, W):
    scores = np.outer(x, x) @ W
    weights = special.softmax(scores, axis=1)
    return np.sum(weights @ x) + np.sum(special.log_softmax(scores[0]) * x)


def gaussian_loglik(x, W):
    cov = W @ W.T + np.diag(np.exp(x)) + np.eye(3)
    low = np.linalg.cholesky(cov)
    z = np.linalg.solve(low, x)
    return -0.5 * np.sum(z * z) - np.sum(np.log(np.diagonal(low)))


FUNCTIONS = [attention, gaussian_loglik, tanh_layers, rnn, branch_in_loop, while_loop, while_until_converged, early_return,
             break_in_loop, calls, recursion, containers, list_append, tuple_unpack, in_place,
             fancy_index_write, augmented, linalg_solve, linalg_inv_det, slogdet, eigh, norms,
             reductions, softmax_ce, shaping, where_clip, math_scalars, einsum_dot, sorted_tail]


# vector-valued functions, for Jacobians -------------------------------------------------
def vec_map(x, W):
    return np.tanh(W @ x) * x


def vec_loop(x, W):
    y = x
    for _ in range(3):
        y = np.sin(W @ y) + x
    return y


def vec_matrix(x, W):
    return np.outer(x, np.exp(x)) @ W


def vec_solve(x, W):
    return np.linalg.solve(W @ W.T + np.eye(3), x ** 2)


VECTOR_FUNCTIONS = [vec_map, vec_loop, vec_matrix, vec_solve]


# scalar functions of scalars, for grad of grad -----------------------------------------
def scalar_poly(x, a):
    return a * x ** 4 - 3.0 * x ** 2 + x


def scalar_loop(x, a):
    y = x
    for _ in range(3):
        y = math.sin(y) * a + x
    return y * y


def scalar_branch(x, a):
    if x > 0:
        return math.exp(a * x)
    return math.cos(x) * a


SCALAR_FUNCTIONS = [scalar_poly, scalar_loop, scalar_branch]


def cumprod_of_scalar(x):
    return np.cumprod(np.array([x, x * x, 2.0]))[2]  # 2 x^3
