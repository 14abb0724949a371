"""numba versions of the runtime helpers generated code calls, and the typed placeholder.

Each helper of adjoint/runtime that the numba backend supports gets a numba overload
here: inside `numba.njit` code the call `unbroadcast(g, x)` resolves to the version below,
chosen by the argument types numba infers (a scalar, or an array of a given ndim), while
plain Python keeps calling the numpy helper. The numpy helpers stay numpy-only; this
module is imported only when a gradient is compiled with backend="numba".

Differences from the numpy helpers, all invisible to the caller:
- `writeable` always copies an array (numba cannot see whether an array is a view of the
  caller's data), so every array gradient handed back is the caller's own;
- `expand_to` returns a new array instead of a read-only broadcast view.

`UNSET` is the typed placeholder: the reverse sweep binds `s1 = None` before a loop that
may push s1 before assigning it. numba gives `None` its own type, so the numba code binds
`s1 = UNSET` instead, whose type unifies with whatever else s1 holds (float, array,
shape tuple) and whose value is that type's zero. The sweep never reads a placeholder's
value (the Python backend would fail on None if it did); it only pushes and pops it.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import lower_cast, models, overload, register_model, typeof_impl
from numba.core.imputils import lower_constant
from numba.np.unsafe.ndarray import to_fixed_tuple

from ..runtime import core
from .numba_cache import CACHE


# the typed placeholder ------------------------------------------------------------------
class Unset:
    """The value a placeholder holds before the code binds it (see the module docstring)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


class UnsetType(types.Type):
    def __init__(self):
        super().__init__(name="Unset")

    def unify(self, typingctx, other):
        return other  # s1 = UNSET and s1 = 0.5 * x: s1 is a float


unset_type = UnsetType()
register_model(UnsetType)(models.OpaqueModel)


@typeof_impl.register(Unset)
def _typeof_unset(value, context):
    return unset_type


@lower_constant(UnsetType)
def _unset_constant(context, builder, ty, value):
    return context.get_dummy_value()


def _unset_to_zero(context, builder, fromty, toty, value):
    return cgutils.get_null_value(context.get_value_type(toty))  # zeros; never read


# to any type; to the kinds numba itself casts anything to, more precisely than its own
for _kind in (types.Any, types.Boolean, types.Number, types.Array, types.BaseTuple):
    lower_cast(UnsetType, _kind)(_unset_to_zero)


def _is_scalar(t) -> bool:
    return isinstance(t, (types.Number, types.Boolean, UnsetType))


def _is_array(t) -> bool:
    return isinstance(t, types.Array)


def _is_none(t) -> bool:
    return t is None or isinstance(t, (types.NoneType, types.Omitted)) and \
        getattr(t, "value", None) is None


NON_SCALAR = "grad needs a scalar output"  # the backend turns this typing error into NonScalarOutput


# seed, zero_grad, writeable, size_ratio ------------------------------------------------
@overload(core.seed, jit_options={"cache": CACHE})
def seed(y):
    if isinstance(y, (types.Number)) and not isinstance(y, types.Complex):
        return lambda y: 1.0
    if _is_array(y) and y.ndim == 0:
        return lambda y: 1.0
    raise TypingError(f"{NON_SCALAR}; got {y}")


@overload(core.zero_grad, jit_options={"cache": CACHE})
def zero_grad(x):
    if _is_scalar(x):
        return lambda x: 0.0
    if _is_array(x):
        dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
        return lambda x: np.zeros(x.shape, dtype)
    raise TypingError(f"the numba backend has no zero gradient for {x}")


@overload(core.writeable, jit_options={"cache": CACHE})
def writeable(g):
    if _is_array(g):
        return lambda g: g.copy()  # see the module docstring: always the caller's own
    if _is_scalar(g):
        return lambda g: g
    raise TypingError(f"the numba backend cannot hand back a gradient of type {g}")


@overload(core.size_ratio, jit_options={"cache": CACHE})
def size_ratio(y, a):
    """np.size(y) / np.size(a), with numpy's nan and inf for an empty a; the sizes of
    numbers are known while typing, so no np.size is compiled."""
    if _is_scalar(a):
        return (lambda y, a: float(y.size)) if _is_array(y) else (lambda y, a: 1.0)
    if _is_scalar(y):
        return lambda y, a: np.inf if a.size == 0 else 1.0 / a.size

    def arrays(y, a):
        if a.size == 0:
            return np.nan if y.size == 0 else np.inf
        return y.size / a.size
    return arrays


