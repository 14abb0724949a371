"""Core helpers that generated code and rules call at run time.

Each is small, pure and named for what it does, because it appears verbatim in the
generated code a user reads (`grad_b = unbroadcast(grad_s1, b)`). This module holds the
ones the compiler itself emits (seed, zero_grad, separate) and the ones the operator,
elementwise, reduction and indexing rules share (unbroadcast, expand_to, matmul_left,
safe_mul, even_ties, unindex, ...). Helpers that serve one domain of rules (linear
algebra, shaping, signals, ...) live beside this module, one module per domain.

Other array libraries: the helpers keep an array's own type (dask stays lazy, CuPy stays on
the GPU), so they never convert with np.asarray, never build numpy zeros from a shape
(np.zeros_like instead) and never branch on array data (`if np.all(...)` would compute a
lazy array); what only numpy has (np.add.at) goes through `is_numpy` first.
"""
from __future__ import annotations

import math

import numpy as np

from .containers import GradDict, Grads, is_container, plain, unindex_container, zero_entry, zero_like
from .pytrees import GradObject, finish_object, is_object, regathered, zero_object
from ..errors import MissingRule, NonScalarOutput, UnsupportedSyntax


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing numpy broadcasting of `x` in the forward."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g  # the common case, first: np.shape costs more than the rest of this
    if isinstance(g, (tuple, list)) and isinstance(x, (tuple, list)):  # a + b joined sequences
        raise UnsupportedSyntax("+ of two tuples or lists that adjoint took for numbers or "
                                "arrays: their gradients cannot be told apart; write the "
                                "displays in the + itself (args + (x,)), or use np.concatenate")
    return unbroadcast_to(g, np.shape(x))


def is_numpy(x) -> bool:
    """A numpy array or scalar, or a Python number (not a dask or CuPy array)."""
    return isinstance(x, (np.ndarray, np.generic, float, int))


