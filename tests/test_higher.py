"""Forward mode and higher derivatives (adjoint/higher.py): jvp, jacfwd, jacrev, hessian,
hvp and grad of grad on the functions of tests/higher_functions.py, against finite
differences of adjoint's reverse-mode gradient (itself checked against finite
differences elsewhere) and closed forms."""
import numpy as np
import pytest
import scipy.special as special

import adjoint
import higher_functions as hf

RNG = np.random.default_rng(7)
X = RNG.uniform(-1.0, 1.0, 3)
W = RNG.normal(size=(3, 3)) * 0.5
V = RNG.normal(size=3) + 0.3
EPS = 1e-6


def directional(f, args, k, v, eps=EPS):
    plus, minus = list(args), list(args)
    plus[k] = args[k] + eps * v
    minus[k] = args[k] - eps * v
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps)


def numerical_jacobian(f, args, k=0, eps=EPS):
    x = np.asarray(args[k], dtype=float)
    columns = [directional(f, args, k, e.reshape(x.shape), eps) for e in np.eye(x.size)]
    out = np.stack(columns, axis=-1)
    return out.reshape(np.shape(columns[0]) + x.shape)


SCALAR = [(f, (X, W)) for f in hf.FUNCTIONS] + [
    (hf.quadratic, (X, W)), (hf.rosenbrock, (X,)),
    (hf.logistic, (X, RNG.normal(size=(6, 3)), (RNG.random(6) > 0.5) * 1.0))]
ids = [f.__name__ for f, _ in SCALAR]
SECOND = SCALAR
second_ids = [f.__name__ for f, _ in SECOND]


