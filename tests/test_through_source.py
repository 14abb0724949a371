"""Third and higher derivatives through adjoint's own helpers that it differentiates by
their source (rules/registry.py `through_source`): the norms' Hessian products, np.prod's
prod_of_others, cumprod's and multi_dot's tangents. Each order of grad of grad is checked
against a central finite difference of the order below it (exact zeros of prod and
cumprod included) or a closed form; the singular-value norms' third order is refused."""
import re

import numpy as np
import pytest

import adjoint

C = np.array([0.3, -1.2, 0.7, 2.0])
M1 = np.array([[0.5, -0.2, 1.0], [0.3, 0.8, -0.6]])
M2 = np.array([[1.0, 0.2], [-0.4, 0.9], [0.5, 0.5]])
EPS = 1e-4


def norm_default(x):
    return np.linalg.norm(C * x + x * x)


def norm_p3(x):
    return np.linalg.norm(C * x + 0.5 + x * x, 3)


def norm_fro_axis(x):
    return np.sum(np.linalg.norm(M1 * x + x * x, axis=1)) + np.linalg.norm(M1 * x - 1.0, "fro")


def vector_and_matrix_norm(x):
    return np.linalg.vector_norm(C * x + x * x) + np.linalg.matrix_norm(M1 * x + x * x)


def prod_with_zeros(x):  # at x = 0: one entry zero; at x = -1 another; 2x^5 + x^4 + x^2/2 - x/2
    return np.prod(np.array([x, x + 1.0, 2 * x - 1.0, x * x + 0.5]))


def prod_two_zeros_on_axis(x):  # each row of the matrix has two entries zero at x = 0
    rows = np.array([[x, 2 * x, x + 1.0], [x - 0.5, 3 * x, x]])
    return np.sum(C[:2] * np.prod(rows, axis=1))


def nanprod_(x):
    return np.nanprod(np.array([x, np.nan, x * x + 1.0, 3.0 - x]))


def cumprod_with_zeros(x):
    return np.sum(C * np.cumprod(np.array([x, x + 1.0, 2 * x, x * x + 0.5])))


def cumprod_on_axis(x):
    return np.sum(M1 * np.cumprod(M1 * x + x * x, axis=1))


def multi_dot_(x):
    return np.sum(np.linalg.multi_dot([M1 * x, M2 + x, M1 * x * x]))


FUNCTIONS = [norm_default, norm_p3, norm_fro_axis, vector_and_matrix_norm, prod_with_zeros,
             prod_two_zeros_on_axis, nanprod_, cumprod_with_zeros, cumprod_on_axis, multi_dot_]
POINTS = {prod_with_zeros: (0.0, -1.0, 0.6), prod_two_zeros_on_axis: (0.0, 0.7),
          cumprod_with_zeros: (0.0, -1.0, 0.6)}


def derivatives(f, orders):
    out = [f]
    for _ in range(orders):
        out.append(adjoint.grad(out[-1]))
    return out


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_third_and_fourth_derivatives_match_finite_differences_of_the_order_below(f):
    chain = derivatives(f, 4)
    for x in POINTS.get(f, (0.7, -0.4)):
        for order in (3, 4):
            got = chain[order](x)
            expected = (chain[order - 1](x + EPS) - chain[order - 1](x - EPS)) / (2 * EPS)
            assert got == pytest.approx(expected, rel=1e-6, abs=1e-6), (f.__name__, x, order)


def test_prod_derivatives_at_exact_zeros_in_closed_form():
    d1, d2, d3, d4, d5 = derivatives(prod_with_zeros, 5)[1:]  # 2x^5 + x^4 + x^2/2 - x/2
    assert (d1(0.0), d2(0.0), d3(0.0), d4(0.0), d5(0.0)) == (-0.5, 1.0, 0.0, 24.0, 240.0)
    d3_rows = derivatives(prod_two_zeros_on_axis, 3)[3]  # 0.3 (2x^3 + 2x^2) - 1.2 (3x^3 - 1.5x^2)
    assert d3_rows(0.0) == pytest.approx(0.3 * 12 - 1.2 * 18, abs=1e-12)
    # cumprod: x, x^2 + x, 2x^3 + 2x^2, 2x^5 + 2x^4 + x^3 + x^2 weighted by C
    assert derivatives(cumprod_with_zeros, 3)[3](0.0) == pytest.approx(6 * (0.7 * 2 + 2.0 * 1), abs=1e-12)


def mixed(x):
    return np.linalg.norm(x * x + 1.0, 3) + np.prod(x) + np.sum(np.cumprod(x))


grad_mixed = adjoint.grad(mixed)
V = np.array([0.4, -1.0, 0.8])


def mixed_along_v(x):  # <grad f(x), v>: its Hessian is the third derivative of f along v
    return np.sum(grad_mixed(x) * V)


def test_hessian_of_a_directional_derivative_matches_finite_differences_of_hvp():
    x, u, w = np.array([0.7, -0.3, 1.2]), np.array([1.0, 0.5, -0.25]), np.array([0.2, 1.0, -0.6])
    third = adjoint.hessian(mixed_along_v)(x)
    np.testing.assert_allclose(third @ u, adjoint.hvp(mixed_along_v, (x,), (u,))[0], rtol=1e-9, atol=1e-12)
    second = lambda y: adjoint.hvp(mixed, (y,), (u,))[0] @ V  # noqa: E731
    fd = (second(x + EPS * w) - second(x - EPS * w)) / (2 * EPS)
    assert (third @ u) @ w == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_third_order_of_a_singular_value_norm_is_refused(ord):
    def f(x):
        return np.linalg.norm(M1 * x + x * x, ord)
    second = derivatives(f, 2)[2]
    assert np.isfinite(second(0.7))
    with pytest.raises(adjoint.MissingRule, match="third and higher derivatives of the .* matrix norm"):
        adjoint.grad(second)(0.7)


def test_generated_code_differentiates_through_the_helpers_by_name():
    def f(x):
        return np.linalg.norm(C * x + x * x, 3)
    text = adjoint.source(derivatives(f, 2)[2], 0, 0.7, callees=True)
    assert re.search(r"= fwd_norm_slope_vjp_g_x\w*\(", text) and "def bwd_power_norm_hvp_g_x(" in text
    assert "[norm_slopes.py:" in text  # each line under the helper's own line it comes from
    names = [line.split("(")[0][4:] for line in text.splitlines() if line.startswith("def ")]
    assert names and max(map(len, names)) <= 40
