"""The two benchmark workloads, each as: the function adjoint differentiates, a
hand-written flat numpy forward+backward (the lecture's way), the inputs, and the
same computation for each optional peer (HIPS autograd, PyTorch, JAX).

Every implementation returns `(value, (grad_1, grad_2, ...))` in the order of `WRT`.
Peer builders return None when the peer cannot be imported; they import lazily so this
module needs only numpy and adjoint.
"""
from __future__ import annotations

import numpy as np

import adjoint


# --- 1. the lecture's sigmoid neuron, on Python floats ---------------------------------
# The same function as examples/neuron.py, copied so edits there don't move the benchmark.

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@adjoint.rule(sigmoid)
def d_sigmoid(g, y, x):
    return g * (1 - y) * y


def neuron(w0, x0, w1, x1, w2):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    return L


def neuron_by_hand(w0, x0, w1, x1, w2):
    """The lecture's forward, then its backward written out one line per local derivative."""
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    grad_s3 = (1 - L) * L            # sigmoid's local derivative
    grad_w0 = grad_s3 * x0
    grad_x0 = grad_s3 * w0
    grad_w1 = grad_s3 * x1
    grad_x1 = grad_s3 * w1
    grad_w2 = grad_s3
    return L, (grad_w0, grad_x0, grad_w1, grad_x1, grad_w2)


NEURON_WRT = ("w0", "x0", "w1", "x1", "w2")


def neuron_inputs(rng=None):
    return (2.0, -1.0, -3.0, -2.0, -3.0)  # the lecture's numbers


# --- 2. a one-hidden-layer MLP with softmax cross-entropy ------------------------------

def mlp(X, Y, W1, b1, W2, b2):
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    M = np.max(Z, axis=1, keepdims=True)
    Zs = Z - M
    E = np.exp(Zs)
    S = np.sum(E, axis=1, keepdims=True)
    logp = Zs - np.log(S)
    L = -np.mean(np.sum(Y * logp, axis=1))
    return L


def mlp_by_hand(X, Y, W1, b1, W2, b2):
    """The same forward, then the backward a lecture writes (softmax+CE folded to P - Y)."""
    A = X @ W1 + b1
    H = np.tanh(A)
    Z = H @ W2 + b2
    Zs = Z - np.max(Z, axis=1, keepdims=True)
    E = np.exp(Zs)
    S = np.sum(E, axis=1, keepdims=True)
    logp = Zs - np.log(S)
    L = -np.mean(np.sum(Y * logp, axis=1))
    # backward
    dZ = (E / S - Y) / X.shape[0]
    dW2 = H.T @ dZ
    db2 = dZ.sum(axis=0)
    dH = dZ @ W2.T
    dA = dH * (1 - H * H)
    dW1 = X.T @ dA
    db1 = dA.sum(axis=0)
    return L, (dW1, db1, dW2, db2)


MLP_WRT = ("W1", "b1", "W2", "b2")
MLP_SHAPES = dict(batch=64, n_in=784, n_hidden=256, n_out=10)


def mlp_inputs(seed=0):
    """X 64x784, one-hot Y 64x10 from integer labels, W1 784x256, b1 256, W2 256x10, b2 10."""
    rng = np.random.default_rng(seed)
    n, d, h, k = (MLP_SHAPES[key] for key in ("batch", "n_in", "n_hidden", "n_out"))
    X = rng.standard_normal((n, d))
    labels = rng.integers(0, k, n)
    Y = np.eye(k)[labels]
    W1 = rng.standard_normal((d, h)) / np.sqrt(d)
    b1 = 0.1 * rng.standard_normal(h)
    W2 = rng.standard_normal((h, k)) / np.sqrt(h)
    b2 = 0.1 * rng.standard_normal(k)
    return X, Y, W1, b1, W2, b2


# --- peers ------------------------------------------------------------------------------
# Each builder returns (call, args, to_numpy) or None: `call(*args)` is what is timed,
# `to_numpy(result)` turns its result into (float, tuple of numpy arrays) for checking.

def autograd_neuron():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def ag_sigmoid(x):
        return 1.0 / (1.0 + anp.exp(-x))

    def ag_neuron(w0, x0, w1, x1, w2):
        s0 = w0 * x0
        s1 = w1 * x1
        s2 = s0 + s1
        s3 = s2 + w2
        return ag_sigmoid(s3)

    call = autograd.value_and_grad(ag_neuron, argnum=(0, 1, 2, 3, 4))
    return call, neuron_inputs(), _plain


