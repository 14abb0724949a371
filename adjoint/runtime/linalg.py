"""Helpers for linear algebra: the gradients of np.dot, np.inner, np.tensordot,
np.einsum, np.kron and np.cross with respect to each operand, for every shape numpy
accepts; diagonals (np.diagonal, np.diag); the vector and matrix norms; and the pieces
of the numpy.linalg rules (Cholesky's lower_halved, eigh's inverse_gaps, matrix_power,
multi_dot).

Like every module in adjoint.helpers, these hold the control flow and shape bookkeeping
a gradient rule cannot write inline, so the rule stays one readable line of math. A
helper's name appears in the generated code, so it must not change. The arrays they
build are new and writeable, in the input's float dtype (float32 stays float32).
Used by adjoint/rules/linalg.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import AdjointError
from .core import expand_to, float_dtype, unbroadcast


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


def symmetric_part(m):
    """(m + m^T) / 2 over the last two axes."""
    return (m + np.swapaxes(m, -1, -2)) / 2


def read_triangle(m, upper=False):
    """Gradient with respect to an input of which only one triangle is read (eigh,
    eigvalsh, cholesky), from the gradient m the rule finds for the symmetric matrix that
    triangle stands for: each off-diagonal entry stands for two, so it gets both halves;
    the other triangle is never read and gets 0 (what finite differences of numpy see)."""
    n = np.shape(m)[-1]
    read = np.triu(np.ones((n, n)), 1) if upper else np.tril(np.ones((n, n)), -1)
    weights = np.eye(n) + 2.0 * read
    return symmetric_part(m) * weights.astype(np.result_type(m), copy=False)


def triangle_tangent(da, upper=False):
    """Tangent of the symmetric matrix that the one read triangle of the input stands for
    (eigh, eigvalsh, cholesky read one triangle): that triangle of da, mirrored."""
    strict = np.triu(da, 1) if upper else np.tril(da, -1)
    n = np.shape(da)[-1]
    return strict + np.swapaxes(strict, -1, -2) + da * np.eye(n, dtype=np.result_type(da))


def reads_upper(uplo) -> bool:
    """eigh's and eigvalsh's UPLO: which triangle they read ("U" or "L", any case)."""
    return str(uplo).upper() == "U"


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

