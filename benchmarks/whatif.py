"""Hand-derived variants of the code adjoint generates today (run.py --show-source), each
one suggested change further than the last, so overhead.py can time what each change
would buy. Every variant is checked against the hand-written gradient before timing.
"""
import numpy as np

from adjoint.runtime import core as runtime  # the helpers generated code calls

import workloads


def neuron_seed_folded(w0, x0, w1, x1, w2):
    """Generated neuron code with the seed 1.0 folded: `grad_s3 = (1 - L) * L`."""
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    grad_s3 = (1 - L) * L
    grad_w2 = grad_s3
    grad_w1 = grad_s3 * x1
    grad_x1 = grad_s3 * w1
    grad_w0 = grad_s3 * x0
    grad_x0 = grad_s3 * w0
    return (L, (grad_w0, grad_x0, grad_w1, grad_x1, grad_w2))


sigmoid = workloads.sigmoid
unbroadcast, expand_to = runtime.unbroadcast, runtime.expand_to
matmul_left, matmul_right = runtime.matmul_left, runtime.matmul_right
# helpers that came and went while adjoint evolved: plain stand-ins when absent
safe_div = getattr(runtime, "safe_div", None) or (lambda g, d: g / d)
separate = getattr(runtime, "separate", lambda *grads: tuple(grads))


def mlp_lazy_broadcast(X, Y, W1, b1, W2, b2):
    """The generated MLP code (as of 33de5b3), but reductions' gradients left to broadcast,
    no expand_to copies: a scalar stays a scalar, a keepdims gradient stays (64, 1), and
    the max's tie share broadcasts M instead of materializing it."""
    s0 = X @ W1
    s1 = s0 + b1
    H = np.tanh(s1)
    s2 = H @ W2
    Z = s2 + b2
    M = np.max(Z, axis=1, keepdims=True)
    Zs = Z - M
    E = np.exp(Zs)
    S = np.sum(E, axis=1, keepdims=True)
    s3 = np.log(S)
    logp = Zs - s3
    s4 = Y * logp
    s5 = np.sum(s4, axis=1)
    s6 = np.mean(s5)
    L = -s6
    grad_L = 1.0
    grad_s6 = -grad_L
    grad_s5 = grad_s6 * (np.size(s6) / np.size(s5))
    grad_s4 = grad_s5
    grad_logp = unbroadcast(grad_s4 * Y, logp)
    grad_Zs = unbroadcast(grad_logp, Zs)
    grad_s3 = unbroadcast(-grad_logp, s3)
    grad_S = safe_div(grad_s3, S)
    grad_E = grad_S
    grad_Zs = grad_Zs + grad_E * E
    grad_Z = unbroadcast(grad_Zs, Z)
    grad_M = unbroadcast(-grad_Zs, M)
    hit = Z == M
    grad_Z = grad_Z + grad_M * (hit / np.sum(hit, axis=1, keepdims=True))
    grad_s2 = unbroadcast(grad_Z, s2)
    grad_b2 = unbroadcast(grad_Z, b2)
    grad_H = matmul_left(grad_s2, H, W2)
    grad_W2 = matmul_right(grad_s2, H, W2)
    grad_s1 = grad_H * (1 - H * H)
    grad_s0 = unbroadcast(grad_s1, s0)
    grad_b1 = unbroadcast(grad_s1, b1)
    grad_W1 = matmul_right(grad_s0, X, W1)
    return (L, separate(grad_W1, grad_b1, grad_W2, grad_b2))


