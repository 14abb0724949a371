"""Reductions and their inverses for numba code: unbroadcast, expand_to, numpy's
reductions along axes with keepdims, `even_ties` and safe_mul/safe_div, all on the plain
loops below.

numba's np.sum takes an axis but not keepdims, and np.max, np.min, np.mean take neither
(numba 0.68). Generated code calls them as the user wrote them (`np.max(Z, axis=1,
keepdims=True)`), so the numba code's `np` (numba_ufuncs.NUMPY) has the stubs below in
their place: inside numba they resolve to the overloads here, which hand the work to
reduce_to and spread (plain loops: cheap to compile) and reshape. A call without axis or
keepdims is numba's own. `even_ties` is the max/min rule's helper (runtime/core.py),
written with the same pieces.

Everything here is cached on disk (numba_cache.py). numba keys a cached function by its
own file only, and a cached function holds copies of the numba functions it calls: so
the loops and every helper that calls them live in this one file, and a change to a loop
invalidates its callers. The loops add in C order where numpy sums long rows pairwise, so
sums can differ in the last bits (far below the backend's 1e-12 agreement).
"""
from __future__ import annotations

import operator

import numpy as np
from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload
from numba.np.unsafe.ndarray import to_fixed_tuple

from ..runtime import core
from .numba_cache import NJIT, OVERLOAD
from .numba_runtime import is_array, is_none, is_scalar

SUM, MAX, MIN = np.int64(0), np.int64(1), np.int64(2)  # reduce_to's kinds


# unbroadcast ----------------------------------------------------------------------------
# Each function a helper calls is compiled on its own and then linked, optimised and
# turned into machine code again in its caller: so the helpers below call few others,
# and the short loops they share (strides, advancing an index) are written out in each.

@overload(core.unbroadcast, jit_options=OVERLOAD)
def unbroadcast(g, x):
    """Also unbroadcast_to's: there x is the shape itself."""
    if isinstance(x, types.BaseTuple):
        return _summed(g, len(x))
    return _summed(g, x.ndim if is_array(x) else 0)


@overload(core.unbroadcast_to, jit_options=OVERLOAD)
def unbroadcast_to(g, shape):
    if not isinstance(shape, (types.UniTuple, types.Tuple)):
        raise TypingError(f"the numba backend cannot unbroadcast {g} to {shape}")
    return lambda g, shape: core.unbroadcast(g, shape)


def shape_of(x):
    """np.shape(x), and a shape tuple itself."""
    return x if isinstance(x, tuple) else np.shape(x)


@overload(shape_of, jit_options=OVERLOAD)
def _shape_of(x):
    if isinstance(x, types.BaseTuple):
        return lambda x: x
    return lambda x: np.shape(x)


def _summed(g, ndim: int):
    """unbroadcast(g, x) and unbroadcast_to(g, shape) for a g of numba type `g` summed
    to `ndim` dimensions; the second argument is x, or its shape."""
    if is_scalar(g):
        return lambda g, x: g  # a scalar is what numpy broadcast, or a zero
    if not is_array(g):
        raise TypingError(f"the numba backend cannot unbroadcast {g}")
    if ndim == 0:
        return lambda g, x: g.sum()
    if ndim > g.ndim:
        raise TypingError(f"unbroadcast of a {g.ndim}-d gradient to {ndim} dimensions")
    if g.ndim > ndim:  # leading axes to sum away
        def fewer_axes(g, x):
            shape = shape_of(x)
            out = np.zeros(shape, g.dtype)
            reduce_to(g, np.asarray(shape), SUM, out.reshape(-1))
            return out
        return fewer_axes

    def same_ndim(g, x):
        shape = shape_of(x)
        if g.shape == shape:
            return g  # the common case: nothing was broadcast
        out = np.zeros(shape, g.dtype)  # size-1 axes to sum
        reduce_to(g, np.asarray(shape), SUM, out.reshape(-1))
        return out
    return same_ndim