def autograd_mlp():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def ag_mlp(W1, b1, W2, b2, X, Y):
        H = anp.tanh(X @ W1 + b1)
        Z = H @ W2 + b2
        M = anp.max(Z, axis=1, keepdims=True)
        Zs = Z - M
        E = anp.exp(Zs)
        S = anp.sum(E, axis=1, keepdims=True)
        logp = Zs - anp.log(S)
        return -anp.mean(anp.sum(Y * logp, axis=1))

    call = autograd.value_and_grad(ag_mlp, argnum=(0, 1, 2, 3))
    X, Y, W1, b1, W2, b2 = mlp_inputs()
    return call, (W1, b1, W2, b2, X, Y), _plain


def torch_neuron():
    try:
        import torch
    except ImportError:
        return None

    def call(w0, x0, w1, x1, w2):
        s0 = w0 * x0
        s1 = w1 * x1
        s2 = s0 + s1
        s3 = s2 + w2
        L = 1.0 / (1.0 + torch.exp(-s3))
        return L, torch.autograd.grad(L, (w0, x0, w1, x1, w2))

    args = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in neuron_inputs())
    return call, args, _from_torch


def torch_mlp():
    try:
        import torch
    except ImportError:
        return None

    def call(X, Y, W1, b1, W2, b2):
        H = torch.tanh(X @ W1 + b1)
        Z = H @ W2 + b2
        M = torch.amax(Z, dim=1, keepdim=True)
        Zs = Z - M
        E = torch.exp(Zs)
        S = torch.sum(E, dim=1, keepdim=True)
        logp = Zs - torch.log(S)
        L = -torch.mean(torch.sum(Y * logp, dim=1))
        return L, torch.autograd.grad(L, (W1, b1, W2, b2))

    X, Y, W1, b1, W2, b2 = (torch.from_numpy(a) for a in mlp_inputs())
    params = tuple(p.requires_grad_(True) for p in (W1, b1, W2, b2))
    return call, (X, Y) + params, _from_torch


def jax_neuron():
    jax = _import_jax()
    if jax is None:
        return None
    jnp = jax.numpy

    def jx_neuron(w0, x0, w1, x1, w2):
        s0 = w0 * x0
        s1 = w1 * x1
        s2 = s0 + s1
        s3 = s2 + w2
        return 1.0 / (1.0 + jnp.exp(-s3))

    jitted = jax.jit(jax.value_and_grad(jx_neuron, argnums=(0, 1, 2, 3, 4)))

    def call(*args):
        return jax.block_until_ready(jitted(*args))
    return call, neuron_inputs(), _from_jax


def jax_mlp():
    jax = _import_jax()
    if jax is None:
        return None
    jnp = jax.numpy

    def jx_mlp(W1, b1, W2, b2, X, Y):
        H = jnp.tanh(X @ W1 + b1)
        Z = H @ W2 + b2
        M = jnp.max(Z, axis=1, keepdims=True)
        Zs = Z - M
        E = jnp.exp(Zs)
        S = jnp.sum(E, axis=1, keepdims=True)
        logp = Zs - jnp.log(S)
        return -jnp.mean(jnp.sum(Y * logp, axis=1))

    jitted = jax.jit(jax.value_and_grad(jx_mlp, argnums=(0, 1, 2, 3)))

    def call(*args):
        return jax.block_until_ready(jitted(*args))
    X, Y, W1, b1, W2, b2 = (jnp.asarray(a) for a in mlp_inputs())
    return call, (W1, b1, W2, b2, X, Y), _from_jax


def _import_jax():
    import os
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)  # float64, like numpy, so gradients compare
    return jax


def _plain(result):
    value, grads = result
    return float(value), tuple(np.asarray(g, dtype=float) for g in grads)


def _from_torch(result):
    value, grads = result
    return float(value.detach()), tuple(g.detach().numpy() for g in grads)


def _from_jax(result):
    value, grads = result
    return float(value), tuple(np.asarray(g) for g in grads)


PEERS = {
    "neuron": [("autograd", "autograd", autograd_neuron), ("torch", "torch", torch_neuron),
               ("jax", "jax (jit)", jax_neuron)],
    "mlp": [("autograd", "autograd", autograd_mlp), ("torch", "torch", torch_mlp),
            ("jax", "jax (jit)", jax_mlp)],
}
