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
@overload(core.seed)
def seed(y):
    if isinstance(y, (types.Number)) and not isinstance(y, types.Complex):
        return lambda y: 1.0
    if _is_array(y) and y.ndim == 0:
        return lambda y: 1.0
    raise TypingError(f"{NON_SCALAR}; got {y}")


@overload(core.zero_grad)
def zero_grad(x):
    if _is_scalar(x):
        return lambda x: 0.0
    if _is_array(x):
        dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
        return lambda x: np.zeros(x.shape, dtype)
    raise TypingError(f"the numba backend has no zero gradient for {x}")


@overload(core.writeable)
def writeable(g):
    if _is_array(g):
        return lambda g: g.copy()  # see the module docstring: always the caller's own
    if _is_scalar(g):
        return lambda g: g
    raise TypingError(f"the numba backend cannot hand back a gradient of type {g}")


@overload(core.size_ratio)
def size_ratio(y, a):
    def impl(y, a):
        top, bottom = np.size(y), np.size(a)
        if bottom == 0:
            return np.nan if top == 0 else np.inf
        return top / bottom
    return impl


# unbroadcast ----------------------------------------------------------------------------
@overload(core.unbroadcast)
def unbroadcast(g, x):
    return lambda g, x: core.unbroadcast_to(g, np.shape(x))


@overload(core.unbroadcast_to)
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
        return lambda g, shape: sum_to(g, np.asarray(shape), ndim)

    def same_ndim(g, shape):
        if g.shape == shape:
            return np.asarray(g)  # the common case: nothing was broadcast
        return sum_to(g, np.asarray(shape), ndim)
    return same_ndim


@njit(cache=True)
def sum_to(g, shape, ndim):
    """g summed down to `shape` (an int array): leading axes dropped, size-1 axes summed."""
    out = np.zeros(to_fixed_tuple(shape, ndim), g.dtype)
    flat = out.reshape(-1)
    extra = g.ndim - ndim
    strides = np.zeros(g.ndim, np.int64)  # flat step in out for a step along each axis of g
    step = 1
    for axis in range(ndim - 1, -1, -1):
        if shape[axis] != 1:
            strides[axis + extra] = step
        step *= shape[axis]
    index = np.zeros(g.ndim, np.int64)
    for value in np.ascontiguousarray(g).reshape(-1):
        position = 0
        for axis in range(g.ndim):
            position += index[axis] * strides[axis]
        flat[position] += value
        for axis in range(g.ndim - 1, -1, -1):  # the next index, last axis fastest
            index[axis] += 1
            if index[axis] < g.shape[axis]:
                break
            index[axis] = 0
    return out


# expand_to --------------------------------------------------------------------------------
@overload(core.expand_to)
def expand_to(g, x, axis=None, keepdims=False):
    if _is_scalar(x):
        return lambda g, x, axis=None, keepdims=False: g
    if not _is_array(x):
        raise TypingError(f"the numba backend cannot expand a gradient to {x}")
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
    if _is_scalar(g) or _is_none(axis):
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, np.asarray(g).sum(), dtype)
    ndim = x.ndim
    if isinstance(axis, types.Integer):
        def one_axis(g, x, axis=None, keepdims=False):
            kept = np.array(x.shape)  # the reduced array's shape with keepdims=True
            kept[axis % ndim] = 1
            return broadcast(g, to_fixed_tuple(kept, ndim), x.shape, dtype)
        return one_axis

    def several_axes(g, x, axis=None, keepdims=False):
        kept = np.array(x.shape)
        for a in axis:
            kept[a % ndim] = 1
        return broadcast(g, to_fixed_tuple(kept, ndim), x.shape, dtype)
    return several_axes


@njit(cache=True)
def broadcast(g, kept, shape, dtype):
    """A new array of `shape` holding g (the reduction's result, `kept` its keepdims shape)."""
    out = np.empty(shape, dtype)
    out[...] = np.ascontiguousarray(g).reshape(kept)
    return out


# matmul -------------------------------------------------------------------------------------
@overload(core.matmul_left)
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


@overload(core.matmul_right)
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


# safe_mul, safe_div: exactly 0 where g is 0 ---------------------------------------------
@overload(core.safe_mul)
def safe_mul(g, d):
    if _is_scalar(g) and _is_scalar(d):
        return lambda g, d: 0.0 * g if g == 0 else g * d
    return lambda g, d: np.where(np.asarray(g) == 0, 0.0, g * d)


@overload(core.safe_div)
def safe_div(g, d):
    if _is_scalar(g) and _is_scalar(d):
        return lambda g, d: 0.0 * g if g == 0 else g / d
    return lambda g, d: np.where(np.asarray(g) == 0, 0.0, np.asarray(g) / np.asarray(d))


# unindex: the gradient of x[i] --------------------------------------------------------------
def _is_basic_index(index) -> bool:
    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    return all(isinstance(p, (types.Integer, types.SliceType)) for p in parts)


@overload(core.unindex)
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
             core.unbroadcast_to, core.expand_to, core.matmul_left, core.matmul_right,
             core.safe_mul, core.safe_div, core.unindex)
