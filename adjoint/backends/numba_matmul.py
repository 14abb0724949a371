"""@ and the gradients of @ for numba code, cheap to compile.

numba compiles each `a @ b` it meets as np.dot: a function that allocates the result
and calls np.dot(a, b, out), itself compiled as one more function, once for each
combination of the operands' layouts; the gradients of a 2-d @ take a transpose (g @ b.T,
a.T @ g), so a gradient holds three such combinations: about a fifth of a second each in
a process whose numba cache is empty. Here a product of two contiguous 2-d arrays is
written straight to numba's own matrix-product code (the code np.dot(a, b, out) runs:
the same BLAS calls, the same numbers) in the one function that needs it; anything else
(vectors, views with strides, integers) is numba's @.

numba_cache.py explains the cache: every function here calls only functions in this file.
This leans on numba's internals (numba.np.linalg.dot_3_mm, written for numba 0.68);
where they are missing every product is numba's @.
"""
from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload

from ..runtime import core
from .numba_cache import OVERLOAD
from .numba_runtime import is_array

try:
    from numba.np.linalg import dot_3_mm
except ImportError:  # another numba's layout: numba's @ for every product
    dot_3_mm = None


def matmul(a, b):
    """a @ b: what the numba code's every @ calls (plain Python: numpy's)."""
    return a @ b


def _direct(a, b) -> bool:
    """Whether a @ b can go straight to the matrix product: two contiguous 2-d arrays
    of one float type."""
    return dot_3_mm is not None and all(
        isinstance(t, types.Array) and t.ndim == 2 and t.layout in "CF"
        and t.dtype in (types.float32, types.float64) for t in (a, b)) and a.dtype == b.dtype


@intrinsic
def _product_into(typingctx, a, b, out):
    """out = a @ b, by numba's np.dot(a, b, out) (it checks the shapes)."""
    def codegen(context, builder, signature, args):
        return dot_3_mm(context, builder, signature, args)
    return out(a, b, out), codegen


@overload(matmul, jit_options=OVERLOAD)
def _matmul(a, b):
    if _direct(a, b):
        dtype = a.dtype
        return lambda a, b: _product_into(a, b, np.empty((a.shape[0], b.shape[1]), dtype))
    return lambda a, b: a @ b


@overload(core.matmul_left, jit_options=OVERLOAD)
def matmul_left(g, a, b):
    if is_array(a) and is_array(b) and a.ndim <= 2 and b.ndim <= 2:
        if a.ndim == 2 and b.ndim == 2:
            return lambda g, a, b: matmul(g, b.T)
        if b.ndim == 1 and a.ndim == 2:
            return lambda g, a, b: np.outer(g, b)
        if a.ndim == 1 and b.ndim == 2:
            return lambda g, a, b: b @ g
        return lambda g, a, b: g * b
    raise TypingError(f"the numba backend supports @ on 1-d and 2-d arrays; got {a} @ {b}")


@overload(core.matmul_right, jit_options=OVERLOAD)
def matmul_right(g, a, b):
    if is_array(a) and is_array(b) and a.ndim <= 2 and b.ndim <= 2:
        if a.ndim == 2 and b.ndim == 2:
            return lambda g, a, b: matmul(a.T, g)
        if a.ndim == 1 and b.ndim == 2:
            return lambda g, a, b: np.outer(a, g)
        if a.ndim == 2 and b.ndim == 1:
            return lambda g, a, b: a.T @ g
        return lambda g, a, b: g * a
    raise TypingError(f"the numba backend supports @ on 1-d and 2-d arrays; got {a} @ {b}")
