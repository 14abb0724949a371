"""What numba itself takes to compile the MLP's and the RNN's gradients, written by hand.

The numba backend's cold first call (numba_section.py: a fresh process, an empty numba
cache) compiles adjoint's helpers and the gradient. This is the floor to compare it
with: the lecture's backward passes (workloads.py), written once as plain njit functions
with numba's own @, tanh, exp, log and reductions, compiled on their first call after
numba's start-up (a trivial njit compile, not counted), each in a fresh process.
numba's cache is not used, so every run is cold.

    python benchmarks/numba_floor.py [mlp|rnn]      # prints seconds per workload
"""
from __future__ import annotations

import subprocess
import sys
import time

import numba
import numpy as np
import workloads


@numba.njit
def mlp_by_hand(X, Y, W1, b1, W2, b2):
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    M = np.empty((Z.shape[0], 1))
    for i in range(Z.shape[0]):  # numba's max takes no axis
        M[i, 0] = Z[i].max()
    Zs = Z - M
    E = np.exp(Zs)
    S = np.sum(E, axis=1).reshape((-1, 1))
    L = -np.mean(np.sum(Y * (Zs - np.log(S)), axis=1))
    dZ = (E / S - Y) / X.shape[0]
    dA = dZ @ W2.T * (1 - H * H)
    return L, (X.T @ dA, dA.sum(axis=0), H.T @ dZ, dZ.sum(axis=0))


@numba.njit
def rnn_by_hand(h, Wh, Wx, xs):
    steps = xs.shape[0]
    hs = np.empty((steps + 1,) + h.shape)  # the tape: every h, preallocated
    hs[0] = h
    for t in range(steps):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
        hs[t + 1] = h
    L = np.mean(h ** 2)
    dh = 2 * h / h.size
    dWh, dWx = np.zeros_like(Wh), np.zeros_like(Wx)
    for t in range(steps - 1, -1, -1):
        da = dh * (1 - hs[t + 1] ** 2)
        dWh += hs[t].T @ da
        dWx += xs[t].T @ da
        dh = da @ Wh.T
    return L, (dh, dWh, dWx)


FLOORS = {"mlp": mlp_by_hand, "rnn": rnn_by_hand}


def measure(name: str) -> None:
    numba.njit(lambda x: x + 1.0)(1.0)  # numba's start-up
    _, hand, _, inputs = workloads.WORKLOADS[name]
    args = inputs()
    start, cpu = time.perf_counter(), time.process_time()
    value, grads = FLOORS[name](*args)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ref_value, ref_grads = hand(*args)
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, ref_grads))
    print(f"{name}: hand-written njit gradient, cold first call {seconds:.2f} s (cpu {cpu:.2f} s) "
          f"(value off by {abs(value - ref_value):.1e}, gradients by {worst:.1e})")


def main(argv: list) -> None:
    if argv:
        measure(argv[0])
        return
    for name in FLOORS:  # each in a fresh process: no compiled numba internals shared
        subprocess.run([sys.executable, __file__, name], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
