"""numpy's reductions along axes, with keepdims, for numba code; and `even_ties`.

numba's np.sum takes an axis but not keepdims, and np.max, np.min, np.mean take neither
(numba 0.68). Generated code calls them as the user wrote them (`np.max(Z, axis=1,
keepdims=True)`), so the numba code's `np` (numba_ufuncs.NUMPY) has the stubs below in
their place: inside numba they resolve to the overloads here, which hand
the work to the plain loops of numba_runtime (reduce_to, spread; cheap to compile, cached
on disk) and reshape. A call without axis or keepdims is numba's own. `even_ties` is the
max/min rule's helper (runtime/core.py), written with the same pieces.

These overloads are thin and not cached themselves: the loops they call live in another
file, whose changes numba's cache would not see from here (numba_cache.py). The loops add
in C order where numpy sums long rows pairwise, so sums can differ in the last bits (far
below the backend's 1e-12 agreement).
"""
from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload
from numba.np.unsafe.ndarray import to_fixed_tuple

from ..runtime import core
from .numba_runtime import axes_kept, reduce_to, spread

KINDS = ("sum", "max", "min", "mean")
ALIASES = {"amax": "max", "amin": "min"}


def _stub(name: str):
    def call(a, axis=None, keepdims=False):
        return getattr(np, name)(a, axis=axis, keepdims=keepdims)  # plain Python: numpy's
    call.__name__ = call.__qualname__ = name
    return call


def _axes_count(axis, ndim: int):
    """How many axes `axis` (a numba type) reduces, or None when it is no axis spec."""
    if axis is None or isinstance(axis, (types.NoneType, types.Omitted)):
        return ndim
    if isinstance(axis, types.Integer):
        return 1
    if isinstance(axis, types.BaseTuple) and all(isinstance(t, types.Integer) for t in axis.types):
        return len(axis.types)
    return None


def _keepdims_value(keepdims):
    """True/False when numba knows it while typing; None when only the run would."""
    if keepdims is False or keepdims is None or isinstance(keepdims, types.Omitted):
        return False
    if isinstance(keepdims, types.BooleanLiteral):
        return keepdims.literal_value
    return None  # numba then types the call again with keepdims as a literal


def _result_dtype(kind: str, dtype):
    if kind == "mean":
        return dtype if isinstance(dtype, types.Float) else types.float64
    if kind == "sum" and isinstance(dtype, (types.Integer, types.Boolean)):
        return types.int64
    return dtype


def _register(kind: str, stub) -> None:
    whole = getattr(np, kind)
    code = {"sum": 0, "mean": 0, "max": 1, "min": 2}[kind]  # reduce_to's kinds
    divide = kind == "mean"

    @overload(stub)
    def reduction(a, axis=None, keepdims=False):
        keep = _keepdims_value(keepdims)
        if keep is None:
            return None
        if not isinstance(a, types.Array):
            return lambda a, axis=None, keepdims=False: whole(a)
        count = _axes_count(axis, a.ndim)
        if count is None:
            raise TypingError(f"np.{kind}: axis must be None, an int or a tuple of ints; got {axis}")
        if not keep and count == a.ndim:
            return lambda a, axis=None, keepdims=False: whole(a)  # numba's own
        out_ndim = a.ndim if keep else a.ndim - count
        dtype = _result_dtype(kind, a.dtype)

        def impl(a, axis=None, keepdims=False):
            kept, rest, each = axes_kept(a.shape, axis)
            out = np.zeros(kept.prod(), dtype)
            reduce_to(a, kept, code, out)
            if divide:
                out /= each
            return out.reshape(to_fixed_tuple(kept if keep else rest, out_ndim))
        return impl


def stubs() -> dict:
    """{name in numpy: stub} for the numba code's `np`; numba resolves each stub to the
    overload registered here."""
    made = {}
    for kind in KINDS:
        made[kind] = _stub(kind)
        _register(kind, made[kind])
    for alias, kind in ALIASES.items():
        made[alias] = made[kind]
    return made


# even_ties: the max/min rule's split of the gradient among tied entries ----------------
@overload(core.even_ties)
def even_ties(x, y, axis=None, keepdims=False):
    if not isinstance(x, types.Array):
        return lambda x, y, axis=None, keepdims=False: 1.0  # a number is its own max
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
    ndim = x.ndim

    def impl(x, y, axis=None, keepdims=False):
        kept, _, _ = axes_kept(x.shape, axis)
        full = np.empty(x.shape, dtype)
        spread(np.asarray(y), kept, full)
        hit = (x == full).astype(dtype)
        count = np.zeros(kept.prod(), dtype)
        reduce_to(hit, kept, 0, count)
        spread(count, kept, full)
        return hit / full
    return impl
