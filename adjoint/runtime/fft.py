"""Helpers for np.fft: the adjoint of each transform is another transform.

fft(a, norm) is linear; its adjoint is ifft with the dual normalization (a backward
transform's adjoint is the unscaled inverse, ifft(norm="forward"), and so on), and
the same holds for fftn/ifftn. rfft keeps the first n // 2 + 1 outputs of fft, so its
adjoint pads g with zeros first. irfft reads a half spectrum as a Hermitian one: its
adjoint is rfft (dual normalization), doubled except for the bins that appear once
(frequency 0 and, for even n, n / 2). An input that n= or s= cut or padded gets its
gradient padded with zeros or cut to match. A real input gets the real part, in its
own float dtype; a complex one (an intermediate, e.g. ifft(fft(x) * h)) the complex
gradient dL/dRe + i dL/dIm. Used by adjoint/rules/fft.py.
"""
from __future__ import annotations

import numpy as np

from .complex import as_gradient_of

DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def fit_to(grad, x, axes):
    """grad cut or zero-padded along `axes` to x's length there."""
    grad = np.asarray(grad)
    for axis in axes:
        have, want = grad.shape[axis], np.shape(x)[axis]
        if have > want:
            grad = np.take(grad, np.arange(want), axis=axis)
        elif have < want:
            widths = [(0, 0)] * grad.ndim
            widths[axis] = (0, want - have)
            grad = np.pad(grad, widths)
    return grad


def transform_axes(x, s=None, axes=None):
    """The axes fftn(x, s, axes) transforms, as non-negative numbers."""
    ndim = np.ndim(x)
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    elif np.ndim(axes) == 0:
        axes = (axes,)
    return [int(a) % ndim for a in axes]


def unfft(g, x, axes, norm=None, inverse=False):
    """Gradient of fftn(x, axes=axes) (or of ifftn with inverse=True), for any s=."""
    adjoint = np.fft.fftn if inverse else np.fft.ifftn
    return as_gradient_of(fit_to(adjoint(g, axes=axes, norm=DUAL[norm]), x, axes), x)


def unrfft(g, x, axes, n_last, norm=None):
    """Gradient of rfftn(x, axes=axes) whose last transformed axis had length n_last."""
    last = axes[-1]
    widths = [(0, 0)] * np.ndim(g)
    widths[last] = (0, n_last - np.shape(g)[last])
    full = np.fft.ifftn(np.pad(g, widths), axes=axes, norm=DUAL[norm])
    return as_gradient_of(fit_to(np.real(full), x, axes), x)


def unirfft(g, x, axes, norm=None):
    """Gradient of irfftn(x, axes=axes) whose output g has the transformed shape."""
    last = axes[-1]
    n = np.shape(g)[last]
    half = np.fft.rfftn(g, axes=axes, norm=DUAL[norm])
    weights = np.full(half.shape[last], 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0  # the n / 2 bin appears once
    shape = [1] * half.ndim
    shape[last] = weights.size
    return as_gradient_of(fit_to(half * np.reshape(weights, shape), x, axes), x)


def rfft_length(x, n, axis):
    """The transform length of rfft(x, n, axis) along axis."""
    return np.shape(x)[axis] if n is None else n


def rfftn_length(x, s, axes):
    """The length of rfftn(x, s, axes)'s last transformed axis before halving."""
    return np.shape(x)[axes[-1]] if s is None else s[-1]
