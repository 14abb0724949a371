"""`adjoint numba-warm`: compile the numba backend's helpers once, ahead of the first
gradient, into numba's disk cache.

The first gradient compiled with backend="numba" on a machine whose numba cache is empty
(a new install, a new numba or adjoint version) also compiles every helper it calls:
4-8 s for an MLP or an RNN, most of it LLVM optimising and generating machine code for
the helpers (the gradient itself: a few tenths of a second). The helpers are cached on
disk (backends/numba_cache.py), so from then on a new gradient that calls the same
helpers with the same argument types takes well under a second. This command pays that
compile once, up front, for the common cases: it differentiates the small programs
below (layers with softmax, a recurrent loop, vectors, reductions along axes, a loop on
floats) with the numba backend, checks each against the default backend, and compiles
the elementwise helpers (ELEMENTWISE_OPS) for float64 arrays of rank 1 and 2 and float
and int scalars in every combination.

A gradient calling a helper with types not covered here (float32, other ranks, other
reduction axes) still compiles that helper on its first call, and caches it then.
Nothing here changes what a gradient computes; it only fills the cache.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .. import api
from ..backends import check_backend
from ..errors import AdjointError

ELEMENTWISE_OPS = ("add", "sub", "mul", "truediv", "power")  # a helper each, numba_elementwise.py
UNARY_OPS = ("neg", "sqrt", "absolute")
SAME_RTOL = 1e-12


# the programs: what typical gradients call the helpers with --------------------------------
def layers(X, Y, W1, b1, W2, b2):
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    Zs = Z - np.max(Z, axis=1, keepdims=True)
    logp = Zs - np.log(np.sum(np.exp(Zs), axis=1, keepdims=True))
    P = 1.0 / (1.0 + np.exp(-Z))
    return -np.mean(np.sum(Y * logp, axis=1)) + np.mean((P - Y) ** 2) + np.sum(H * H) / 2


def recurrent(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.mean(h ** 2)


def vectors(x, y, A):
    z = np.sin(x) * np.cos(y) + np.sqrt(x * x + 1.0) - np.abs(y) / 2.0 \
        + np.exp(-x) * np.log(y * y + 1)
    return np.sum(z * z) + np.mean(A @ x) + np.max(x) + np.min(y) + np.sum(np.sum(A, axis=0) * x)


def reductions(A):
    centred = A - np.mean(A, axis=0, keepdims=True)
    scaled = centred / np.max(np.abs(A), axis=1, keepdims=True)
    return np.sum(np.mean(scaled, axis=0) ** 2) + np.sum(np.min(A, axis=0)) \
        + np.sum(np.max(A, axis=1)) + np.mean(np.sum(A * A, axis=1))


def floats(x, y):
    for i in range(10):
        x = x - 0.01 * math.sin(x) * y + math.cos(y) * math.exp(-x * x) / (1.0 + math.tanh(x) ** 2)
    return x


def programs() -> list:
    """(function, wrt, arguments) for each program: float64 arrays of rank 1 to 3, floats."""
    rng = np.random.default_rng(0)
    normal = rng.standard_normal
    return [
        (layers, ("W1", "b1", "W2", "b2"), (normal((8, 5)), np.eye(3)[rng.integers(0, 3, 8)],
                                            normal((5, 4)), normal(4), normal((4, 3)), normal(3))),
        (recurrent, ("h", "Wh", "Wx"), (normal((2, 4)), normal((4, 4)), normal((3, 4)),
                                        normal((5, 2, 3)))),
        (vectors, ("x", "y", "A"), (rng.random(4) + 0.5, rng.random(4) + 0.5, normal((3, 4)))),
        (reductions, ("A",), (normal((3, 4)),)),
        (floats, ("x", "y"), (1.5, 0.3)),
    ]


# warming ------------------------------------------------------------------------------------
def warm() -> list:
    """Fill numba's cache as the module docstring says; the lines to print. Raises
    AdjointError where numba's cache cannot be written or a program's numbers differ
    from the default backend's."""
    check_backend("numba")
    from ..backends import numba_cache, numba_elementwise  # here: numba is optional
    if not numba_cache.CACHE:
        raise AdjointError("numba has nowhere to write its cache (see NUMBA_CACHE_DIR in "
                           "numba's documentation), so there is nothing to warm: the helpers "
                           "compile in each process")
    start = time.perf_counter()
    for function, wrt, args in programs():
        run_program(function, wrt, args)
    count = numba_elementwise.compile_common(ELEMENTWISE_OPS, UNARY_OPS)
    seconds = time.perf_counter() - start
    return [f"numba-warm: {len(programs())} programs differentiated and {count} elementwise "
            + f"helper versions compiled in {seconds:.1f} s",
            f"numba's cache: {numba_cache.cache_path()}"]


def run_program(function, wrt, args) -> None:
    """Compile (and so cache the helpers of) `function`'s numba gradient; its value and
    gradients must equal the default backend's."""
    result = api.value_and_grad(function, wrt=wrt, backend="numba")(*args)
    reference = api.value_and_grad(function, wrt=wrt)(*args)
    for got, want in zip((result[0], *result[1]), (reference[0], *reference[1])):
        got, want = np.asarray(got), np.asarray(want)
        scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
        if got.shape != want.shape or not np.max(np.abs(got - want), initial=0.0) <= SAME_RTOL * scale:
            raise AdjointError(f"numba-warm: the numba gradient of {function.__name__} differs "
                               "from the default backend's; please report this")


# the command ------------------------------------------------------------------------------
def add_numba_warm(commands) -> None:
    commands.add_parser("numba-warm", help="compile the numba backend's helpers into numba's "
                        "disk cache once, so that later first calls of backend='numba' "
                        "gradients take under a second (takes a minute)")


def run_numba_warm(args) -> str:
    return "\n".join(warm()) + "\n"