def unbroadcast_to(g, shape):
    """Sum `g` down to `shape` (unbroadcast, where only x's shape was kept)."""
    if type(g) is np.ndarray and g.shape == shape:
        return g
    if np.shape(g) == shape or np.ndim(g) == 0 and is_numpy(g) and not np.any(g):
        return g  # (a scalar zero: the gradient of a value nothing used, any shape)
    if not hasattr(g, "ndim"):
        g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(axis for axis, size in enumerate(shape) if size == 1 and g.shape[axis] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    if not shape:
        return g[()]
    return g.reshape(shape)


def seed(y):
    """The gradient of the output with respect to itself: 1.0, after checking y is a scalar
    (or ones of its shape for a size-1 array, shape (1,) or (1, 1), as autograd allows)."""
    if y is None or isinstance(y, (str, bytes, bool, tuple, list, dict)):
        raise NonScalarOutput(f"grad needs a scalar output; got {type(y).__name__}")
    shape = np.shape(y)
    if shape != () and np.size(y) != 1:
        raise NonScalarOutput(f"grad needs a scalar output; got shape {shape}")
    if np.iscomplexobj(y) or not np.issubdtype(getattr(y, "dtype", None) or np.result_type(y), np.number):
        raise NonScalarOutput(f"grad needs a real scalar output; got {type(y).__name__}")
    if shape != ():  # one number in an array of shape (1,) or (1, 1): autograd takes it too
        return np.ones(shape, dtype=float_dtype(y))
    return 1.0


def zero_grad(x):
    """A zero gradient for x: zeros of its shape (0.0 for scalars, and for None, the
    placeholder of a value not yet computed); for a tuple, list or dict, zeros in its
    structure; for an object (see pytrees.py), an empty GradObject."""
    if is_object(x):
        return zero_object(x)
    if is_container(x):
        return zero_like(x, zero_grad)
    if x is None or np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.0
    return np.zeros_like(x, dtype=float_dtype(x))


def float_dtype(x):
    """The dtype a gradient of x has: x's own float dtype, float64 for ints. A list or
    tuple (np.sum([1, a * a]), a function's returned pair) has the dtype of its entries."""
    if isinstance(x, (list, tuple)):  # (np.result_type would read a list as a dtype spec)
        return np.result_type(np.float64, *(float_dtype(v) for v in x)) if x else np.float64
    dtype = getattr(x, "dtype", None) or np.result_type(x)
    return dtype if np.issubdtype(dtype, np.inexact) else np.float64


def structured_like(g, x):
    """g in x's structure: for a list, tuple or dict, one gradient per entry (a numpy
    function given a list returns an array gradient); for an array or number, one array
    (np.vstack(a) on one array gives one gradient per row)."""
    if isinstance(g, GradObject) or is_object(x):
        # an object's gradient (pytrees.py) has its structure already, but a NamedTuple
        # used as a tuple (`h, c = state`) got one gradient per element
        return regathered(g, x) if isinstance(g, Grads) else g
    nothing = not isinstance(g, (tuple, list, dict)) and _is_zero_scalar(g)  # nothing flowed
    if isinstance(x, dict):
        return g if nothing else GradDict({k: structured_like(g[k], v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        if nothing:
            return zero_like(x, zero_grad)
        return Grads((structured_like(g[k], v) for k, v in enumerate(x)), type(x))
    if isinstance(g, (list, tuple)):
        stacked = np.array([np.asarray(part) for part in g], dtype=float_dtype(x))
        return np.reshape(stacked, np.shape(x))
    if not is_numpy(g) or np.iscomplexobj(g):
        return g  # another library's array keeps its type (dask stays lazy)
    if isinstance(x, (float, int, np.number)) and np.ndim(g) == 0:
        return number_like(g, x)
    if isinstance(x, np.ndarray) and np.shape(g) == x.shape:
        dtype = float_dtype(x)
        if not isinstance(g, np.ndarray) or g.dtype != dtype:  # a 0-d array stays one
            return np.asarray(g, dtype=dtype)
    return g


def number_like(g, x):
    """The gradient of the number x, a number of x's kind: a Python float for a Python
    float or int, x's own numpy type for a numpy float (np.float32 stays np.float32)."""
    if isinstance(x, np.floating):
        return type(x)(g)
    if isinstance(x, np.number):  # a numpy int: float64, as for an int array
        return np.float64(g)
    return float(g)


def expand_to(g, x, axis=None, keepdims=False):
    """Broadcast the gradient of a reduction of `x` back to x's shape.

    A read-only view, not a copy: generated code never writes into a gradient, and the
    gradients handed back to the caller go through `writeable`/`separate`."""
    if is_numpy(g):  # a Python float seed stays weak: float32 stays float32
        g = np.asarray(g, dtype=np.result_type(g, float_dtype(x)))
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        ndim = np.ndim(x)
        g = np.expand_dims(g, tuple(a % ndim for a in axes))
    if not np.ndim(x):
        return g
    if is_numpy(x):
        return np.broadcast_to(g, np.shape(x))
    return g + np.zeros_like(x, dtype=float_dtype(x))  # in x's library (lazy for dask)


def scatter(g, x, index):
    """Gradient of x[index]: zeros shaped like x with g added at index (repeats add up).
    For a tuple or list x (a loop over (a, b, c)): a tuple with g at that position."""
    if isinstance(x, (tuple, list)):
        grads = [zero_grad(item) for item in x]
        grads[index] = grads[index] + g
        return tuple(grads)
    out = np.zeros_like(x, dtype=np.result_type(float_dtype(x), getattr(g, "dtype", g)))
    if _is_basic_index(index):
        out[index] += g
    elif is_numpy(out):
        np.add.at(out, index, g)
    else:  # np.add.at exists only for numpy: add each entry's share in the array's library
        out = _scatter_add(out, index, g)
    return out


def _scatter_add(out, index, g):
    """out with g added at an advanced index, repeats adding up, for any array library
    that numpy dispatches to: a weighted bincount of the flat positions the index picks."""
    positions = np.arange(out.size).reshape(out.shape)[index]
    weights = (g + np.zeros_like(out, shape=positions.shape)).reshape(-1)  # in out's library
    positions = np.asarray(positions.reshape(-1), like=weights)  # (NEP 35)
    if hasattr(weights, "chunks"):  # dask pairs the two chunk by chunk
        positions = positions.rechunk(weights.chunks)
    counts = np.bincount(positions, weights=weights, minlength=out.size)
    return out + counts.reshape(out.shape).astype(out.dtype)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) and not
               isinstance(p, bool) for p in parts)


def zeroed(g, index):
    """g with g[index] set to 0 (a new array): the entries x[index] = v overwrote get no
    gradient from what follows."""
    if isinstance(g, (Grads, GradDict)):  # xs[i] = v on a list or dict
        return zero_entry(g, index, zero_grad)
    if type(g) in (list, tuple):  # a rule's gradient of a list (multi_dot's)
        return zero_entry(Grads(list(g), type(g)), index, zero_grad)
    if np.ndim(g) == 0:
        return g  # a scalar zero: nothing flowed into x yet
    g = g.astype(np.result_type(g.dtype, 0.0), copy=True) if hasattr(g, "astype") else np.array(g, float)
    g[index] = 0
    return g


def writeable(g, like=None):
    """A gradient the caller may update in place without touching anything else: views
    (read-only broadcasts, or windows onto another array) are copied; gradients of
    tuples, lists and dicts become plain tuples, lists and dicts. `like`: the argument it
    is the gradient of, whose structure it takes (see structured_like)."""
    if like is not None:
        g = structured_like(g, like)
    if isinstance(g, (Grads, GradDict)):
        return plain(g, writeable)
    if isinstance(g, GradObject):
        return finish_object(g, writeable, zero_grad)
    if isinstance(g, np.ndarray) and (g.base is not None or not g.flags.writeable):
        return g.copy()
    return g


def separate(*grads, like=()):
    """The gradients, each `writeable` (in the structure of its argument in `like`), with
    any array that is the same object as an earlier one copied, so that updating one
    gradient in place never changes another."""
    seen = set()
    out = []
    for k, g in enumerate(grads):
        g = writeable(g, like[k] if k < len(like) else None)
        if isinstance(g, np.ndarray):
            if id(g) in seen:
                g = g.copy()
            seen.add(id(g))
        out.append(g)
    return tuple(out)


def _is_zero_scalar(g) -> bool:
    return np.ndim(g) == 0 and not np.any(g)


def matmul_left(g, a, b):
    """Gradient of a @ b with respect to a, for every shape numpy's matmul accepts."""
    if getattr(g, "ndim", 0) == 2 and getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2:
        return g @ b.T  # the common case, without the general bookkeeping below
    if _is_zero_scalar(g) and np.ndim(a) + np.ndim(b) > 2:
        return 0.0  # nothing flowed into a @ b
    if np.ndim(b) == 1:
        ga = np.expand_dims(g, -1) * b
    elif np.ndim(a) == 1:
        ga = (b @ np.expand_dims(g, -1))[..., 0]
    else:
        ga = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(ga, a)


def matmul_right(g, a, b):
    """Gradient of a @ b with respect to b, for every shape numpy's matmul accepts."""
    if getattr(g, "ndim", 0) == 2 and getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2:
        return a.T @ g
    if _is_zero_scalar(g) and np.ndim(a) + np.ndim(b) > 2:
        return 0.0
    if np.ndim(a) == 1:
        gb = np.expand_dims(a, -1) * np.expand_dims(g, -2) if np.ndim(b) > 1 else g * a
    elif np.ndim(b) == 1:
        gb = np.expand_dims(g, -1) * a
    else:
        gb = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(gb, b)


def power_slope(a, b):
    """d(a ** b)/da = b * a ** (b - 1), as numpy computes it: 0 wherever b is 0 (a ** 0 is 1
    everywhere, a = 0 included), inf (with numpy's warning) at a = 0 for 0 < b < 1, and
    never a ZeroDivisionError from Python floats. (simplify writes c * a ** (c - 1) for a
    constant exponent c where that is safe.)"""
    b = np.asarray(b)
    base = np.where(b == 0, 1, np.asarray(a, dtype=float_dtype(a)))  # no 0 ** -1 to discard
    slope = np.where(b == 0, 0, b * np.power(base, b - 1))
    return slope[()] if slope.ndim == 0 else slope


def unbroadcast_matmul(g, a, b):
    """unbroadcast(g, a @ b) without a @ b: its shape follows from a's and b's (the
    backward keeps a and b anyway, so neither the product nor its shape is taped)."""
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        return unbroadcast(g, a @ b)  # other array types may have other shape rules
    if a.ndim == 2 and b.ndim == 2:  # the common case first, without a second call
        shape = (a.shape[0], b.shape[1])
        if type(g) is np.ndarray and g.shape == shape:
            return g
    elif a.ndim == 1:
        shape = b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else ()
    elif b.ndim == 1:
        shape = a.shape[:-1]
    else:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return unbroadcast_to(g, shape)


def safe_log(x):
    """log(x) where x > 0, else 0: the factor in d(a ** b)/db, which is 0 where a ** b is 0."""
    x = np.asarray(x) if is_numpy(x) else x
    positive = x > 0
    out = np.log(np.where(positive, x, 1.0))
    return out[()] if out.ndim == 0 else out


def size_ratio(y, a) -> float:
    """np.size(y) / np.size(a), read from the shapes (a lazy array is not computed), and as
    numpy divides: an empty `a` gives inf (nan for 0 / 0), never ZeroDivisionError."""
    top, bottom = _size(y), _size(a)
    if bottom == 0:
        return math.nan if top == 0 else math.inf
    return top / bottom


def _size(x) -> int:
    size = getattr(x, "size", None)
    return size if isinstance(size, (int, np.integer)) else np.size(x)


def inverse_axes(axes):
    """The permutation that undoes np.transpose(x, axes); None stays None."""
    return None if axes is None else tuple(np.argsort(axes))


# ---------------------------------------------------------------------------------------
# Shared by the elementwise and reduction rules. Each holds the control flow a rule
# cannot write inline, so the rule itself stays one readable line of math. They return
# values in the input's float dtype (float32 stays float32).
# ---------------------------------------------------------------------------------------

def safe_mul(g, d):
    """g * d, except exactly 0 wherever g is 0, even where d is inf or nan.

    Rules for functions with a restricted domain (sqrt, log, arcsin, ...) use it (or
    safe_div) so the branch np.where discarded (its g is 0) gets gradient 0 instead of
    0 * inf = nan: the gradient of np.where(x > 0, np.sqrt(x), 0.0) is 0 at x <= 0.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        out = g * d
    return _zero_where_g_is_zero(g, out)


def safe_div(g, d):
    """g / d, except exactly 0 wherever g is 0, even where d is 0 or nan (see safe_mul)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = g / d
    return _zero_where_g_is_zero(g, out)


def _zero_where_g_is_zero(g, out):
    if is_numpy(out) and np.all(np.isfinite(out)):
        return out  # (for a lazy array, always take the where: never compute to decide)
    out = np.where(np.asarray(g) == 0 if is_numpy(g) else g == 0, 0, out)
    return out[()] if out.ndim == 0 else out


def even_ties(x, y, axis=None, keepdims=False):
    """For max/min reductions: 1/k on each of the k entries of x equal to the reduced
    value y, 0 elsewhere, in x's float dtype. Ties split evenly (JAX's convention)."""
    hit = (np.asarray(x) if is_numpy(x) else x) == expand_to(y, x, axis, keepdims)
    count = np.sum(hit, axis=axis, keepdims=True)
    return hit / count.astype(float_dtype(x))


def cast_like(g, x):
    """g in x's float dtype (for primals such as np.float_power that compute in float64)."""
    if not is_numpy(g):
        return g.astype(float_dtype(x))
    return np.asarray(g, dtype=float_dtype(x))[()] if np.ndim(g) == 0 \
        else np.asarray(g, dtype=float_dtype(x))


def unindex(g, x, index):
    """Gradient of x[index]. For an array: zeros shaped like x with g added at index
    (repeats add up), as `scatter`. For a list or tuple (a list literal, or the result
    of a function returning several values): one gradient per element, g at index and
    zeros elsewhere."""
    if is_container(x):
        return unindex_container(g, x, index, zero_grad)
    return scatter(g, x, index)


def indexes_plainly(x) -> None:
    """Checks, where x[i]'s index depends on the values being differentiated, that x is an
    array, list, tuple or dict: those index by value, so the index rightly gets no
    gradient. Any other object's [] may compute with the index: refused."""
    if not isinstance(x, (np.ndarray, list, tuple, dict, str)):
        raise MissingRule(f"indexing an object of type {type(x).__name__} with values being "
                          "differentiated: adjoint has no gradient rule for what its [] computes "
                          "from them\n  fix: index with integers, or call a function that has "
                          "a rule instead")


def spread(g, items):
    """Gradient of builtin sum(items): every item gets g (summed to its shape)."""
    if isinstance(items, (list, tuple)):
        return Grads((unbroadcast(g, item) for item in items), type(items))
    return np.broadcast_to(g, np.shape(items))  # sum over an array's first axis