# unbroadcast ----------------------------------------------------------------------------
@overload(core.unbroadcast, jit_options={"cache": CACHE})
def unbroadcast(g, x):
    if _is_array(x):
        return lambda g, x: core.unbroadcast_to(g, x.shape)
    return lambda g, x: core.unbroadcast_to(g, ())


@overload(core.unbroadcast_to, jit_options={"cache": CACHE})
def unbroadcast_to(g, shape):
    if _is_scalar(g):
        return lambda g, shape: g  # a scalar is what numpy broadcast, or a zero
    if not (_is_array(g) and isinstance(shape, (types.UniTuple, types.Tuple))):
        raise TypingError(f"the numba backend cannot unbroadcast {g} to {shape}")
    if len(shape) == 0:
        return lambda g, shape: g.sum()
    if len(shape) > g.ndim:
        raise TypingError(f"unbroadcast of a {g.ndim}-d gradient to {len(shape)} dimensions")
    ndim = len(shape)
    if g.ndim > ndim:  # leading axes to sum away
        return lambda g, shape: sum_to(g, shape)

    def same_ndim(g, shape):
        if g.shape == shape:
            return g  # the common case: nothing was broadcast
        return sum_to(g, shape)
    return same_ndim


@njit(cache=CACHE)
def sum_to(g, shape):
    """g summed down to `shape` (a tuple): leading axes dropped, size-1 axes summed."""
    out = np.zeros(shape, g.dtype)
    reduce_to(g, np.asarray(shape), 0, out.reshape(-1))
    return out


@njit(cache=CACHE)
def _strides(kept, ndim):
    """The flat step in an array of shape `kept` for a step along each of `ndim` axes
    (`kept` names the last ones); 0 along an axis of size 1 there, or a leading one."""
    strides = np.zeros(ndim, np.int64)
    step, extra = 1, ndim - kept.size
    for axis in range(kept.size - 1, -1, -1):
        if kept[axis] != 1:
            strides[axis + extra] = step
        step *= kept[axis]
    return strides


@njit(cache=CACHE)
def _next_index(index, shape):
    """index advanced by one entry in C order (the last axis fastest)."""
    for axis in range(len(shape) - 1, -1, -1):
        index[axis] += 1
        if index[axis] < shape[axis]:
            return
        index[axis] = 0


@njit(cache=CACHE)
def reduce_to(g, kept, kind, out):
    """The entries of g reduced into `out` (flat, of shape `kept`: g's shape, or its last
    axes, with 1 on each reduced axis), in g's C order: kind 0 adds into out, 1 keeps the
    largest, 2 the smallest (a nan wins, as in numpy). Plain loops: cheap to compile."""
    strides = _strides(kept, g.ndim)
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
        elif out[p] == out[p] and (value != value or (value > out[p] if kind == 1 else value < out[p])):
            out[p] = value
        _next_index(index, g.shape)


@njit(cache=CACHE)
def spread(g, kept, out):
    """out (C-contiguous) filled with g, whose entries have the shape `kept` (out's
    shape with 1 on each reduced axis): the inverse of reduce_to's positions."""
    strides = _strides(kept, out.ndim)
    values = np.ascontiguousarray(g).reshape(-1)
    index = np.zeros(out.ndim, np.int64)
    flat = out.reshape(-1)
    for q in range(flat.size):
        p = 0
        for axis in range(out.ndim):
            p += index[axis] * strides[axis]
        flat[q] = values[p]
        _next_index(index, out.shape)


@njit(cache=CACHE)
def axes_kept(shape, axis):
    """(shape with 1 on each axis `axis` reduces, shape without them, how many entries
    each reduction takes) as int arrays; axis: None (all), an int or a tuple of ints."""
    ndim = len(shape)
    kept = np.array(shape)
    mask = np.zeros(ndim, np.bool_)
    if axis is None:
        mask[:] = True
    else:
        for a in np.asarray(axis).reshape(-1):
            if a < -ndim or a >= ndim or mask[a % ndim]:
                raise ValueError("axis out of bounds or repeated")
            mask[a % ndim] = True
    rest = np.empty(ndim - mask.sum(), np.int64)
    k, count = 0, 1
    for a in range(ndim):
        if mask[a]:
            count *= shape[a]
            kept[a] = 1
        else:
            rest[k] = shape[a]
            k += 1
    return kept, rest, count


# expand_to --------------------------------------------------------------------------------
@overload(core.expand_to, jit_options={"cache": CACHE})
def expand_to(g, x, axis=None, keepdims=False):
    if _is_scalar(x):
        return lambda g, x, axis=None, keepdims=False: g
    if not _is_array(x):
        raise TypingError(f"the numba backend cannot expand a gradient to {x}")
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
    if _is_scalar(g):
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g, dtype)
    if _is_none(axis):  # a 0-d array, or a reduction with keepdims over every axis
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g.sum(), dtype)

    def spread_over_axes(g, x, axis=None, keepdims=False):
        kept, _, _ = axes_kept(x.shape, axis)
        out = np.empty(x.shape, dtype)
        spread(g, kept, out)
        return out
    return spread_over_axes


