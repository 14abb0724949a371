"""Forward rules of linear and multilinear functions: declared, not written out.

A linear function's tangent is the function applied to the tangents (`np.sum(dot_x,
axis=1)`, `dot_x.T`, `np.concatenate([dot_a, dot_b])`); a multilinear one's is the
product rule, one term per input with that input replaced by its tangent (`dot_a @ b +
a @ dot_b`). Only functions whose options cannot add a constant belong here: np.pad
(constant_values=), np.select (default=), np.diff (prepend=/append=) and builtin sum
(start=) add one, so their forward rules are written out in the other forward_* modules.
Elementwise rules need no declaration: their forward rules are derived (see
adjoint/forward/rules.py).
"""
import builtins
import operator

import numpy as np

from ..runtime.containers import appended, dict_items, dict_values, iterated, make_dict
from ..runtime.python import concatenated, dict_get, joined, rest_of, transposed, with_default
from ..runtime.pytrees import make_record
from ..runtime.writes import added_at
from ..runtime.tangents import broadcast_like, diff_tangent, writable_tangent
from .registry import linear, multilinear


def _all(*names, module=np):
    """The named functions that exist in this numpy (names vary between versions)."""
    return [getattr(module, name) for name in names if hasattr(module, name)]


linear(np.sum, np.mean, np.average, np.cumsum, np.trace, np.diagonal, np.diag, np.diagflat,
       np.tril, np.triu, ".T", ".mT", np.transpose, np.reshape, np.ravel, np.swapaxes,
       np.moveaxis, np.expand_dims, np.squeeze, np.broadcast_to, np.atleast_1d, np.atleast_2d,
       np.atleast_3d, np.ascontiguousarray, np.asfortranarray, np.array, np.asarray,
       np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.append,
       np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.tile, np.repeat, np.flip,
       np.fliplr, np.flipud, np.roll, np.rot90, np.full_like, np.full, operator.getitem,
       np.take, np.take_along_axis, np.compress, np.extract, np.linspace,
       np.trapezoid if hasattr(np, "trapezoid") else np.trapz,
       *_all("cumulative_sum", "unstack", "matrix_transpose"),
       *_all("trace", "diagonal", "matrix_transpose", module=np.linalg),
       appended, make_dict, iterated, dict_values, dict_items, broadcast_like, writable_tangent,
       diff_tangent, np.gradient, np.rollaxis, np.fft.fftshift, np.fft.ifftshift,
       *_all("row_stack", "astype"),
       # linear on the real values forward mode follows (it refuses complex ones)
       np.real, np.imag, ".real", ".imag", np.conjugate, np.real_if_close,
       # Python's own conversions and what harmless Python compiles to
       builtins.float, builtins.list, builtins.tuple, dict_get, joined, rest_of, transposed,
       with_default, added_at, concatenated, make_record)

multilinear(operator.matmul, np.matmul, np.dot, np.vdot, np.inner, np.outer, np.tensordot,
            np.einsum, np.kron, np.cross, np.convolve, np.correlate, *_all("vecdot"),
            *_all("matmul", "tensordot", "outer", "cross", "vecdot", module=np.linalg))


