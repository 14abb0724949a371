"""Helpers that generated code and rules call at run time.

Each is small, pure and named for what it does, because it appears verbatim in the
generated code a user reads (`grad_b = unbroadcast(grad_s1, b)`).
"""
from __future__ import annotations

import numpy as np

from .errors import NonScalarOutput


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x`, undoing numpy broadcasting of `x` in the forward."""
    shape = np.shape(x)
    if np.shape(g) == shape or np.ndim(g) == 0 and not np.any(g):
        return g  # (a scalar zero: the gradient of a value nothing used, any shape)
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
    """The gradient of the output with respect to itself: 1.0, after checking y is a scalar."""
    if y is None or isinstance(y, (str, bytes, bool, tuple, list, dict)):
        raise NonScalarOutput(f"grad needs a scalar output; got {type(y).__name__}")
    shape = np.shape(y)
    if shape != ():
        raise NonScalarOutput(f"grad needs a scalar output; got shape {shape}")
    if np.iscomplexobj(y) or not np.issubdtype(np.result_type(y), np.number):
        raise NonScalarOutput(f"grad needs a real scalar output; got {type(y).__name__}")
    return 1.0


def zero_grad(x):
    """A zero gradient for x: zeros of its shape (0.0 for scalars, and for None, the
    placeholder of a value not yet computed)."""
    if x is None or np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.0
    return np.zeros(np.shape(x), dtype=float_dtype(x))


def float_dtype(x):
    """The dtype a gradient of x has: x's own float dtype, float64 for ints."""
    dtype = np.result_type(x)
    return dtype if np.issubdtype(dtype, np.inexact) else np.float64


def expand_to(g, x, axis=None, keepdims=False):
    """Broadcast the gradient of a reduction of `x` back to x's shape (a new array)."""
    g = np.asarray(g, dtype=np.result_type(g, float_dtype(x)))  # a Python float seed stays weak
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        ndim = np.ndim(x)
        g = np.expand_dims(g, tuple(a % ndim for a in axes))
    return np.broadcast_to(g, np.shape(x)).astype(float_dtype(g), copy=True) \
        if np.ndim(x) else g


def tie_share(x, y, axis=None, keepdims=False):
    """For max/min: 1/k on each of the k entries equal to the extreme, 0 elsewhere.

    Ties split the gradient evenly (as JAX does), so the result stays symmetric.
    """
    hit = x == expand_to(y, x, axis, keepdims)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def scatter(g, x, index):
    """Gradient of x[index]: zeros shaped like x with g added at index (repeats add up).
    For a tuple or list x (a loop over (a, b, c)): a tuple with g at that position."""
    if isinstance(x, (tuple, list)):
        grads = [zero_grad(item) for item in x]
        grads[index] = grads[index] + g
        return tuple(grads)
    out = np.zeros(np.shape(x), dtype=np.result_type(float_dtype(x), g))
    if _is_basic_index(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) and not
               isinstance(p, bool) for p in parts)


def separate(*grads):
    """The gradients, with any array that is the same object as an earlier one copied,
    so that updating one gradient in place never changes another."""
    seen = set()
    out = []
    for g in grads:
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
    if _is_zero_scalar(g) and np.ndim(a) + np.ndim(b) > 2:
        return 0.0
    if np.ndim(a) == 1:
        gb = np.expand_dims(a, -1) * np.expand_dims(g, -2) if np.ndim(b) > 1 else g * a
    elif np.ndim(b) == 1:
        gb = np.expand_dims(g, -1) * a
    else:
        gb = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(gb, b)


def safe_log(x):
    """log(x) where x > 0, else 0: the factor in d(a ** b)/db, which is 0 where a ** b is 0."""
    x = np.asarray(x)
    positive = x > 0
    out = np.log(np.where(positive, x, 1.0))
    return out[()] if out.ndim == 0 else out


def inverse_axes(axes):
    """The permutation that undoes np.transpose(x, axes); None stays None."""
    return None if axes is None else tuple(np.argsort(axes))


# ---------------------------------------------------------------------------------------
# Helpers for the numpy/scipy coverage rules (adjoint/rules/). Each holds the control
# flow or shape bookkeeping a rule cannot write inline, so the rule itself stays one
# readable line of math. They return new, writeable arrays in the input's float dtype
# (float32 stays float32).
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
    if np.all(np.isfinite(out)):
        return out
    out = np.where(np.asarray(g) == 0, 0, out)
    return out[()] if out.ndim == 0 else out


def even_ties(x, y, axis=None, keepdims=False):
    """For max/min reductions: 1/k on each of the k entries of x equal to the reduced
    value y, 0 elsewhere, in x's float dtype. Ties split evenly (JAX's convention)."""
    hit = np.asarray(x) == expand_to(y, x, axis, keepdims)
    count = np.sum(hit, axis=axis, keepdims=True)
    return hit / np.asarray(count, dtype=float_dtype(x))


def cast_like(g, x):
    """g in x's float dtype (for primals such as np.float_power that compute in float64)."""
    return np.asarray(g, dtype=float_dtype(x))[()] if np.ndim(g) == 0 \
        else np.asarray(g, dtype=float_dtype(x))


def split_clip(g, a, a_min, a_max):
    """g split between the operands of clip(a, a_min, a_max) = minimum(maximum(a, a_min), a_max).

    Returns (to a, to a_min, to a_max), not yet summed to the operands' shapes. A tie
    splits evenly, as for maximum and minimum; a bound of None takes nothing.
    """
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    inner = np.maximum(a, lo)
    through = g * (inner < hi) + 0.5 * g * (inner == hi)
    to_hi = g * (hi < inner) + 0.5 * g * (inner == hi)
    to_a = through * (a > lo) + 0.5 * through * (a == lo)
    to_lo = through * (lo > a) + 0.5 * through * (a == lo)
    return to_a, to_lo, to_hi


# linear algebra -----------------------------------------------------------------------

def dot_left(g, a, b):
    """Gradient of np.dot(a, b) with respect to a, for every shape np.dot accepts."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * b, a)
    if nb == 1:
        return np.multiply.outer(g, b)
    return np.tensordot(g, b, axes=(list(range(na - 1, np.ndim(g))), list(range(nb - 2)) + [nb - 1]))


def dot_right(g, a, b):
    """Gradient of np.dot(a, b) with respect to b, for every shape np.dot accepts."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b)
    t = np.tensordot(g, a, axes=(list(range(na - 1)), list(range(na - 1))))
    return t if nb == 1 else np.swapaxes(t, -1, -2)


def inner_left(g, a, b):
    """Gradient of np.inner(a, b) (a sum over the last axes) with respect to a."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * b, a)
    return np.tensordot(g, b, axes=(list(range(na - 1, np.ndim(g))), list(range(nb - 1))))


def inner_right(g, a, b):
    """Gradient of np.inner(a, b) (a sum over the last axes) with respect to b."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b)
    return np.tensordot(g, a, axes=(list(range(na - 1)), list(range(na - 1))))


def _tensordot_axes(a, b, axes):
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(na - n, na)), list(range(n))
    axes_a, axes_b = axes
    axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
    axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    return [int(k) % na for k in axes_a], [int(k) % nb for k in axes_b]


def tensordot_left(g, a, b, axes=2):
    """Gradient of np.tensordot(a, b, axes) with respect to a."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    free_a = [k for k in range(np.ndim(a)) if k not in axes_a]
    free_b = [k for k in range(np.ndim(b)) if k not in axes_b]
    t = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
    # t's last axes are b's contracted axes in b's order; each pairs with an axis of a
    paired = [axes_a[axes_b.index(k)] for k in sorted(axes_b)]
    return np.transpose(t, np.argsort(free_a + paired))


def tensordot_right(g, a, b, axes=2):
    """Gradient of np.tensordot(a, b, axes) with respect to b."""
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    free_a = [k for k in range(np.ndim(a)) if k not in axes_a]
    free_b = [k for k in range(np.ndim(b)) if k not in axes_b]
    t = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    paired = [axes_b[axes_a.index(k)] for k in sorted(axes_a)]
    return np.transpose(t, np.argsort(paired + free_b))


def _einsum_specs(subscripts, operands):
    from .errors import AdjointError
    if not isinstance(subscripts, str):
        raise AdjointError("np.einsum's gradient rule needs the subscripts string form, "
                           "e.g. np.einsum('ij,jk->ik', a, b)")
    text = subscripts.replace(" ", "")
    if "." in text:
        raise AdjointError(f"np.einsum's gradient rule does not handle '...' ({subscripts!r}); "
                           "write every index out")
    inputs, arrow, output = text.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(operands):
        raise AdjointError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands; "
                           f"got {len(operands)}")
    if not arrow:  # implicit output: the indices seen once, in alphabetical order
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, output


def einsum_grad(g, subscripts, operands, position):
    """Gradient of np.einsum(subscripts, *operands) with respect to operands[position].

    Contract g with the other operands onto this operand's indices; an index summed away
    in the forward that only this operand has is broadcast back; a repeated index
    ('ii', a diagonal) puts the gradient on that diagonal.
    """
    inputs, output = _einsum_specs(subscripts, operands)
    spec = inputs[position]
    x = operands[position]
    others = [s for k, s in enumerate(inputs) if k != position]
    other_operands = [o for k, o in enumerate(operands) if k != position]
    unique = "".join(dict.fromkeys(spec))
    available = set(output).union(*others)
    kept = "".join(c for c in unique if c in available)
    t = np.einsum(",".join([output] + others) + "->" + kept, g, *other_operands)
    sizes = dict(zip(spec, np.shape(x)))
    t = np.reshape(t, [sizes[c] if c in kept else 1 for c in unique])
    t = np.broadcast_to(t, [sizes[c] for c in unique])
    dtype = np.result_type(float_dtype(x), t)
    if unique == spec:
        return np.array(t, dtype=dtype)
    out = np.zeros(np.shape(x), dtype=dtype)
    np.einsum(spec + "->" + unique, out)[...] = t  # a writeable view of the diagonal
    return out


def _kron_blocks(g, a, b):
    """g = np.kron(a, b)'s gradient viewed as blocks[i..., j...] for a[i...] * b[j...]."""
    n = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (n - np.ndim(a)) + np.shape(a)
    sb = (1,) * (n - np.ndim(b)) + np.shape(b)
    pairs = np.reshape(g, [size for pair in zip(sa, sb) for size in pair])
    return np.transpose(pairs, list(range(0, 2 * n, 2)) + list(range(1, 2 * n, 2))), sa, sb


def kron_left(g, a, b):
    """Gradient of np.kron(a, b) with respect to a."""
    blocks, sa, sb = _kron_blocks(g, a, b)
    return np.reshape(np.tensordot(blocks, np.reshape(b, sb), axes=len(sb)), np.shape(a))


def kron_right(g, a, b):
    """Gradient of np.kron(a, b) with respect to b."""
    blocks, sa, sb = _kron_blocks(g, a, b)
    return np.reshape(np.tensordot(np.reshape(a, sa), blocks, axes=len(sa)), np.shape(b))


def place_diagonal(g, a, offset=0, axis1=0, axis2=1):
    """Zeros shaped like a with g on the diagonal np.diagonal(a, offset, axis1, axis2) reads."""
    out = np.zeros(np.shape(a), dtype=np.result_type(float_dtype(a), g))
    moved = np.moveaxis(out, (axis1, axis2), (-2, -1))  # a view: writing it writes out
    n, m = moved.shape[-2:]
    rows = np.arange(max(0, -offset), min(n, m - offset))
    moved[..., rows, rows + offset] = g
    return out


def diag_grad(g, v, k=0):
    """Gradient of np.diag(v, k): the k-th diagonal of g for a vector v (which np.diag
    turned into a matrix), else g placed on v's k-th diagonal."""
    if np.ndim(v) == 1:
        return np.array(np.diagonal(g, k))
    return place_diagonal(g, v, k)


def _cross_grads(g, a, b, axisa, axisb, axisc, axis):
    if axis is not None:
        axisa = axisb = axisc = axis
    a_last = np.moveaxis(np.asarray(a), axisa, -1)
    b_last = np.moveaxis(np.asarray(b), axisb, -1)
    na, nb = a_last.shape[-1], b_last.shape[-1]
    pad_a = np.concatenate([a_last, np.zeros(a_last.shape[:-1] + (3 - na,), a_last.dtype)], -1)
    pad_b = np.concatenate([b_last, np.zeros(b_last.shape[:-1] + (3 - nb,), b_last.dtype)], -1)
    if na == 2 and nb == 2:  # the result is the z component of the 3-D cross product
        g_last = np.zeros(np.shape(g) + (3,), dtype=np.result_type(g, float_dtype(a)))
        g_last[..., 2] = g
    else:
        g_last = np.moveaxis(np.asarray(g), axisc, -1)
    # <g, a x b> = <a, b x g> = <b, g x a>
    ga = unbroadcast(np.cross(pad_b, g_last)[..., :na], a_last)
    gb = unbroadcast(np.cross(g_last, pad_a)[..., :nb], b_last)
    return np.moveaxis(ga, -1, axisa), np.moveaxis(gb, -1, axisb)


def cross_left(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Gradient of np.cross(a, b, ...) with respect to a (2- and 3-vectors)."""
    return _cross_grads(g, a, b, axisa, axisb, axisc, axis)[0]


def cross_right(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Gradient of np.cross(a, b, ...) with respect to b (2- and 3-vectors)."""
    return _cross_grads(g, a, b, axisa, axisb, axisc, axis)[1]


def _nonzero(y):
    """y with zeros replaced by ones, to divide by a norm that may be 0 (its gradient
    there is taken as 0, a subgradient)."""
    return np.where(y == 0, 1, y)


def _vector_norm_grad(g, y, x, ord, axis, keepdims):
    g = expand_to(g, x, axis, keepdims)
    y = expand_to(y, x, axis, keepdims)
    if ord is None or ord == 2:
        return g * x / _nonzero(y)
    if ord == 1:
        return g * np.sign(x)
    if ord == 0:
        return np.zeros_like(g)
    if ord in (np.inf, -np.inf):  # the extreme |x| entries share the gradient evenly
        hit = np.abs(x) == y
        return g * np.sign(x) * (hit / np.asarray(np.sum(hit, axis=axis, keepdims=True), g.dtype))
    return g * np.sign(x) * (np.abs(x) / _nonzero(y)) ** (ord - 1)


def _matrix_norm_grad(g, y, x, ord, axes, keepdims):
    g = expand_to(g, x, axes, keepdims)
    y = expand_to(y, x, axes, keepdims)
    if ord is None or ord == "fro":
        return g * x / _nonzero(y)
    rows, cols = axes
    if ord in (1, -1, np.inf, -np.inf):  # max/min absolute column (1) or row (inf) sum
        line = np.sum(np.abs(x), axis=rows if ord in (1, -1) else cols, keepdims=True)
        extreme = np.max if ord in (1, np.inf) else np.min
        hit = line == extreme(line, axis=axes, keepdims=True)
        share = hit / np.asarray(np.sum(hit, axis=axes, keepdims=True), g.dtype)
        return g * np.sign(x) * share
    m = np.moveaxis(x, (rows, cols), (-2, -1))
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    if ord == "nuc":
        d = u @ vt
    else:  # 2 (largest singular value) or -2 (smallest)
        k = 0 if ord == 2 else -1
        d = u[..., :, k, None] * vt[..., None, k, :]
    return g * np.moveaxis(d, (-2, -1), (rows, cols)).astype(g.dtype)


def norm_grad(g, y, x, ord=None, axis=None, keepdims=False):
    """Gradient of np.linalg.norm(x, ord, axis, keepdims), vector and matrix norms.

    At a zero vector or matrix the 2- and Frobenius norms get gradient 0 (a subgradient);
    ties in the inf/-inf/1/-1 norms split evenly.
    """
    x = np.asarray(x)
    if axis is None:
        if ord is None or x.ndim == 1:
            return _vector_norm_grad(g, y, x, ord, None, keepdims)
        return _matrix_norm_grad(g, y, x, ord, (0, 1), keepdims)
    if np.ndim(axis) == 0 or len(axis) == 1:
        return _vector_norm_grad(g, y, x, ord, axis if np.ndim(axis) == 0 else axis[0], keepdims)
    return _matrix_norm_grad(g, y, x, ord, tuple(a % x.ndim for a in axis), keepdims)


def vector_norm_grad(g, y, x, axis=None, keepdims=False, ord=2):
    """Gradient of np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)."""
    return _vector_norm_grad(g, y, np.asarray(x), ord, axis, keepdims)


def matrix_norm_grad(g, y, x, keepdims=False, ord="fro"):
    """Gradient of np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)."""
    x = np.asarray(x)
    return _matrix_norm_grad(g, y, x, ord, (x.ndim - 2, x.ndim - 1), keepdims)


def lower_halved(x):
    """The lower triangle of x with its diagonal halved (Murray's Phi in the Cholesky
    gradient, arXiv:1602.07527)."""
    n = np.shape(x)[-1]
    return np.tril(x) - 0.5 * x * np.eye(n, dtype=np.result_type(x))


def as_lower(m, upper=False):
    """m as a lower-triangular factor: its transpose when np.linalg.cholesky(upper=True)
    returned the upper one."""
    return np.swapaxes(m, -1, -2) if upper else m


def inverse_gaps(w):
    """F[..., i, j] = 1 / (w[j] - w[i]) off the diagonal and 0 on it (and 0 for equal
    eigenvalues, where the eigenvectors are not unique)."""
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    same = gaps == 0
    return np.where(same, 0, 1 / np.where(same, 1, gaps))


def as_columns(v, b):
    """v with a trailing axis of length 1 when b is a vector (np.linalg.solve treats a
    1-D b as one column), else v itself."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


def matrix_power_grad(g, a, n):
    """Gradient of np.linalg.matrix_power(a, n): sum over k of (a^T)^k g (a^T)^(n-1-k)."""
    a = np.asarray(a)
    if n < 0:  # a^n = inv(a)^(-n): chain through the inverse
        inv = np.linalg.inv(a)
        gi = matrix_power_grad(g, inv, -n)
        it = np.swapaxes(inv, -1, -2)
        return -(it @ gi @ it)
    at = np.swapaxes(a, -1, -2)
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=out.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ at)
    for k in range(n):
        out = out + powers[k] @ g @ powers[n - 1 - k]
    return out


def multi_dot_grads(g, arrays):
    """Gradients of np.linalg.multi_dot(arrays), one per array (first and last may be 1-D)."""
    mats = [np.asarray(m) for m in arrays]
    first_vector, last_vector = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_vector:
        mats[0] = mats[0][None, :]
    if last_vector:
        mats[-1] = mats[-1][:, None]
    g = np.reshape(g, (mats[0].shape[0], mats[-1].shape[1]))
    grads = []
    for k in range(len(mats)):
        left = np.eye(mats[0].shape[0]) if k == 0 else np.linalg.multi_dot([np.eye(mats[0].shape[0])] + mats[:k])
        right = np.eye(mats[-1].shape[1]) if k == len(mats) - 1 else \
            np.linalg.multi_dot(mats[k + 1:] + [np.eye(mats[-1].shape[1])])
        grad = (left.T @ g @ right.T).astype(np.result_type(float_dtype(mats[k]), g))
        grads.append(np.reshape(grad, np.shape(arrays[k])))
    return grads


# reductions --------------------------------------------------------------------------

def _axes_of(x, axis):
    ndim = np.ndim(x)
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if np.ndim(axis) == 0 else axis))


def prod_of_others(x, axis=None):
    """For each entry of x, the product of the other entries its np.prod(x, axis) multiplies
    (exact when x has zeros, unlike prod / x)."""
    x = np.asarray(x)
    x = x.astype(float_dtype(x))
    if x.ndim == 0:
        return np.ones_like(x)
    axes = _axes_of(x, axis)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    flat = np.reshape(moved, moved.shape[:x.ndim - len(axes)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], -1), -1), -1), -1)
    others = np.reshape(before * after, moved.shape)
    return np.moveaxis(others, tuple(range(x.ndim - len(axes), x.ndim)), axes)


def reverse_cumsum(g, axis=None):
    """Sums from the end: the gradient of np.cumsum along axis (g flattened for None)."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def uncumulative_sum(g, axis=None, include_initial=False):
    """Gradient of np.cumulative_sum(x, axis, include_initial): sums of g from the end,
    without the leading 0 entry include_initial=True added."""
    axis = 0 if axis is None else axis
    sums = reverse_cumsum(g, axis)
    if not include_initial:
        return sums
    return np.array(np.take(sums, np.arange(1, np.shape(sums)[axis]), axis=axis))


def cumprod_grad(g, x, axis=None):
    """Gradient of np.cumprod(x, axis): grad[i] = sum over j >= i of g[j] * prod_{k<=j, k!=i} x[k].

    Uses reverse_cumsum(g * y) / x when x has no zeros; otherwise the exact sum.
    """
    x = np.asarray(x)
    shape = x.shape
    if axis is None:
        x, axis = np.ravel(x), 0
    x = x.astype(float_dtype(x))
    g = np.asarray(g, dtype=np.result_type(x, g))
    y = np.cumprod(x, axis)
    if np.all(x != 0):
        return np.reshape(reverse_cumsum(g * y, axis) / x, shape)
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(np.broadcast_to(g, y.shape), axis, -1)
    n = xm.shape[-1]
    out = np.zeros_like(xm)
    for i in range(n):
        others = np.cumprod(np.concatenate([xm[..., :i], np.ones_like(xm[..., i:i + 1]),
                                            xm[..., i + 1:]], -1), -1)
        out[..., i] = np.sum(gm[..., i:] * others[..., i:], -1)
    return np.reshape(np.moveaxis(out, -1, axis), shape)


def nan_count(a, axis=None):
    """How many entries of a along axis are not nan (kept dims, in a's float dtype)."""
    return np.asarray(np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True),
                      dtype=float_dtype(a))


def average_weights(a, axis=None, weights=None):
    """d np.average(a, axis, weights) / d a: weights / sum(weights), broadcast to a's shape."""
    a = np.asarray(a)
    dtype = float_dtype(a)
    if weights is None:
        return np.full(a.shape, np.size(np.sum(a, axis=axis)) / max(a.size, 1), dtype=dtype)
    w = np.asarray(weights)
    if w.shape != a.shape:  # 1-D weights along a single axis
        shape = [1] * a.ndim
        shape[int(axis) % a.ndim] = w.size
        w = np.reshape(w, shape)
    w = w / np.sum(w, axis=axis, keepdims=True)
    return np.broadcast_to(w, a.shape).astype(np.result_type(dtype, w.dtype))


def median_weights(a, axis=None):
    """d np.median(a, axis) / d a: 1 on the middle entry of each slice, or 1/2 on each of
    the two middle entries when the slice has even length (the entries np.sort puts there)."""
    a = np.asarray(a)
    axes = _axes_of(a, axis)
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    flat = np.reshape(moved, moved.shape[:a.ndim - len(axes)] + (-1,))
    n = flat.shape[-1]
    weights = np.zeros(n, dtype=float_dtype(a))
    if n % 2:
        weights[n // 2] = 1
    else:
        weights[n // 2 - 1:n // 2 + 1] = 0.5
    out = np.zeros(flat.shape, dtype=weights.dtype)
    order = np.argsort(flat, axis=-1, kind="stable")
    np.put_along_axis(out, order, np.broadcast_to(weights, flat.shape), -1)
    return np.moveaxis(np.reshape(out, moved.shape), last, axes)


def weighted_by(w, b=None):
    """w * b, or w itself when b is None (scipy's logsumexp(a, b=...) scale factors)."""
    return w if b is None else w * b


# shapes and selection ----------------------------------------------------------------

def unpack_like(g, obj):
    """g shaped like np.array(obj)'s argument: reshaped for an array or number, and a
    list with one gradient per element for a list or tuple of differentiable values."""
    g = np.reshape(g, np.shape(obj))  # drops the leading axes ndmin= added
    if isinstance(obj, (list, tuple)):
        return [unpack_like(g[k], element) for k, element in enumerate(obj)]
    return g


def unstack(g, axis=0):
    """The slices of g along axis, one per array np.stack stacked (np.unstack in numpy 2.1+)."""
    g = np.asarray(g)
    return [np.take(g, k, axis=axis) for k in range(g.shape[axis])]


def _split_back(g, arrays, axis, promote):
    """g cut along axis into pieces sized like each promoted input, reshaped to the inputs."""
    shapes = [np.shape(promote(np.broadcast_to(0.0, np.shape(a)))) for a in arrays]
    sizes = [shape[axis] for shape in shapes]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return [np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays)]


def unconcatenate(g, arrays, axis=0):
    """Gradient of np.concatenate(arrays, axis): g cut back into one piece per array
    (axis=None concatenated the flattened arrays)."""
    if axis is None:
        pieces = _split_back(np.ravel(g), [np.ravel(a) for a in arrays], 0, np.asarray)
        return [np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays)]
    return _split_back(g, arrays, axis, np.asarray)


def unhstack(g, tup):
    """Gradient of np.hstack(tup): pieces of g along axis 1 (axis 0 for 1-D inputs)."""
    axis = 0 if np.ndim(np.atleast_1d(np.broadcast_to(0.0, np.shape(tup[0])))) == 1 else 1
    return _split_back(g, tup, axis, np.atleast_1d)


def unvstack(g, tup):
    """Gradient of np.vstack(tup): pieces of g along axis 0 (1-D inputs were rows)."""
    return _split_back(g, tup, 0, np.atleast_2d)


def undstack(g, tup):
    """Gradient of np.dstack(tup): pieces of g along axis 2."""
    return _split_back(g, tup, 2, np.atleast_3d)


def _as_column(a):
    return np.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a


def uncolumn_stack(g, tup):
    """Gradient of np.column_stack(tup): pieces of g along axis 1 (1-D inputs were columns)."""
    return _split_back(g, tup, 1, _as_column)


def untile(g, A, reps):
    """Gradient of np.tile(A, reps): the copies of A in g summed."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    n = max(np.ndim(A), len(reps))
    shape = (1,) * (n - np.ndim(A)) + np.shape(A)
    reps = (1,) * (n - len(reps)) + reps
    blocks = np.reshape(g, [size for pair in zip(reps, shape) for size in pair])
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * n, 2))), np.shape(A))


def unrepeat(g, a, repeats, axis=None):
    """Gradient of np.repeat(a, repeats, axis): each entry gets the sum of its copies."""
    a = np.asarray(a)
    if axis is None:
        source = np.repeat(np.arange(a.size), repeats)
        out = np.zeros(a.size, dtype=np.result_type(float_dtype(a), g))
        np.add.at(out, source, np.ravel(g))
        return np.reshape(out, a.shape)
    axis = axis % a.ndim
    source = np.repeat(np.arange(a.shape[axis]), repeats)
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    np.add.at(np.moveaxis(out, axis, 0), source, np.moveaxis(np.asarray(g), axis, 0))
    return out


def unpad(g, array, pad_width, mode="constant"):
    """Gradient of np.pad(array, pad_width, mode): the inner block of g for 'constant';
    for the modes that copy entries ('edge', 'reflect', 'symmetric', 'wrap'), every copy's
    gradient is added back to the entry it was copied from."""
    from .errors import AdjointError
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    if mode == "constant" or mode == "empty":
        return np.array(np.asarray(g)[tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape))])
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise AdjointError(f"np.pad's gradient rule handles the modes constant, edge, reflect, "
                           f"symmetric and wrap; got mode={mode!r}")
    source = np.pad(np.arange(int(np.prod(shape))).reshape(shape), pad_width, mode=mode)
    out = np.zeros(int(np.prod(shape)), dtype=np.result_type(float_dtype(array), g))
    np.add.at(out, source.ravel(), np.ravel(g))
    return out.reshape(shape)


def untake(g, a, indices, axis=None, mode="raise"):
    """Gradient of np.take(a, indices, axis, mode): g added at the indices (repeats add up)."""
    a = np.asarray(a)
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    axis = None if axis is None else axis % a.ndim
    flat = out.reshape(-1) if axis is None else np.moveaxis(out, axis, 0)
    n = flat.shape[0]
    indices = np.asarray(indices)
    indices = np.clip(indices, 0, n - 1) if mode == "clip" else indices % n if mode == "wrap" else indices
    if axis is None:
        np.add.at(flat, indices, g)
    else:
        g = np.moveaxis(np.asarray(g), tuple(range(axis, axis + indices.ndim)),
                        tuple(range(indices.ndim)))
        np.add.at(flat, indices, g)
    return out


def untake_along_axis(g, arr, indices, axis=-1):
    """Gradient of np.take_along_axis(arr, indices, axis): g added at the indices."""
    arr = np.asarray(arr)
    out = np.zeros(arr.shape, dtype=np.result_type(float_dtype(arr), g))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices), g)
        return out
    axis = axis % arr.ndim
    indices = np.asarray(indices)
    shape = np.broadcast_shapes(tuple(1 if k == axis else n for k, n in enumerate(arr.shape)),
                                tuple(1 if k == axis else n for k, n in enumerate(indices.shape)))
    index = list(np.ogrid[tuple(slice(n) for n in shape)])
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out


def unsort(g, a, axis=-1):
    """Gradient of np.sort(a, axis): each entry of g goes back to where its value came from."""
    a = np.asarray(a)
    if axis is None:
        order = np.argsort(a, axis=None, kind="stable")
        out = np.zeros(a.size, dtype=np.result_type(float_dtype(a), g))
        out[order] = g
        return out.reshape(a.shape)
    order = np.argsort(a, axis=axis, kind="stable")
    out = np.zeros(a.shape, dtype=np.result_type(float_dtype(a), g))
    np.put_along_axis(out, order, g, axis)
    return out


def unselect(g, condlist, choicelist):
    """Gradient of np.select(condlist, choicelist): g goes to the first choice whose
    condition holds, entry by entry; one gradient per choice."""
    taken = np.zeros(np.shape(g), dtype=bool)
    grads = []
    for condition, choice in zip(condlist, choicelist):
        mask = np.logical_and(condition, np.logical_not(taken))
        grads.append(unbroadcast(np.where(mask, g, 0), choice))
        taken = np.logical_or(taken, condition)
    return grads


def undiff(g, a, n=1, axis=-1, prepend=None, append=None):
    """Gradient of np.diff(a, n, axis, prepend, append): the adjoint of one difference
    (-diff of g padded with a zero at each end), n times, then a's part of the result."""
    g = np.asarray(g)
    for _ in range(n):
        widths = [(0, 0)] * g.ndim
        widths[axis] = (1, 1)
        g = -np.diff(np.pad(g, widths), axis=axis)
    before = 0 if prepend is None else (np.shape(prepend)[axis] if np.ndim(prepend) else 1)
    index = [slice(None)] * g.ndim
    index[axis] = slice(before, before + np.shape(a)[axis])
    return np.array(g[tuple(index)])


def _interp_parts(x, xp, fp, period=None):
    if period is not None:
        from .errors import AdjointError
        raise AdjointError("np.interp's gradient rule does not handle period=")
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    h = xp[j + 1] - xp[j]
    t = (x - xp[j]) / h
    inside = (x >= xp[0]) & (x <= xp[-1])
    return x, xp, fp, j, h, t, inside


def interp_grad_x(g, x, xp, fp, left=None, right=None, period=None):
    """Gradient of np.interp with respect to x: g times the slope of the segment x is on
    (0 outside [xp[0], xp[-1]], where the result is constant)."""
    x, xp, fp, j, h, t, inside = _interp_parts(x, xp, fp, period)
    return g * np.where(inside, (fp[j + 1] - fp[j]) / h, 0)


def interp_grad_fp(g, x, xp, fp, left=None, right=None, period=None):
    """Gradient of np.interp with respect to fp: each x's g shared by its segment's ends."""
    x, xp, fp, j, h, t, inside = _interp_parts(x, xp, fp, period)
    out = np.zeros(fp.shape, dtype=np.result_type(float_dtype(fp), g))
    g = np.broadcast_to(g, x.shape)
    np.add.at(out, j, np.where(inside, g * (1 - t), 0))
    np.add.at(out, j + 1, np.where(inside, g * t, 0))
    if left is None:
        out[0] += np.sum(np.where(x < xp[0], g, 0))
    if right is None:
        out[-1] += np.sum(np.where(x > xp[-1], g, 0))
    return out


def interp_grad_xp(g, x, xp, fp, left=None, right=None, period=None):
    """Gradient of np.interp with respect to the knots xp (where x is strictly inside a segment)."""
    x, xp, fp, j, h, t, inside = _interp_parts(x, xp, fp, period)
    slope = (fp[j + 1] - fp[j]) / h
    out = np.zeros(xp.shape, dtype=np.result_type(float_dtype(xp), g))
    g = np.where(inside, np.broadcast_to(g, x.shape), 0)
    np.add.at(out, j, g * slope * (t - 1))
    np.add.at(out, j + 1, -g * slope * t)
    return out


# signals and polynomials ---------------------------------------------------------------

def _mode_start(mode, na, nv, correlate=False):
    if mode == "full":
        return 0
    if mode == "valid":
        return min(na, nv) - 1
    if correlate and nv > na:
        return na // 2
    return (min(na, nv) - 1) // 2


def _full_grad(g, na, nv, mode, correlate):
    full = np.zeros(na + nv - 1, dtype=np.result_type(g, np.float32))
    start = _mode_start(mode, na, nv, correlate)
    full[start:start + np.size(g)] = g
    return full


def convolve_left(g, a, v, mode="full"):
    """Gradient of np.convolve(a, v, mode) with respect to a."""
    full = _full_grad(g, np.size(a), np.size(v), mode, False)
    return np.correlate(full, np.asarray(v), "valid").astype(np.result_type(float_dtype(a), g))


def convolve_right(g, a, v, mode="full"):
    """Gradient of np.convolve(a, v, mode) with respect to v."""
    full = _full_grad(g, np.size(a), np.size(v), mode, False)
    return np.correlate(full, np.asarray(a), "valid").astype(np.result_type(float_dtype(v), g))


def correlate_left(g, a, v, mode="valid"):
    """Gradient of np.correlate(a, v, mode) with respect to a (correlate(a, v) = convolve(a, v[::-1]))."""
    full = _full_grad(g, np.size(a), np.size(v), mode, True)
    return np.correlate(full, np.asarray(v)[::-1], "valid").astype(np.result_type(float_dtype(a), g))


def correlate_right(g, a, v, mode="valid"):
    """Gradient of np.correlate(a, v, mode) with respect to v."""
    full = _full_grad(g, np.size(a), np.size(v), mode, True)
    return np.correlate(full, np.asarray(a), "valid")[::-1].astype(np.result_type(float_dtype(v), g))


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """d np.trapezoid(y, x, dx, axis) / d y: half the spacing on each side of each sample."""
    y = np.asarray(y)
    axis = axis % y.ndim
    d = np.diff(np.asarray(x), axis=-1 if np.ndim(x) == 1 else axis) if x is not None \
        else np.full(y.shape[axis] - 1, dx, dtype=float_dtype(y))
    if np.ndim(d) == 1:
        shape = [1] * y.ndim
        shape[axis] = d.size
        d = np.reshape(d, shape)
    widths = [(0, 0)] * y.ndim
    widths[axis] = (1, 0)
    left = np.pad(d, widths)
    widths[axis] = (0, 1)
    right = np.pad(d, widths)
    return np.broadcast_to((left + right) / 2, y.shape).astype(np.result_type(float_dtype(y), d))


def linspace_fraction(y, num=50, endpoint=True, axis=0):
    """Where each sample of y = np.linspace(start, stop, num, endpoint, axis=axis) sits
    between start (0) and stop (1), shaped to broadcast against y."""
    steps = (num - 1 if endpoint else num) or 1
    t = np.arange(num, dtype=float_dtype(y)) / steps
    shape = [1] * np.ndim(y)
    shape[axis] = num
    return np.reshape(t, shape)


class Grads(tuple):
    """One gradient per element of a list or tuple value. `+` adds element by element,
    because gradients accumulate with + (grad_xs = grad_xs + ...), which would
    concatenate plain tuples."""

    def __add__(self, other):
        return Grads(a + b for a, b in zip(self, other))

    __radd__ = __add__


def unindex(g, x, index):
    """Gradient of x[index]. For an array: zeros shaped like x with g added at index
    (repeats add up), as `scatter`. For a list or tuple (a list literal, or the result
    of a function returning several values): one gradient per element, g at index and
    zeros elsewhere."""
    if not isinstance(x, (list, tuple)):
        return scatter(g, x, index)
    grads = [zero_grad(element) for element in x]
    if isinstance(index, slice):
        for k, part in zip(range(*index.indices(len(x))), g):
            grads[k] = grads[k] + part
    else:
        grads[index] = grads[index] + g
    return Grads(grads)


def symmetric_part(m):
    """(m + m^T) / 2 over the last two axes: the gradient for a symmetric input (eigh,
    cholesky), valid for the symmetric perturbations such an input allows."""
    return (m + np.swapaxes(m, -1, -2)) / 2