# matmul -------------------------------------------------------------------------------------
@njit(cache=CACHE)
def matmul(a, b):
    """a @ b, compiled once per argument types and kept in numba's cache (numba takes a
    fifth of a second to compile each @ it meets): the numba code's every @ calls this."""
    return a @ b


@overload(core.matmul_left, jit_options={"cache": CACHE})
def matmul_left(g, a, b):
    if _is_array(a) and _is_array(b) and a.ndim <= 2 and b.ndim <= 2:
        if a.ndim == 2 and b.ndim == 2:
            return lambda g, a, b: g @ b.T
        if b.ndim == 1 and a.ndim == 2:
            return lambda g, a, b: np.outer(g, b)
        if a.ndim == 1 and b.ndim == 2:
            return lambda g, a, b: b @ g
        return lambda g, a, b: g * b
    raise TypingError(f"the numba backend supports @ on 1-d and 2-d arrays; got {a} @ {b}")


@overload(core.matmul_right, jit_options={"cache": CACHE})
def matmul_right(g, a, b):
    if _is_array(a) and _is_array(b) and a.ndim <= 2 and b.ndim <= 2:
        if a.ndim == 2 and b.ndim == 2:
            return lambda g, a, b: a.T @ g
        if a.ndim == 1 and b.ndim == 2:
            return lambda g, a, b: np.outer(a, g)
        if a.ndim == 2 and b.ndim == 1:
            return lambda g, a, b: a.T @ g
        return lambda g, a, b: g * a
    raise TypingError(f"the numba backend supports @ on 1-d and 2-d arrays; got {a} @ {b}")


@overload(core.unbroadcast_matmul, jit_options={"cache": CACHE})
def unbroadcast_matmul(g, a, b):
    """g summed to the shape of a @ b, from a's and b's shapes (1-d and 2-d arrays)."""
    if not (_is_array(a) and _is_array(b) and a.ndim <= 2 and b.ndim <= 2):
        raise TypingError(f"the numba backend supports @ on 1-d and 2-d arrays; got {a} @ {b}")
    if a.ndim == 2 and b.ndim == 2:
        return lambda g, a, b: core.unbroadcast_to(g, (a.shape[0], b.shape[1]))
    if a.ndim == 2:
        return lambda g, a, b: core.unbroadcast_to(g, (a.shape[0],))
    if b.ndim == 2:
        return lambda g, a, b: core.unbroadcast_to(g, (b.shape[1],))
    return lambda g, a, b: core.unbroadcast_to(g, ())


# safe_mul, safe_div: exactly 0 where g is 0 ---------------------------------------------
@overload(core.safe_mul, jit_options={"cache": CACHE})
def safe_mul(g, d):
    if _is_scalar(g) and _is_scalar(d):
        return lambda g, d: 0.0 * g if g == 0 else g * d
    return lambda g, d: np.where(np.asarray(g) == 0, 0.0, g * d)


@overload(core.safe_div, jit_options={"cache": CACHE})
def safe_div(g, d):
    if _is_scalar(g) and _is_scalar(d):
        return lambda g, d: 0.0 * g if g == 0 else g / d
    return lambda g, d: np.where(np.asarray(g) == 0, 0.0, np.asarray(g) / np.asarray(d))


# unindex: the gradient of x[i] --------------------------------------------------------------
def _is_basic_index(index) -> bool:
    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    return all(isinstance(p, (types.Integer, types.SliceType)) for p in parts)


@overload(core.unindex, jit_options={"cache": CACHE})
def unindex(g, x, index):
    if not (_is_array(x) and _is_basic_index(index)):  # repeats in an index array must add up
        raise TypingError(f"the numba backend differentiates x[i] for an array x and integer or "
                          f"slice indices; got {x}[{index}]")
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

    def impl(g, x, index):
        out = np.zeros(x.shape, dtype)
        out[index] += g
        return out
    return impl


# the helpers above, by the runtime function they stand for (what generated code names)
SUPPORTED = (core.seed, core.zero_grad, core.writeable, core.size_ratio, core.unbroadcast,
             core.unbroadcast_to, core.unbroadcast_matmul, core.expand_to, core.matmul_left,
             core.matmul_right, core.safe_mul, core.safe_div, core.unindex)