def mlp_shape_specialized(X, Y, W1, b1, W2, b2):
    """...and every unbroadcast / matmul_* resolved for the argument shapes (identity
    unbroadcasts gone, the others a plain .sum, matmul gradients a plain `@`, the mean's
    1/64 folded), and no `separate` (the four gradients are distinct new arrays)."""
    s0 = X @ W1
    s1 = s0 + b1
    H = np.tanh(s1)
    s2 = H @ W2
    Z = s2 + b2
    M = np.max(Z, axis=1, keepdims=True)
    Zs = Z - M
    E = np.exp(Zs)
    S = np.sum(E, axis=1, keepdims=True)
    s3 = np.log(S)
    logp = Zs - s3
    s4 = Y * logp
    s5 = np.sum(s4, axis=1)
    s6 = np.mean(s5)
    L = -s6
    grad_s4 = -1.0 / 64
    grad_logp = grad_s4 * Y
    grad_s3 = np.sum(-grad_logp, axis=1, keepdims=True)
    grad_S = safe_div(grad_s3, S)
    grad_Zs = grad_logp + grad_S * E
    grad_M = np.sum(-grad_Zs, axis=1, keepdims=True)
    hit = Z == M
    grad_Z = grad_Zs + grad_M * (hit / np.sum(hit, axis=1, keepdims=True))
    grad_b2 = grad_Z.sum(axis=0)
    grad_H = grad_Z @ W2.T
    grad_W2 = H.T @ grad_Z
    grad_s1 = grad_H * (1 - H * H)
    grad_b1 = grad_s1.sum(axis=0)
    grad_W1 = X.T @ grad_s1
    return (L, (grad_W1, grad_b1, grad_W2, grad_b2))


def mlp_plain_divide(X, Y, W1, b1, W2, b2):
    """...and log's gradient a plain divide instead of safe_div's finiteness check."""
    s0 = X @ W1
    s1 = s0 + b1
    H = np.tanh(s1)
    s2 = H @ W2
    Z = s2 + b2
    M = np.max(Z, axis=1, keepdims=True)
    Zs = Z - M
    E = np.exp(Zs)
    S = np.sum(E, axis=1, keepdims=True)
    s3 = np.log(S)
    logp = Zs - s3
    s4 = Y * logp
    s5 = np.sum(s4, axis=1)
    s6 = np.mean(s5)
    L = -s6
    grad_s4 = -1.0 / 64
    grad_logp = grad_s4 * Y
    grad_s3 = np.sum(-grad_logp, axis=1, keepdims=True)
    grad_S = grad_s3 / S
    grad_Zs = grad_logp + grad_S * E
    grad_M = np.sum(-grad_Zs, axis=1, keepdims=True)
    hit = Z == M
    grad_Z = grad_Zs + grad_M * (hit / np.sum(hit, axis=1, keepdims=True))
    grad_b2 = grad_Z.sum(axis=0)
    grad_H = grad_Z @ W2.T
    grad_W2 = H.T @ grad_Z
    grad_s1 = grad_H * (1 - H * H)
    grad_b1 = grad_s1.sum(axis=0)
    grad_W1 = X.T @ grad_s1
    return (L, (grad_W1, grad_b1, grad_W2, grad_b2))


def mlp_max_stopped(X, Y, W1, b1, W2, b2):
    """...and no gradient through M = max(Z) (JAX's logsumexp stops it: it is exactly 0
    in exact arithmetic, since softmax is shift-invariant)."""
    s0 = X @ W1
    s1 = s0 + b1
    H = np.tanh(s1)
    s2 = H @ W2
    Z = s2 + b2
    M = np.max(Z, axis=1, keepdims=True)
    Zs = Z - M
    E = np.exp(Zs)
    S = np.sum(E, axis=1, keepdims=True)
    s3 = np.log(S)
    logp = Zs - s3
    s4 = Y * logp
    s5 = np.sum(s4, axis=1)
    s6 = np.mean(s5)
    L = -s6
    grad_s4 = -1.0 / 64
    grad_logp = grad_s4 * Y
    grad_s3 = np.sum(-grad_logp, axis=1, keepdims=True)
    grad_S = grad_s3 / S
    grad_Z = grad_logp + grad_S * E
    grad_b2 = grad_Z.sum(axis=0)
    grad_H = grad_Z @ W2.T
    grad_W2 = H.T @ grad_Z
    grad_s1 = grad_H * (1 - H * H)
    grad_b1 = grad_s1.sum(axis=0)
    grad_W1 = X.T @ grad_s1
    return (L, (grad_W1, grad_b1, grad_W2, grad_b2))