@njit(**NJIT)
def reduce_to(g, kept, kind, out):
    """The entries of g reduced into `out` (flat, of shape `kept`: g's shape, or its last
    axes, with 1 on each reduced axis), in g's C order: kind 0 adds into out, 1 keeps the
    largest, 2 the smallest (a nan wins, as in numpy). Plain loops: cheap to compile."""
    strides, step = np.zeros(g.ndim, np.int64), 1  # out's flat step along each axis of g
    for axis in range(kept.size - 1, -1, -1):
        if kept[axis] != 1:
            strides[axis + g.ndim - kept.size] = step
        step *= kept[axis]
    seen = np.zeros(out.size, np.bool_)
    index = np.zeros(g.ndim, np.int64)
    for value in np.ascontiguousarray(g).reshape(-1):
        p = 0
        for axis in range(g.ndim):
            p += index[axis] * strides[axis]
        if kind == 0:
            out[p] += value
        elif not seen[p]:
            out[p] = value
            seen[p] = True
        elif out[p] == out[p] and (value != value or (value > out[p] if kind == 1 else value < out[p])):  # noqa: PLR0124 - NaN test
            out[p] = value
        for axis in range(g.ndim - 1, -1, -1):  # the next index in C order
            index[axis] += 1
            if index[axis] < g.shape[axis]:
                break
            index[axis] = 0


@njit(**NJIT)
def spread(values, kept, out):
    """out (C-contiguous) filled with `values` (flat: callers pass their arrays flattened,
    so this is compiled once per out's dimensions), whose entries have the shape `kept`
    (out's shape with 1 on each reduced axis): the inverse of reduce_to's positions."""
    strides, step = np.zeros(out.ndim, np.int64), 1  # values' flat step along each axis of out
    for axis in range(kept.size - 1, -1, -1):
        if kept[axis] != 1:
            strides[axis + out.ndim - kept.size] = step
        step *= kept[axis]
    index = np.zeros(out.ndim, np.int64)
    flat = out.reshape(-1)
    for q in range(flat.size):
        p = 0
        for axis in range(out.ndim):
            p += index[axis] * strides[axis]
        flat[q] = values[p]
        for axis in range(out.ndim - 1, -1, -1):  # the next index in C order
            index[axis] += 1
            if index[axis] < out.shape[axis]:
                break
            index[axis] = 0


@njit(**NJIT)
def axes_kept(shape, axes):
    """(shape with 1 on each axis in `axes` (None: all; else an int array, see
    axes_array), shape without them, how many entries each reduction takes)."""
    ndim = len(shape)
    kept, mask = np.empty(ndim, np.int64), np.zeros(ndim, np.bool_)
    for a in range(ndim if axes is None else len(axes)):
        a = a if axes is None else axes[a]
        if a < -ndim or a >= ndim or mask[a % ndim]:
            raise ValueError("axis out of bounds or repeated")
        mask[a % ndim] = True
    count, kept_count = 1, 0
    for a in range(ndim):
        kept[a] = 1 if mask[a] else shape[a]
        count *= shape[a] if mask[a] else 1
        kept_count += 0 if mask[a] else 1
    rest, k = np.empty(kept_count, np.int64), 0
    for a in range(ndim):
        if not mask[a]:
            rest[k] = shape[a]
            k += 1
    return kept, rest, count


def axes_array(axis):
    """A reduction's axis argument as axes_kept takes it: None, or the axes in an int
    array; never a constant, for which axes_kept would be compiled again (axis=1)."""
    return axis


@overload(axes_array, jit_options=OVERLOAD)
def _axes_array(axis):
    if is_none(axis):
        return lambda axis: None
    if isinstance(axis, types.Integer):
        def one(axis):
            axes = np.empty(1, np.int64)
            axes[0] = axis
            return axes
        return one
    return lambda axis: np.asarray(axis).reshape(-1).astype(np.int64)


# expand_to --------------------------------------------------------------------------------
@overload(core.expand_to, jit_options=OVERLOAD)
def expand_to(g, x, axis=None, keepdims=False):
    if is_scalar(x):
        return lambda g, x, axis=None, keepdims=False: g
    if not is_array(x):
        raise TypingError(f"the numba backend cannot expand a gradient to {x}")
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
    if is_scalar(g):
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g, dtype)
    if is_none(axis):  # a 0-d array, or a reduction with keepdims over every axis
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g.sum(), dtype)

    def spread_over_axes(g, x, axis=None, keepdims=False):
        kept, _, _ = axes_kept(x.shape, axes_array(axis))
        out = np.empty(x.shape, dtype)
        spread(np.ascontiguousarray(g).reshape(-1), kept, out)
        return out
    return spread_over_axes


