"""Forward mode and second order through a call of adjoint.grad inside the function
(MAML's inner step, a gradient penalty): reverse over forward over reverse
(adjoint/higher_calls.py), against finite differences of adjoint's reverse-mode
gradient (itself checked against finite differences in test_higher.py) and closed forms."""
import numpy as np
import pytest

import adjoint

RNG = np.random.default_rng(11)
W0 = RNG.normal(size=3) * 0.6
XS = RNG.normal(size=(5, 3))
YS = RNG.normal(size=5)
V = RNG.normal(size=3) + 0.2
EPS = 1e-5


def directional(f, args, k, v, eps=EPS):
    plus, minus = list(args), list(args)
    plus[k] = args[k] + eps * v
    minus[k] = args[k] - eps * v
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps)


def numerical_jacobian(f, args, k=0, eps=EPS):
    x = np.asarray(args[k], dtype=float)
    columns = [directional(f, args, k, e.reshape(x.shape), eps) for e in np.eye(x.size)]
    return np.stack(columns, axis=-1).reshape(np.shape(columns[0]) + x.shape)


def loss(w, x, y):
    r = np.tanh(x @ w) - y
    return np.sum(r * r) + 0.1 * np.sum(w ** 4)


dloss = adjoint.grad(loss)
value_and_dloss = adjoint.value_and_grad(loss)
dloss_both = adjoint.grad(loss, wrt=(0, 1))


def one_step(w, x, y):
    return loss(w - 0.1 * dloss(w, x, y), x, y)


def two_steps(w, x, y):
    w1 = w - 0.1 * dloss(w, x, y)
    w2 = w1 - 0.1 * dloss(w1, x, y)
    return loss(w2, x[:3], y[:3])


def penalty(w, x, y):
    g = dloss(w, x, y)
    return loss(w, x, y) + 0.5 * np.sum(g * g)


def with_value(w, x, y):
    value, g = value_and_dloss(w, x, y)
    return value * np.sum(g * w) + np.sum(np.sin(g))


def both_grads(w, x, y):
    gw, gx = dloss_both(w, x, y)
    return np.sum(gw ** 2) + np.sum(gx * x) + loss(w, x, y)


def steps_in_loop(w, x, y):
    for _ in range(3):
        w = w - 0.05 * dloss(w, x, y)
    return loss(w, x, y)


def indexed(w, x, idx):
    return np.sum(dloss(w, x[idx], YS[idx]) * w) + np.sum(w ** 3)


FUNCTIONS = [one_step, two_steps, penalty, with_value, both_grads, steps_in_loop]
ARGS = (W0, XS, YS)
ids = [f.__name__ for f in FUNCTIONS]


