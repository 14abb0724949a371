"""Programs calling the library functions autograd differentiates (np.fft with complex
intermediates, einsum in every form, np.r_ / np.c_, partition, gradient, rollaxis),
through adjoint.grad and checked against finite differences; and the refusals."""
import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

import library_programs as P

R = np.random.default_rng(5)

PROGRAMS = [
    (P.power_spectrum, (R.normal(size=8),), 0),
    (P.filtered, (R.normal(size=8),), 0),
    (P.spectrum_parts, (R.normal(size=8),), 0),
    (P.conj_product, (R.normal(size=8),), 0),
    (P.round_trip_2d, (R.normal(size=(3, 4)),), 0),
    (P.shifted, (R.normal(size=(3, 4)),), 0),
    (P.complex_divide, (R.normal(size=8), R.normal(size=8)), (0, 1)),
    (P.as_complex, (R.normal(size=8),), 0),
    (P.exp_phase, (R.normal(size=8),), 0),
    (P.einsum_sublist, (R.normal(size=(2, 3)),), 0),
    (P.einsum_ellipsis, (R.normal(size=(2, 2, 3)), R.normal(size=(3, 2))), (0, 1)),
    (P.einsum_three, (R.normal(size=(2, 3)), R.normal(size=(3, 4)), R.normal(size=4)), (0, 1, 2)),
    (P.einsum_one, (R.normal(size=(3, 2)),), 0),
    (P.r_concat, (R.normal(size=(2, 2)),), 0),
    (P.c_concat, (R.normal(size=(2, 3)),), 0),
    (P.partitioned, (R.normal(size=6),), 0),
    (P.spatial_gradient, (R.normal(size=6),), 0),
    (P.spatial_gradient_2d, (R.normal(size=(3, 4)),), 0),
    (P.rolled, (R.normal(size=(2, 3)),), 0),
    (P.complex_products, (R.normal(size=8),), 0),
    (P.real_matrix_times_complex, (R.normal(size=(3, 4)),), 0),
    (P.normal_likelihood, (0.3, -0.2), (0, 1)),
    (P.normal_by_module_path, (R.normal(size=6),), 0),
    (P.student_tail, (R.normal(size=6), 3.5), (0, 1)),
    (P.gmm_objective, (R.normal(size=(2, 2)), R.normal(size=2)), (0, 1)),
    (P.poisson_regression, (0.4,), 0),
    (P.gamma_prior, (R.uniform(1.5, 3.0, size=6),), 0),
    (P.unknown_callable, (R.normal(size=4),), 0),  # a callable object: its __call__ differentiated
]


@pytest.mark.parametrize("f,args,wrt", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt):
    check_grads(f, *args, wrt=wrt, rtol=1e-5, atol=1e-6)


def test_float32_input_gets_float32_gradient_through_fft():
    grad = adjoint.grad(P.power_spectrum)(R.normal(size=8).astype(np.float32))
    assert grad.dtype == np.float32 and not np.iscomplexobj(grad)


@pytest.mark.parametrize("f,match", [
    (P.fft_of_tanh_refused, "np.tanh of a complex value"),
    (P.unknown_indexer, "no gradient for its argument index"),
    (P.spacing_refused, "no gradient for its argument number 1"),
    (P.t_cdf_df_refused, "no gradient for its argument df"),
])
def test_refused_clearly(f, match):
    with pytest.raises(adjoint.AdjointError, match=match):
        adjoint.grad(f)(R.normal(size=4))


def test_complex_input_stays_refused():
    with pytest.raises(adjoint.AdjointError, match="not a real floating type"):
        adjoint.grad(P.power_spectrum)(np.ones(8, dtype=complex))


def test_distribution_method_shows_in_generated_code():
    text = adjoint.source(P.normal_likelihood, (0, 1), 0.3, -0.2)
    assert "norm.logpdf(" in text and "norm_grads(" in text


def test_astype_method_keeps_the_input_dtype():
    x = R.normal(size=6)
    grad = check_grads(P.astype_float64, x)[0]
    assert grad.dtype == np.float64
    assert adjoint.grad(P.astype_float64)(x.astype(np.float32)).dtype == np.float32