@overload(core.unbroadcast_matmul, jit_options=OVERLOAD)
def unbroadcast_matmul(g, a, b):
    """g summed to the shape of a @ b, from a's and b's shapes (1-d and 2-d arrays)."""
    if not (is_array(a) and is_array(b) and a.ndim <= 2 and b.ndim <= 2):
        raise TypingError(f"the numba backend supports @ on 1-d and 2-d arrays; got {a} @ {b}")
    if a.ndim == 2 and b.ndim == 2:
        return lambda g, a, b: core.unbroadcast_to(g, (a.shape[0], b.shape[1]))
    if a.ndim == 2:
        return lambda g, a, b: core.unbroadcast_to(g, (a.shape[0],))
    if b.ndim == 2:
        return lambda g, a, b: core.unbroadcast_to(g, (b.shape[1],))
    return lambda g, a, b: core.unbroadcast_to(g, ())


# numpy's reductions ---------------------------------------------------------------------
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
    code = {"sum": SUM, "mean": SUM, "max": MAX, "min": MIN}[kind]
    divide = kind == "mean"

    @overload(stub, jit_options=OVERLOAD)
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
            kept, rest, each = axes_kept(a.shape, axes_array(axis))
            out = np.zeros(kept.prod(), dtype)
            reduce_to(a, kept, np.int64(code), out)
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
@overload(core.even_ties, jit_options=OVERLOAD)
def even_ties(x, y, axis=None, keepdims=False):
    if not isinstance(x, types.Array):
        return lambda x, y, axis=None, keepdims=False: 1.0  # a number is its own max
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

    def impl(x, y, axis=None, keepdims=False):
        kept, _, _ = axes_kept(x.shape, axes_array(axis))
        full = np.empty(x.shape, dtype)  # y spread to x's shape, then each entry's count
        spread(np.ascontiguousarray(np.asarray(y)).reshape(-1), kept, full)
        values, flat = np.ascontiguousarray(x).reshape(-1), full.reshape(-1)
        hit = np.zeros(flat.size, dtype)
        for q in range(flat.size):
            if values[q] == flat[q]:
                hit[q] = 1.0
        count = np.zeros(kept.prod(), dtype)
        reduce_to(hit.reshape(x.shape), kept, SUM, count)
        spread(count, kept, full)
        for q in range(flat.size):
            flat[q] = hit[q] / flat[q]
        return full
    return impl


# safe_mul, safe_div: exactly 0 where g is 0 ---------------------------------------------
def _safe(operation):
    """The overload of safe_mul or safe_div: `operation` (numba's * or /), then 0 where g
    is 0. A g with the result's dimensions (a rule's incoming gradient) takes the loop in
    zero_where_zero; other arrays numpy's where (a second to compile: its broadcasting)."""
    def typed(g, d):
        if is_scalar(g) and is_scalar(d):
            return lambda g, d: 0.0 * g if g == 0 else operation(g, d)
        if is_array(g) and g.ndim >= 1 and (is_scalar(d) or is_array(d) and d.ndim == g.ndim):
            return lambda g, d: zero_where_zero(g, operation(g, d))
        return lambda g, d: np.where(np.asarray(g) == 0, 0.0, operation(np.asarray(g), np.asarray(d)))
    return typed


overload(core.safe_mul, jit_options=OVERLOAD)(_safe(operator.mul))
overload(core.safe_div, jit_options=OVERLOAD)(_safe(operator.truediv))


@njit(**NJIT)
def zero_where_zero(g, out):
    """out (a new array, of g's dimensions) with 0 wherever g, broadcast to out's shape,
    is 0. g has out's shape but where an operand of the rule's operation broadcast the
    other way; then each entry's position in g is worked out (no helpers: each would be
    compiled for this case alone)."""
    values, flat = np.ascontiguousarray(g).reshape(-1), out.reshape(-1)
    same = g.shape == out.shape
    for q in range(flat.size):
        p = q
        if not same:
            p, rest, step = 0, q, 1
            for axis in range(out.ndim - 1, -1, -1):
                if g.shape[axis] != 1:
                    p += rest % out.shape[axis] * step
                rest //= out.shape[axis]
                step *= g.shape[axis]
        if values[p] == 0:
            flat[q] = 0.0
    return out
