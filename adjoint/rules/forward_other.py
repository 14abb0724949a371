"""Forward rules written out for selection, shaping, signal and scipy.special functions:
sort, select, pad, diff, interp, polyval, clip, logsumexp, softmax, log_softmax.

np.pad, np.select, np.diff and np.interp are linear in their arrays but take constants
(constant_values=, default=, prepend=/append=, left=/right=) that add nothing to the
tangent: their forward rules apply the function to the tangent with those constants
left out or zeroed (`zero_or_none`).
"""
import numpy as np

from ..runtime.reductions import weighted_by
from ..runtime.signal import interp_segments
from ..runtime.tangents import clip_weights, diff_tangent, zero_or_none
from .registry import forward_rule, nondiff
from .special import special

nondiff(interp_segments, reason="its output is piecewise constant (which segment x is on)")


@forward_rule(np.sort)
def j_sort(da, y, a, axis=-1, kind=None, order=None):
    # each entry moves where the stable sort moves its value (the reverse rule's convention)
    return np.take_along_axis(da, np.argsort(a, axis=axis, kind="stable"), axis=axis)


@forward_rule(np.select)
def j_select(dcondlist, dchoicelist, y, condlist, choicelist, default=0):
    return None, np.select(condlist, dchoicelist)


@forward_rule(np.pad)
def j_pad(darray, dpad_width, y, array, pad_width, mode="constant", constant_values=0):
    return np.pad(darray, pad_width, mode), None


@forward_rule(np.diff)
def j_diff(da, y, a, n=1, axis=-1, prepend=None, append=None):
    return diff_tangent(da, n, axis, prepend, append)


@forward_rule(np.interp)
def j_interp(dx, dxp, dfp, y, x, xp, fp, left=None, right=None, period=None):
    # written with indexing and np.where (no helper), so that it differentiates again
    # (xp and fp may be lists: indexed by the array j, they are read as arrays)
    j = interp_segments(x, xp, period)
    xs = np.asarray(xp)
    fs = np.asarray(fp)
    inside = (x >= xs[0]) & (x <= xs[-1])  # outside, the result is a constant
    width = xs[j + 1] - xs[j]
    slope = (fs[j + 1] - fs[j]) / width
    t = (x - xs[j]) / width
    return (dx * np.where(inside, slope, 0),
            np.where(inside, slope * ((t - 1) * np.asarray(dxp)[j] - t * np.asarray(dxp)[j + 1]), 0),
            np.interp(x, xp, dfp, zero_or_none(left), zero_or_none(right), period))


@forward_rule(np.polyval)
def j_polyval(dp, dx, y, p, x):
    return np.polyval(dp, x), dx * np.polyval(np.polyder(p), x)


@forward_rule(np.clip)
def j_clip(da, da_min, da_max, y, a, a_min, a_max):
    # the split of the reverse rule (ties shared evenly), as weights on each tangent
    weights = clip_weights(a, a_min, a_max)
    return da * weights[0], da_min * weights[1], da_max * weights[2]


if special is not None:
    @forward_rule(special.logsumexp)
    def j_logsumexp(da, y, a, axis=None, b=None, keepdims=False, return_sign=False):
        weights = weighted_by(np.exp(a - special.logsumexp(a, axis=axis, b=b, keepdims=True)), b)
        return np.sum(weights * da, axis=axis, keepdims=keepdims)

    @forward_rule(special.softmax)
    def j_softmax(dx, y, x, axis=None):
        return y * (dx - np.sum(y * dx, axis=axis, keepdims=True))

    @forward_rule(special.log_softmax)
    def j_log_softmax(dx, y, x, axis=None):
        return dx - np.sum(np.exp(y) * dx, axis=axis, keepdims=True)
