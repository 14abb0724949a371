"""Rules for np.fft: the transforms and the shifts.

The transforms turn real values complex; a real-valued function of them (np.abs(F)**2,
np.real(ifft(...)), F.imag) differentiates with the conventions of
adjoint/reverse/complex_values.py: a complex value's gradient is dL/dRe + i dL/dIm, and a real
input's gradient is the real part. Every n=, s=, axes= and norm= is handled (the adjoint
of each transform is the inverse transform with the dual normalization). Not out=.
"""
import numpy as np

from ..runtime.fft import rfft_length, rfftn_length, transform_axes, unfft, unirfft, unrfft
from .registry import rule


@rule(np.fft.fft, elementwise=False)
def d_fft(g, y, a, n=None, axis=-1, norm=None, out=None):
    return unfft(g, a, transform_axes(a, None, axis), norm)


@rule(np.fft.ifft, elementwise=False)
def d_ifft(g, y, a, n=None, axis=-1, norm=None, out=None):
    return unfft(g, a, transform_axes(a, None, axis), norm, inverse=True)


@rule(np.fft.fft2, elementwise=False)
def d_fft2(g, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    return unfft(g, a, transform_axes(a, s, axes), norm)


@rule(np.fft.ifft2, elementwise=False)
def d_ifft2(g, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    return unfft(g, a, transform_axes(a, s, axes), norm, inverse=True)


@rule(np.fft.fftn, elementwise=False)
def d_fftn(g, y, a, s=None, axes=None, norm=None, out=None):
    return unfft(g, a, transform_axes(a, s, axes), norm)


@rule(np.fft.ifftn, elementwise=False)
def d_ifftn(g, y, a, s=None, axes=None, norm=None, out=None):
    return unfft(g, a, transform_axes(a, s, axes), norm, inverse=True)


@rule(np.fft.rfft, elementwise=False)
def d_rfft(g, y, a, n=None, axis=-1, norm=None, out=None):
    return unrfft(g, a, transform_axes(a, None, axis), rfft_length(a, n, axis), norm)


@rule(np.fft.rfft2, elementwise=False)
def d_rfft2(g, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    axes = transform_axes(a, s, axes)
    return unrfft(g, a, axes, rfftn_length(a, s, axes), norm)


@rule(np.fft.rfftn, elementwise=False)
def d_rfftn(g, y, a, s=None, axes=None, norm=None, out=None):
    axes = transform_axes(a, s, axes)
    return unrfft(g, a, axes, rfftn_length(a, s, axes), norm)


@rule(np.fft.irfft, elementwise=False)
def d_irfft(g, y, a, n=None, axis=-1, norm=None, out=None):
    return unirfft(g, a, transform_axes(a, None, axis), norm)


@rule(np.fft.irfft2, elementwise=False)
def d_irfft2(g, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    return unirfft(g, a, transform_axes(a, s, axes), norm)


@rule(np.fft.irfftn, elementwise=False)
def d_irfftn(g, y, a, s=None, axes=None, norm=None, out=None):
    return unirfft(g, a, transform_axes(a, s, axes), norm)


@rule(np.fft.fftshift, elementwise=False)
def d_fftshift(g, y, x, axes=None):
    return np.fft.ifftshift(g, axes)


@rule(np.fft.ifftshift, elementwise=False)
def d_ifftshift(g, y, x, axes=None):
    return np.fft.fftshift(g, axes)
