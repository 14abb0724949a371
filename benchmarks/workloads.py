"""The four benchmark workloads, each as: the function adjoint differentiates, a
hand-written flat numpy forward+backward (the lecture's way), the inputs, and the
same computation for each optional peer (HIPS autograd, PyTorch, JAX).

neuron and mlp are straight-line code; rnn (a 50-step tanh RNN on arrays) and loop (a
1000-step loop on Python floats) exercise control flow: adjoint keeps the loop and
stores what its backward needs on `<name>_tape` lists (see run.py --tapes).

Every implementation returns `(value, (grad_1, grad_2, ...))` in the order of `WRT`.
Peer builders return None when the peer cannot be imported; they import lazily so this
module needs only numpy and adjoint.
"""
from __future__ import annotations

import math

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


# --- 3. a 50-step tanh RNN (a loop over time on arrays) ---------------------------------

def rnn_loss(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.mean(h ** 2)


def rnn_by_hand(h, Wh, Wx, xs):
    """The lecture's backprop through time: keep every h in a list, then walk it backwards."""
    hs = [h]
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
        hs.append(h)
    L = np.mean(h ** 2)
    # backward
    dh = 2 * h / h.size
    dWh = np.zeros_like(Wh)
    dWx = np.zeros_like(Wx)
    for t in reversed(range(xs.shape[0])):
        da = dh * (1 - hs[t + 1] ** 2)     # through tanh
        dWh += hs[t].T @ da
        dWx += xs[t].T @ da
        dh = da @ Wh.T
    return L, (dh, dWh, dWx)


RNN_WRT = ("h", "Wh", "Wx")
RNN_SHAPES = dict(steps=50, batch=16, hidden=64, n_in=32)


def rnn_inputs(seed=0):
    """h 16x64, Wh 64x64, Wx 32x64, xs 50x16x32."""
    rng = np.random.default_rng(seed)
    t, n, h, d = (RNN_SHAPES[key] for key in ("steps", "batch", "hidden", "n_in"))
    h0 = 0.5 * rng.standard_normal((n, h))
    Wh = rng.standard_normal((h, h)) / np.sqrt(h)
    Wx = rng.standard_normal((d, h)) / np.sqrt(d)
    xs = rng.standard_normal((t, n, d))
    return h0, Wh, Wx, xs


# --- 4. a 1000-step loop on Python floats ---------------------------------------------

def loop(x, y):
    for i in range(1000):
        x = x - 0.01 * math.sin(x) * y
    return x


def loop_by_hand(x, y):
    """Store every x on the way forward, then walk them backwards (sin recomputed there)."""
    xs = []
    for i in range(1000):
        xs.append(x)
        x = x - 0.01 * math.sin(x) * y
    # backward
    gx, gy = 1.0, 0.0
    for x_i in reversed(xs):
        gy -= gx * 0.01 * math.sin(x_i)
        gx *= 1.0 - 0.01 * y * math.cos(x_i)
    return x, (gx, gy)


LOOP_WRT = ("x", "y")


def loop_inputs(seed=0):
    return (2.0, 0.1)  # x drifts from 2.0 to about 1.04 over the 1000 steps


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


def autograd_rnn():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def ag_rnn(h, Wh, Wx, xs):
        for t in range(xs.shape[0]):
            h = anp.tanh(h @ Wh + xs[t] @ Wx)
        return anp.mean(h ** 2)

    call = autograd.value_and_grad(ag_rnn, argnum=(0, 1, 2))
    return call, rnn_inputs(), _plain


def autograd_loop():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def ag_loop(x, y):
        for i in range(1000):
            x = x - 0.01 * anp.sin(x) * y
        return x

    call = autograd.value_and_grad(ag_loop, argnum=(0, 1))
    return call, loop_inputs(), _plain


def torch_rnn():
    try:
        import torch
    except ImportError:
        return None

    def call(h0, Wh, Wx, xs):
        h = h0
        for t in range(xs.shape[0]):
            h = torch.tanh(h @ Wh + xs[t] @ Wx)
        L = torch.mean(h ** 2)
        return L, torch.autograd.grad(L, (h0, Wh, Wx))

    h0, Wh, Wx, xs = (torch.from_numpy(a) for a in rnn_inputs())
    params = tuple(p.requires_grad_(True) for p in (h0, Wh, Wx))
    return call, params + (xs,), _from_torch


def torch_loop():
    try:
        import torch
    except ImportError:
        return None

    def call(x0, y):  # 0-d float64 tensors: one autograd node per scalar operation
        x = x0
        for i in range(1000):
            x = x - 0.01 * torch.sin(x) * y
        return x, torch.autograd.grad(x, (x0, y))

    args = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in loop_inputs())
    return call, args, _from_torch


def jax_rnn():
    jax = _import_jax()
    if jax is None:
        return None
    jnp = jax.numpy

    def jx_rnn(h, Wh, Wx, xs):  # a Python loop: jit unrolls it into 50 steps
        for t in range(xs.shape[0]):
            h = jnp.tanh(h @ Wh + xs[t] @ Wx)
        return jnp.mean(h ** 2)

    jitted = jax.jit(jax.value_and_grad(jx_rnn, argnums=(0, 1, 2)))

    def call(*args):
        return jax.block_until_ready(jitted(*args))
    return call, tuple(jnp.asarray(a) for a in rnn_inputs()), _from_jax


def jax_loop():
    jax = _import_jax()
    if jax is None:
        return None
    jnp = jax.numpy

    def jx_loop(x, y):  # lax.fori_loop: unrolling 1000 steps would take long to compile
        return jax.lax.fori_loop(0, 1000, lambda i, x: x - 0.01 * jnp.sin(x) * y, x)

    jitted = jax.jit(jax.value_and_grad(jx_loop, argnums=(0, 1)))

    def call(*args):
        return jax.block_until_ready(jitted(*args))
    return call, loop_inputs(), _from_jax


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
    "rnn": [("autograd", "autograd", autograd_rnn), ("torch", "torch", torch_rnn),
            ("jax", "jax (jit, unrolled)", jax_rnn)],
    "loop": [("autograd", "autograd", autograd_loop), ("torch", "torch", torch_loop),
             ("jax", "jax (jit, fori_loop)", jax_loop)],
}

# name: (function, hand-written version, wrt, inputs), in the order run.py runs them
WORKLOADS = {
    "neuron": (neuron, neuron_by_hand, NEURON_WRT, neuron_inputs),
    "mlp": (mlp, mlp_by_hand, MLP_WRT, mlp_inputs),
    "rnn": (rnn_loss, rnn_by_hand, RNN_WRT, rnn_inputs),
    "loop": (loop, loop_by_hand, LOOP_WRT, loop_inputs),
}