@pytest.mark.parametrize("f", FUNCTIONS, ids=ids)
def test_jvp_through_a_gradient_call(f):
    value, tangent = adjoint.jvp(f, ARGS, (V, None, None))
    assert value == pytest.approx(f(*ARGS), rel=1e-12)
    assert tangent == pytest.approx(directional(f, ARGS, 0, V, 1e-6), rel=1e-6, abs=1e-8)
    np.testing.assert_allclose(adjoint.jacfwd(f)(*ARGS), adjoint.grad(f)(*ARGS), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f", FUNCTIONS, ids=ids)
def test_jvp_along_the_data(f):
    u = RNG.normal(size=XS.shape)
    _, tangent = adjoint.jvp(f, ARGS, (V, u, None))
    expected = directional(lambda s: f(W0 + s * V, XS + s * u, YS), (0.0,), 0, 1.0, 1e-6)
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("f", FUNCTIONS, ids=ids)
def test_hessian_through_a_gradient_call(f):
    H = adjoint.hessian(f)(*ARGS)
    np.testing.assert_allclose(H, numerical_jacobian(adjoint.grad(f), ARGS), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f", FUNCTIONS, ids=ids)
def test_hvp_through_a_gradient_call(f):
    hw, hx, hy = adjoint.hvp(f, ARGS, (V, None, None))
    np.testing.assert_allclose(hw, adjoint.hessian(f)(*ARGS) @ V, rtol=1e-9, atol=1e-12)
    # the cross terms: d/ds of the gradient with respect to x and y along w + s v
    np.testing.assert_allclose(hx, directional(adjoint.grad(f, wrt=1), ARGS, 0, V), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(hy, directional(adjoint.grad(f, wrt=2), ARGS, 0, V), rtol=2e-6, atol=1e-7)


def test_hessian_blocks_with_the_data():
    blocks = adjoint.hessian(one_step, wrt=(0, 2))(*ARGS)
    gradient = adjoint.grad(one_step, wrt=(0, 2))
    np.testing.assert_allclose(blocks[0][1], numerical_jacobian(lambda *a: gradient(*a)[0], ARGS, 2),
                               rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(blocks[1][1], numerical_jacobian(lambda *a: gradient(*a)[1], ARGS, 2),
                               rtol=2e-6, atol=1e-7)


def test_integer_indices_among_the_inner_arguments():
    idx = np.array([0, 3, 4])
    H = adjoint.hessian(indexed)(W0, XS, idx)
    np.testing.assert_allclose(H, numerical_jacobian(adjoint.grad(indexed), (W0, XS, idx)),
                               rtol=2e-6, atol=1e-7)
    _, tangent = adjoint.jvp(indexed, (W0, XS, idx), (V, None, None))
    assert tangent == pytest.approx(directional(indexed, (W0, XS, idx), 0, V, 1e-6), rel=1e-6)


# scalars: closed forms -------------------------------------------------------------
def cube(a):
    return a ** 3


dcube = adjoint.grad(cube)


def stepped(a):
    return cube(a - 0.1 * dcube(a))  # (a - 0.3 a^2)^3


def stepped_closed(a, order):
    u, du, ddu = a - 0.3 * a * a, 1 - 0.6 * a, -0.6
    return [u ** 3, 3 * u * u * du, 6 * u * du ** 2 + 3 * u * u * ddu,
            6 * du ** 3 + 18 * u * du * ddu][order]


@pytest.mark.parametrize("a", [0.7, -1.2])
def test_derivatives_of_a_gradient_step_in_closed_form(a):
    d = adjoint.grad
    assert d(stepped)(a) == pytest.approx(stepped_closed(a, 1), rel=1e-12)
    assert d(d(stepped))(a) == pytest.approx(stepped_closed(a, 2), rel=1e-12)
    assert d(d(d(stepped)))(a) == pytest.approx(stepped_closed(a, 3), rel=1e-12)
    assert adjoint.hessian(stepped)(a) == pytest.approx(stepped_closed(a, 2), rel=1e-12)


def test_forward_code_calls_the_tangent_of_the_gradient():
    code = adjoint.source(one_step, "w", *ARGS, mode="jvp")
    assert "tangent_of_loss(w, x, y, dot_w, zero_tangent(x), zero_tangent(y))" in code


# what is refused --------------------------------------------------------------------
def aux_loss(w, x, y):
    return loss(w, x, y), w


daux = adjoint.grad(aux_loss, has_aux=True)


def with_aux(w, x, y):
    g, _ = daux(w, x, y)
    return np.sum(g * g)


def test_a_gradient_call_with_aux_is_refused_at_the_call():
    with pytest.raises(adjoint.AdjointError, match="has_aux") as info:
        adjoint.jvp(with_aux, ARGS, (V, None, None))
    assert "test_higher_calls.py" in str(info.value)


def picked_loss(w, idx):
    return np.sum(np.cos(w[idx]) * w[idx])


dpicked = adjoint.grad(picked_loss)


def picked_step(w, idx):
    return picked_loss(w - 0.2 * dpicked(w, idx), idx)


def test_an_inner_gradient_with_one_float_argument():
    idx = np.array([2, 0])
    args = (W0, idx)
    np.testing.assert_allclose(adjoint.grad(picked_step)(*args), numerical_jacobian(picked_step, args, 0, 1e-6),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(adjoint.hessian(picked_step)(*args),
                               numerical_jacobian(adjoint.grad(picked_step), args), rtol=2e-6, atol=1e-7)
