"""Rules for np.fft (complex outputs and complex intermediates as inputs: the harness
checks dL/dRe + i dL/dIm against finite differences of Re(sum(conj(g) * f)))."""
import numpy as np
import pytest

from rule_harness import Case, RNG, check_case, check_float32, uniform


def u(*shape):
    return uniform(shape)


def c(*shape):
    return uniform(shape) + 1j * uniform(shape)


fft = np.fft
CASES = []
for f in (fft.fft, fft.ifft):
    CASES += [Case(f, (u(5),)), Case(f, (c(4),)), Case(f, (u(3, 4),), {"axis": 0}),
              Case(f, (u(6),), {"n": 4}, note="cut"), Case(f, (u(3),), {"n": 5}, note="padded"),
              Case(f, (u(2, 5),), {"norm": "ortho"}), Case(f, (c(4),), {"norm": "forward"})]
for f in (fft.fft2, fft.ifft2, fft.fftn, fft.ifftn):
    CASES += [Case(f, (u(3, 4),)), Case(f, (c(2, 3, 4),)), Case(f, (u(2, 3, 4),), {"axes": (0, 2)}),
              Case(f, (u(3, 4),), {"s": (2, 6), "axes": (0, 1)}, note="cut and padded"),
              Case(f, (u(3, 4),), {"norm": "ortho"})]
for f in (fft.rfft,):
    CASES += [Case(f, (u(6),)), Case(f, (u(5),)), Case(f, (u(3, 4),), {"axis": 0}),
              Case(f, (u(6),), {"n": 4}), Case(f, (u(3),), {"n": 6}),
              Case(f, (u(2, 5),), {"norm": "forward"})]
for f in (fft.rfft2, fft.rfftn):
    CASES += [Case(f, (u(3, 4),)), Case(f, (u(3, 5),)), Case(f, (u(2, 3, 4),), {"axes": (0, 1)}),
              Case(f, (u(4, 4),), {"s": (3, 6), "axes": (0, 1)}), Case(f, (u(3, 4),), {"norm": "ortho"})]
CASES += [Case(fft.irfft, (c(4),)), Case(fft.irfft, (c(4),), {"n": 7}, note="odd n"),
          Case(fft.irfft, (c(5),), {"n": 4}, note="cut"), Case(fft.irfft, (c(3, 4),), {"axis": 0}),
          Case(fft.irfft, (c(4),), {"norm": "ortho"}), Case(fft.irfft, (u(4),), note="real input")]
for f in (fft.irfft2, fft.irfftn):
    CASES += [Case(f, (c(3, 4),)), Case(f, (c(3, 4),), {"s": (3, 5), "axes": (0, 1)}),
              Case(f, (c(2, 3, 3),), {"axes": (0, 2)}), Case(f, (c(3, 3),), {"norm": "forward"})]
for f in (fft.fftshift, fft.ifftshift):
    CASES += [Case(f, (u(5),)), Case(f, (u(3, 4),)), Case(f, (c(3, 4),), {"axes": 1})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


def test_real_input_gets_a_real_gradient():
    from adjoint.rules.fft import d_fft
    x = RNG.normal(size=4).astype(np.float32)
    grad = d_fft(np.fft.fft(x), None, x)
    assert grad.dtype == np.float32
