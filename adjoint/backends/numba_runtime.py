"""numba versions of the runtime helpers generated code calls, and the typed placeholder.

Each helper of adjoint/runtime that the numba backend supports gets a numba overload
here (those built on reduction loops: in numba_reductions.py; @: numba_matmul.py): inside `numba.njit` code
the call `zero_grad(x)` resolves to the version below,
chosen by the argument types numba infers (a scalar, or an array of a given ndim), while
plain Python keeps calling the numpy helper. The numpy helpers stay numpy-only; this
module is imported only when a gradient is compiled with backend="numba".

Differences from the numpy helpers, all invisible to the caller:
- `writeable` always copies an array (numba cannot see whether an array is a view of the
  caller's data); the entry function hands its gradients back with `hand_back` instead,
  uncopied, and numba.owned copies there what the caller may not own;
- `expand_to` returns a new array instead of a read-only broadcast view.

`UNSET` is the typed placeholder: the reverse sweep binds `s1 = None` before a loop that
may push s1 before assigning it. numba gives `None` its own type, so the numba code binds
`s1 = UNSET` instead, whose type unifies with whatever else s1 holds (float, array,
shape tuple) and whose value is that type's zero. The sweep never reads a placeholder's
value (the Python backend would fail on None if it did); it only pushes and pops it.
"""
from __future__ import annotations

import numpy as np
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.core.imputils import lower_constant
from numba.extending import lower_cast, models, overload, register_model, typeof_impl

from ..runtime import core
from .numba_cache import OVERLOAD


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


def is_scalar(t) -> bool:
    return isinstance(t, (types.Number, types.Boolean, UnsetType))


def is_array(t) -> bool:
    return isinstance(t, types.Array)


def is_none(t) -> bool:
    return t is None or isinstance(t, (types.NoneType, types.Omitted)) and \
        getattr(t, "value", None) is None


NON_SCALAR = "grad needs a scalar output"  # the backend turns this typing error into NonScalarOutput


# seed, zero_grad, writeable, size_ratio ------------------------------------------------
@overload(core.seed, jit_options=OVERLOAD)
def seed(y):
    if isinstance(y, (types.Number)) and not isinstance(y, types.Complex):
        return lambda y: 1.0
    if is_array(y) and y.ndim == 0:
        return lambda y: 1.0
    raise TypingError(f"{NON_SCALAR}; got {y}")


@overload(core.zero_grad, jit_options=OVERLOAD)
def zero_grad(x):
    if is_scalar(x):
        return lambda x: 0.0
    if is_array(x):
        dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
        return lambda x: np.zeros(x.shape, dtype)
    raise TypingError(f"the numba backend has no zero gradient for {x}")


@overload(core.writeable, jit_options=OVERLOAD)
def writeable(g):
    if is_array(g):
        return lambda g: g.copy()  # see the module docstring: always the caller's own
    if is_scalar(g):
        return lambda g: g
    raise TypingError(f"the numba backend cannot hand back a gradient of type {g}")


def hand_back(g):
    """A gradient the entry function returns as it is (numba.py's owned copies it after
    the call where the caller may not own it)."""
    return g


@overload(hand_back, jit_options=OVERLOAD)
def _hand_back(g):
    if is_array(g) or is_scalar(g):
        return lambda g: g
    raise TypingError(f"the numba backend cannot hand back a gradient of type {g}")


@overload(core.size_ratio, jit_options=OVERLOAD)
def size_ratio(y, a):
    """np.size(y) / np.size(a), with numpy's nan and inf for an empty a; the sizes of
    numbers are known while typing, so no np.size is compiled."""
    if is_scalar(a):
        return (lambda y, a: float(y.size)) if is_array(y) else (lambda y, a: 1.0)
    if is_scalar(y):
        return lambda y, a: np.inf if a.size == 0 else 1.0 / a.size

    def arrays(y, a):
        if a.size == 0:
            return np.nan if y.size == 0 else np.inf
        return y.size / a.size
    return arrays


# unindex: the gradient of x[i] --------------------------------------------------------------
def _is_basic_index(index) -> bool:
    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    return all(isinstance(p, (types.Integer, types.SliceType)) for p in parts)


@overload(core.unindex, jit_options=OVERLOAD)
def unindex(g, x, index):
    if not (is_array(x) and _is_basic_index(index)):  # repeats in an index array must add up
        raise TypingError(f"the numba backend differentiates x[i] for an array x and integer or "
                          f"slice indices; got {x}[{index}]")
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

    def impl(g, x, index):
        out = np.zeros(x.shape, dtype)
        out[index] += g
        return out
    return impl


# the helpers here, in numba_reductions.py and numba_matmul.py, by the runtime function
# they stand for
SUPPORTED = (core.seed, core.zero_grad, core.writeable, core.size_ratio, core.unbroadcast,
             core.unbroadcast_to, core.unbroadcast_matmul, core.expand_to, core.matmul_left,
             core.matmul_right, core.safe_mul, core.safe_div, core.unindex)