@pytest.mark.parametrize("f, args", SCALAR, ids=ids)
def test_jvp_matches_finite_differences(f, args):
    value, tangent = adjoint.jvp(f, args, (V,) + (None,) * (len(args) - 1))
    assert value == pytest.approx(f(*args), rel=1e-12)
    assert tangent == pytest.approx(directional(f, args, 0, V), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("f, args", SCALAR, ids=ids)
def test_jacfwd_equals_jacrev_equals_grad(f, args):
    forward, reverse = adjoint.jacfwd(f)(*args), adjoint.jacrev(f)(*args)
    assert forward.shape == reverse.shape == X.shape
    np.testing.assert_allclose(forward, reverse, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(forward, adjoint.grad(f)(*args), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f, args", SECOND, ids=second_ids)
def test_hessian_matches_finite_differences_of_the_gradient(f, args):
    H = adjoint.hessian(f)(*args)
    assert H.shape == X.shape + X.shape
    expected = numerical_jacobian(adjoint.grad(f), args, 0, 1e-5)
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H, H.T, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("f, args", SECOND, ids=second_ids)
def test_hvp_equals_hessian_times_v(f, args):
    hv = adjoint.hvp(f, args, (V,) + (None,) * (len(args) - 1))
    assert len(hv) == len(args)
    np.testing.assert_allclose(hv[0], adjoint.hessian(f)(*args) @ V, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("f", hf.VECTOR_FUNCTIONS, ids=lambda f: f.__name__)
def test_jacobians_of_vector_functions(f):
    forward, reverse = adjoint.jacfwd(f)(X, W), adjoint.jacrev(f)(X, W)
    expected = numerical_jacobian(f, (X, W))
    assert forward.shape == reverse.shape == expected.shape
    np.testing.assert_allclose(forward, reverse, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(forward, expected, rtol=1e-5, atol=1e-7)


def test_jacobian_of_a_matrix_argument_has_shape_out_plus_in():
    J = adjoint.jacobian(hf.vec_map, wrt="W")(X, W)
    assert J.shape == (3, 3, 3)
    np.testing.assert_allclose(J, numerical_jacobian(hf.vec_map, (X, W), 1), rtol=1e-5, atol=1e-7)
    Jx, JW = adjoint.jacfwd(hf.vec_map, wrt=(0, 1))(X, W)
    np.testing.assert_allclose(JW, J, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Jx, adjoint.jacrev(hf.vec_map)(X, W), rtol=1e-9, atol=1e-12)


def test_third_order_through_cumprod():
    second = adjoint.grad(adjoint.grad(hf.cumprod_of_scalar))
    assert second(1.3) == pytest.approx(12 * 1.3, rel=1e-12)  # d2/dx2 of 2 x^3
    assert adjoint.grad(second)(1.3) == pytest.approx(12, rel=1e-12)


# closed forms ----------------------------------------------------------------------
def test_logistic_regression_hessian_is_x_t_diag_p_1_minus_p_x():
    data, labels = RNG.normal(size=(8, 3)), (RNG.random(8) > 0.5) * 1.0
    p = special.expit(data @ X)
    expected = data.T @ np.diag(p * (1 - p)) @ data
    np.testing.assert_allclose(adjoint.hessian(hf.logistic)(X, data, labels), expected, rtol=1e-10)


def test_quadratic_form_hessian_is_a_plus_a_transpose():
    np.testing.assert_allclose(adjoint.hessian(hf.quadratic)(X, W), W + W.T, rtol=1e-12, atol=1e-14)


def test_rosenbrock_hessian_in_closed_form():
    x = np.array([1.2, -0.7, 0.4, 2.0])
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] = H[i + 1, i] = -400 * x[i]
    np.testing.assert_allclose(adjoint.hessian(hf.rosenbrock)(x), H, rtol=1e-12)


# several parameters ----------------------------------------------------------------
def test_hvp_gives_cross_terms_for_primals_without_tangents():
    hv_x, hv_W = adjoint.hvp(hf.tanh_layers, (X, W), (V, None))
    grad_W = adjoint.grad(hf.tanh_layers, wrt="W")
    np.testing.assert_allclose(hv_W, directional(grad_W, (X, W), 0, V, 1e-5), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hv_x, adjoint.hessian(hf.tanh_layers)(X, W) @ V, rtol=1e-8)


def test_hessian_blocks_for_a_tuple_wrt():
    (Hxx, HxW), (HWx, HWW) = adjoint.hessian(hf.quadratic, wrt=(0, 1))(X, W)
    assert Hxx.shape == (3, 3) and HxW.shape == (3, 3, 3) and HWx.shape == (3, 3, 3)
    assert HWW.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(HWx, numerical_jacobian(adjoint.grad(hf.quadratic, wrt=1), (X, W)),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(HxW, np.moveaxis(HWx, -1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(HWW, 0.0, atol=1e-12)


def test_jvp_with_several_tangents_and_tuple_output():
    def pair(x, W):
        return np.sum(W @ x), np.tanh(x) * 2.0
    U = RNG.normal(size=(3, 3))
    (a, b), (ta, tb) = adjoint.jvp(pair, (X, W), (V, U))
    eps = EPS
    plus, minus = pair(X + eps * V, W + eps * U), pair(X - eps * V, W - eps * U)
    assert ta == pytest.approx((plus[0] - minus[0]) / (2 * eps), rel=1e-6)
    np.testing.assert_allclose(tb, (plus[1] - minus[1]) / (2 * eps), rtol=1e-6)


def test_jvp_of_a_dict_parameter_takes_a_dict_tangent():
    def model(params, x):
        return np.sum(np.tanh(params["W"] @ x + params["b"]))
    params = {"W": W, "b": X}
    tangent = {"W": np.ones((3, 3)), "b": V}
    _, got = adjoint.jvp(model, (params, X), (tangent, None))
    eps = EPS
    moved = [{k: params[k] + s * eps * tangent[k] for k in params} for s in (1, -1)]
    assert got == pytest.approx((model(moved[0], X) - model(moved[1], X)) / (2 * eps), rel=1e-6)


def test_jvp_never_changes_or_returns_the_callers_arrays():
    def identity_ish(x):
        return x
    x, v = X.copy(), V.copy()
    _, t = adjoint.jvp(identity_ish, (x,), (v,))
    t[0] = 99.0
    assert np.array_equal(v, V) and np.array_equal(x, X)
    adjoint.jvp(hf.in_place, (x, W), (v, None))
    assert np.array_equal(v, V) and np.array_equal(x, X)


def test_jvp_checks_tangent_shapes():
    with pytest.raises(adjoint.BadArguments, match="shape"):
        adjoint.jvp(hf.rosenbrock, (X,), (np.ones(2),))
    with pytest.raises(adjoint.BadArguments, match="one tangent per primal"):
        adjoint.jvp(hf.rosenbrock, (X,), (V, V))


# grad of grad ----------------------------------------------------------------------
@pytest.mark.parametrize("f", hf.SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [0.7, -0.4])
def test_grad_of_grad_matches_finite_differences(f, x):
    first = adjoint.grad(f)
    second = adjoint.grad(first)
    assert second(x, 1.3) == pytest.approx((first(x + 1e-5, 1.3) - first(x - 1e-5, 1.3)) / 2e-5,
                                           rel=1e-6)
    mixed = adjoint.grad(first, wrt="a")
    assert mixed(x, 1.3) == pytest.approx((first(x, 1.3 + 1e-5) - first(x, 1.3 - 1e-5)) / 2e-5,
                                          rel=1e-6)


def test_third_and_fourth_derivatives_in_closed_form():
    d = adjoint.grad
    third, fourth = d(d(d(hf.scalar_poly))), d(d(d(d(hf.scalar_poly))))
    assert third(0.8, 1.5) == pytest.approx(24 * 1.5 * 0.8, rel=1e-12)
    assert fourth(0.8, 1.5) == pytest.approx(24 * 1.5, rel=1e-12)


def test_grad_of_grad_of_an_array_parameter_says_use_hessian():
    with pytest.raises(adjoint.NonScalarOutput, match="scalar"):
        adjoint.grad(adjoint.grad(hf.rosenbrock))(X)


# a gradient inside the function being differentiated -------------------------------
def loss(w, x, y):
    p = special.expit(x @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * np.sum(w * w)


dloss = adjoint.grad(loss)


def maml(w, xa, ya, xb, yb):
    w1 = w - 0.5 * dloss(w, xa, ya)
    w2 = w1 - 0.5 * dloss(w1, xa, ya)
    return loss(w2, xb, yb)


def penalized(w, x, y):
    g = dloss(w, x, y)
    return loss(w, x, y) + np.sum(g * g)


TASK = (RNG.normal(size=(6, 3)), (RNG.random(6) > 0.5) * 1.0, RNG.normal(size=(5, 3)),
        (RNG.random(5) > 0.5) * 1.0)


def test_maml_loss_gradient_matches_finite_differences():
    got = adjoint.grad(maml)(X, *TASK)
    np.testing.assert_allclose(got, numerical_jacobian(maml, (X,) + TASK), rtol=1e-6, atol=1e-8)
    assert "grad_call_vjp(dloss" in adjoint.grad(maml).source


def test_gradient_penalty_gradient_and_jvp():
    args = (X,) + TASK[:2]
    np.testing.assert_allclose(adjoint.grad(penalized)(*args), numerical_jacobian(penalized, args),
                               rtol=1e-6, atol=1e-8)
    _, tangent = adjoint.jvp(penalized, args, (V, None, None))
    assert tangent == pytest.approx(directional(penalized, args, 0, V), rel=1e-6)


# tangents smaller than their primals -----------------------------------------------
def grows_in_loop(x, c):
    h = x
    for _ in range(2):
        h = h * 1.5 + c  # c (2, 3) broadcasts h from (3,) up; only x carries a tangent
    return np.sum(h) + np.sum(h[0] * h[1])


def test_a_tangent_smaller_than_its_primal_is_spread_before_a_reduction():
    c = RNG.normal(size=(2, 3))
    _, tangent = adjoint.jvp(grows_in_loop, (X, c), (V, None))
    assert tangent == pytest.approx(directional(grows_in_loop, (X, c), 0, V), rel=1e-6)
    assert "broadcast_like(dot_h, h)" in adjoint.source(grows_in_loop, "x", mode="jvp")


def scaled(x, W, k=2.0, *, shift=0.5):
    return np.sum(np.tanh(W @ x) * k + shift * x * x)


def test_parameters_left_to_their_defaults():
    _, tangent = adjoint.jvp(scaled, (X, W), (V, None))
    assert tangent == pytest.approx(directional(scaled, (X, W), 0, V), rel=1e-6)
    np.testing.assert_allclose(adjoint.hessian(scaled)(X, W),
                               numerical_jacobian(adjoint.grad(scaled), (X, W), 0, 1e-5), rtol=1e-5)
    np.testing.assert_allclose(adjoint.jacfwd(scaled)(X, W), adjoint.grad(scaled)(X, W), rtol=1e-10)


# grad of grad after the function's globals change -----------------------------------
SCALE = 3.0


def scaled_cube(x):
    return SCALE * x ** 3


def test_grad_of_grad_refuses_once_the_inner_function_changed():
    global SCALE
    second = adjoint.grad(adjoint.grad(scaled_cube))
    assert second(0.5) == pytest.approx(6 * 3.0 * 0.5, rel=1e-12)
    try:
        SCALE = 5.0  # the inner derivative was compiled against SCALE = 3.0
        assert adjoint.grad(scaled_cube)(0.5) == pytest.approx(3 * 5.0 * 0.25, rel=1e-12)
        with pytest.raises(adjoint.AdjointError, match="changed since the gradient of its gradient"):
            second(0.5)
        again = adjoint.grad(adjoint.grad(scaled_cube))
        assert again(0.5) == pytest.approx(6 * 5.0 * 0.5, rel=1e-12)
    finally:
        SCALE = 3.0
