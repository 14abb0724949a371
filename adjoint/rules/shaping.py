"""Rules for functions that move entries around without changing them: reshaping,
transposing, stacking, splitting, tiling, flipping, padding, and building arrays.

Each gradient puts every entry of g back where its value came from (summing copies).
Attributes are keyed by their name with a leading dot (".T").

Limits:
- Sequence inputs (np.concatenate([a, b]), np.stack, np.array([x, y])) must be written
  as a list or tuple literal of names in the call; the rule returns one gradient per
  element.
- split/array_split/hsplit/vsplit/dsplit and np.unstack give gradients when their
  result is unpacked (a, b = np.split(x, 2)).
- pad: modes constant, edge, reflect, symmetric, wrap; no gradient to constant_values.
- atleast_1d/2d/3d: one array (the multi-array form returns a list).
"""
import numpy as np

from ..runtime.shaping import (uncolumn_stack, unconcatenate, undstack, unhstack, unpack_like,
                               unpad, unrepeat, unstack, untile, unvstack)
from ..runtime.complex import as_gradient_of
from .registry import nondiff, rule
from ..runtime.core import inverse_axes, unbroadcast


@rule(".T", elementwise=False)
def d_attr_T(g, y, x):
    return np.transpose(g)


@rule(".mT", elementwise=False)
def d_attr_mT(g, y, x):
    return np.swapaxes(g, -1, -2)


@rule(".real", elementwise=True)
def d_attr_real(g, y, x):
    return as_gradient_of(g, x)


@rule(np.transpose, elementwise=False)
def d_transpose(g, y, a, axes=None):
    return np.transpose(g, inverse_axes(axes))


@rule(np.reshape, elementwise=False)
def d_reshape(g, y, a, shape, order="C"):
    return np.reshape(g, np.shape(a), order=order), None


@rule(np.ravel, elementwise=False)
def d_ravel(g, y, a, order="C"):
    return np.reshape(g, np.shape(a), order=order)


@rule(np.swapaxes, elementwise=False)
def d_swapaxes(g, y, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2), None, None


@rule(np.moveaxis, elementwise=False)
def d_moveaxis(g, y, a, source, destination):
    return np.moveaxis(g, destination, source), None, None


@rule(np.expand_dims, elementwise=False)
def d_expand_dims(g, y, a, axis):
    return np.reshape(g, np.shape(a)), None


@rule(np.squeeze, elementwise=False)
def d_squeeze(g, y, a, axis=None):
    return np.reshape(g, np.shape(a))


@rule(np.broadcast_to, elementwise=False)
def d_broadcast_to(g, y, array, shape, subok=False):
    return unbroadcast(g, array), None


@rule(np.atleast_1d, elementwise=False)
def d_atleast_1d(g, y, ary):
    return np.reshape(g, np.shape(ary))


@rule(np.atleast_2d, elementwise=False)
def d_atleast_2d(g, y, ary):
    return np.reshape(g, np.shape(ary))


@rule(np.atleast_3d, elementwise=False)
def d_atleast_3d(g, y, ary):
    return np.reshape(g, np.shape(ary))


@rule(np.copy, elementwise=True)
def d_copy(g, y, a, order="K", subok=False):
    return g


@rule(np.ascontiguousarray, elementwise=False)
def d_ascontiguousarray(g, y, a, dtype=None):
    return np.reshape(g, np.shape(a))  # a 0-d input comes out 1-d


@rule(np.asfortranarray, elementwise=False)
def d_asfortranarray(g, y, a, dtype=None):
    return np.reshape(g, np.shape(a))  # a 0-d input comes out 1-d


@rule(np.array, elementwise=False)
def d_array(g, y, object, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    return unpack_like(g, object)


@rule(np.asarray, elementwise=False)
def d_asarray(g, y, a, dtype=None, order=None):
    return unpack_like(g, a)


# joining -------------------------------------------------------------------------------
@rule(np.concatenate, elementwise=False)
def d_concatenate(g, y, arrays, axis=0):
    return unconcatenate(g, arrays, axis)


@rule(np.stack, elementwise=False)
def d_stack(g, y, arrays, axis=0):
    return unstack(g, axis)


@rule(np.hstack, elementwise=False)
def d_hstack(g, y, tup):
    return unhstack(g, tup)


@rule(np.vstack, elementwise=False)
def d_vstack(g, y, tup):
    return unvstack(g, tup)


@rule(np.dstack, elementwise=False)
def d_dstack(g, y, tup):
    return undstack(g, tup)


@rule(np.column_stack, elementwise=False)
def d_column_stack(g, y, tup):
    return uncolumn_stack(g, tup)


@rule(np.append, elementwise=False)
def d_append(g, y, arr, values, axis=None):
    # np.append(arr, values, axis) = np.concatenate((arr, values), axis), flattened for None
    parts = unconcatenate(g, (arr, values), axis)
    return parts[0], parts[1]


# splitting: the result is a list, so g and y arrive as tuples (zeros for unused parts) -
@rule(np.split, elementwise=False)
def d_split(g, y, ary, indices_or_sections, axis=0):
    return np.concatenate(g, axis=axis), None


@rule(np.array_split, elementwise=False)
def d_array_split(g, y, ary, indices_or_sections, axis=0):
    return np.concatenate(g, axis=axis), None


@rule(np.hsplit, elementwise=False)
def d_hsplit(g, y, ary, indices_or_sections):
    return np.hstack(g), None


@rule(np.vsplit, elementwise=False)
def d_vsplit(g, y, ary, indices_or_sections):
    return np.vstack(g), None


@rule(np.dsplit, elementwise=False)
def d_dsplit(g, y, ary, indices_or_sections):
    return np.dstack(g), None


if hasattr(np, "unstack"):  # numpy >= 2.1
    @rule(np.unstack, elementwise=False)
    def d_unstack(g, y, x, axis=0):
        return np.stack(g, axis=axis)


# repeating, flipping, rotating, padding -----------------------------------------------
@rule(np.tile, elementwise=False)
def d_tile(g, y, A, reps):
    return untile(g, A, reps), None


@rule(np.repeat, elementwise=False)
def d_repeat(g, y, a, repeats, axis=None):
    return unrepeat(g, a, repeats, axis), None


@rule(np.flip, elementwise=False)
def d_flip(g, y, m, axis=None):
    return np.flip(g, axis)


@rule(np.fliplr, elementwise=False)
def d_fliplr(g, y, m):
    return np.fliplr(g)


@rule(np.flipud, elementwise=False)
def d_flipud(g, y, m):
    return np.flipud(g)


@rule(np.roll, elementwise=False)
def d_roll(g, y, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis), None


@rule(np.rot90, elementwise=False)
def d_rot90(g, y, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@rule(np.pad, elementwise=False)
def d_pad(g, y, array, pad_width, mode="constant", constant_values=0):
    """Modes constant, edge, reflect, symmetric, wrap; no gradient to constant_values."""
    return unpad(g, array, pad_width, mode), None


# arrays filled with a value: the gradient goes to the value ---------------------------
@rule(np.full_like, elementwise=False)
def d_full_like(g, y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    return None, unbroadcast(g, fill_value)


@rule(np.full, elementwise=False)
def d_full(g, y, shape, fill_value, dtype=None, order="C"):
    return None, unbroadcast(g, fill_value)


nondiff(".shape", ".ndim", ".size", ".dtype", reason="it describes the array, not its values")
