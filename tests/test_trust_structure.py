"""A gradient has its input's structure and type, always; and what autograd's own test
suite found wrong (issue 10, issue 12's held-out probe).

Before:
- a Python float whose objective made a 0-d array (np.sum(x), np.array(x) * 2.0,
  np.atleast_1d(x), np.kron(x, a)) got a 0-d ndarray back, or an np.float64; now a
  number's gradient is a number of its type (reverse/handback.py: float(grad_x) when the
  code is specialized to numbers; runtime.core.number_like inside containers and beside
  arrays);
- eigh, eigvalsh and cholesky gave the symmetric gradient, which finite differences of
  numpy's function (it reads one triangle) do not match;
- `math.sin = math.cos` made the pasted rule for cos compute with the new math.sin;
- np.einsum with a zero-size broadcast dimension raised.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import adjoint
from adjoint.reverse import template
from adjoint.runtime.core import scatter
from adjoint.testing import check_grads

RNG = np.random.default_rng(12)
W3 = np.array([0.7, -1.3, 2.1])
W34 = RNG.uniform(0.5, 1.5, (3, 4)) * RNG.choice([-1.0, 1.0], (3, 4))


# numbers stay numbers ----------------------------------------------------------------
def sum_of_number(x):
    return np.sum(x) * 3.0


def array_of_number(x):
    return np.sum(np.array(x) * 2.0) * x


def mean_of_number(x):
    return np.mean(x) ** 2


def atleast_of_number(x):
    return np.sum(np.atleast_2d(x) * 1.5)


def kron_with_number(x, a):
    return np.sum(np.kron(x, a) * W3)


def sin_of_number(x, w):
    return math.sin(x) * w


NUMBER_CASES = [(sum_of_number, 0.4), (array_of_number, -0.9), (mean_of_number, 1.3),
                (atleast_of_number, 0.25)]


@pytest.mark.parametrize("f, x", NUMBER_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_python_float_in_python_float_out(f, x):
    g = adjoint.grad(f)(x)
    assert type(g) is float
    value, g2 = adjoint.value_and_grad(f)(x)
    assert type(g2) is float and g2 == g
    check_grads(f, x)


@pytest.mark.parametrize("f, x", NUMBER_CASES, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("kind", [np.float32, np.float64])
def test_numpy_scalar_keeps_its_type(f, x, kind):
    g = adjoint.grad(f)(kind(x))
    assert type(g) is kind
    expected = adjoint.grad(f)(float(x))
    assert np.isclose(float(g), expected, rtol=1e-5)


def test_zero_dim_array_stays_zero_dim_array():
    x = np.array(0.4)
    g = adjoint.grad(sum_of_number)(x)
    assert type(g) is np.ndarray and g.shape == () and g.dtype == np.float64
    g32 = adjoint.grad(sum_of_number)(np.array(0.4, dtype=np.float32))
    assert type(g32) is np.ndarray and g32.shape == () and g32.dtype == np.float32
    check_grads(sum_of_number, x)


def test_int_argument_gets_a_float_gradient():
    g = adjoint.grad(sin_of_number, wrt=(0, 1))(1, 2)
    assert type(g[0]) is float and type(g[1]) is float
    assert np.isclose(g[0], 2 * math.cos(1)) and np.isclose(g[1], math.sin(1))


def test_number_beside_an_array_is_a_number():
    a = np.array([0.5, -1.0, 2.0])
    gx, ga = adjoint.grad(kron_with_number, wrt=(0, 1))(0.8, a)
    assert type(gx) is float
    assert type(ga) is np.ndarray and ga.shape == a.shape
    check_grads(kron_with_number, 0.8, a, wrt=(0, 1))
    gx32, _ = adjoint.grad(kron_with_number, wrt=(0, 1))(np.float32(0.8), a)
    assert type(gx32) is np.float32


def sum_of_entries(xs):
    return np.sum(xs) * 3.0 + xs[0] * xs[1]


@pytest.mark.parametrize("container", [list, tuple])
def test_list_and_tuple_of_numbers(container):
    xs = container([1.5, -2.0])
    g = adjoint.grad(sum_of_entries)(xs)
    assert type(g) is container and [type(e) for e in g] == [float, float]
    assert g == container([3.0 - 2.0, 3.0 + 1.5])


def test_list_of_float32_numbers():
    xs = [np.float32(1.5), np.float32(-2.0)]
    g = adjoint.grad(sum_of_entries)(xs)
    assert type(g) is list and [type(e) for e in g] == [np.float32, np.float32]


def test_float32_array_gradient_is_float32():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    g = adjoint.grad(lambda_free_sum)(x)
    assert g.dtype == np.float32 and g.shape == (3,)


def lambda_free_sum(x):
    return np.sum(x * W3)


def test_the_code_shows_the_conversion():
    # Python floats in: the backward's arithmetic is on Python floats, nothing to convert
    text = adjoint.source(sin_of_number, (0, 1), 0.3, 2.0)
    assert text.splitlines()[-1].strip() == "return (grad_x, grad_w)"
    text = adjoint.source(sin_of_number, (0, 1), np.float32(0.3), np.float64(2.0))
    assert text.splitlines()[-1].strip() == "return (np.float32(grad_x), np.float64(grad_w))"
    text = adjoint.source(sin_of_number, (0, 1), 3, 2.0)  # an int: its gradient a float
    assert text.splitlines()[-1].strip() == "return (grad_x, grad_w)"


# eigh, eigvalsh, cholesky: the triangle numpy reads ----------------------------------
def eigh_lower(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * W34[0, :3]) + np.sum(v ** 2 * W34[:, :3])


def eigh_upper(a):
    w, v = np.linalg.eigh(a, "U")
    return np.sum(w * W34[1, :3]) + np.sum(v ** 2 * W34[:, 1:])


def eigvalsh_upper(a):
    return np.sum(np.linalg.eigvalsh(a, UPLO="U") * W34[2, :3])


def cholesky_lower(a):
    return np.sum(np.linalg.cholesky(a) * W34[:, :3])


def cholesky_upper(a):
    return np.sum(np.linalg.cholesky(a, upper=True) * W34[:, 1:])


def _spd_and_not_symmetric():
    m = RNG.normal(size=(3, 3))
    spd = m @ m.T + 3.0 * np.eye(3)
    return spd, spd + 0.2 * RNG.normal(size=(3, 3))


@pytest.mark.parametrize("f", [eigh_lower, eigh_upper, eigvalsh_upper, cholesky_lower, cholesky_upper])
def test_one_triangle_read_matches_finite_differences(f):
    symmetric, unsymmetric = _spd_and_not_symmetric()
    check_grads(f, symmetric)
    check_grads(f, unsymmetric)
    g = adjoint.grad(f)(unsymmetric)
    unread = np.tril(g, -1) if "upper" in f.__name__ else np.triu(g, 1)
    assert not np.any(unread)  # numpy never reads that triangle
    tangent = RNG.normal(size=(3, 3))
    _, jvp = adjoint.jvp(f, (unsymmetric,), (tangent,))
    assert np.isclose(jvp, np.sum(g * tangent))


def eigh_of_symmetrized(b):
    return eigh_lower(b + b.T)


def test_matrix_built_symmetric_is_unchanged():
    check_grads(eigh_of_symmetrized, RNG.normal(size=(3, 3)))


# rebinding a module attribute a rule reads --------------------------------------------
def sin_twice(x):
    return math.sin(x) * 2.0


def cos_twice(x):
    return math.cos(x) * 2.0


@pytest.mark.parametrize("parsed_before", [True, False])
def test_rebound_module_attribute_does_not_change_a_rule(monkeypatch, parsed_before):
    real_sin = math.sin
    gradient = adjoint.grad(sin_twice)
    assert np.isclose(gradient(0.3), 2.0 * math.cos(0.3))
    if parsed_before:  # the rule for cos is lowered before the rebinding
        assert np.isclose(adjoint.grad(cos_twice)(0.3), -2.0 * real_sin(0.3))
    else:  # only after it
        monkeypatch.setattr(template, "_TEMPLATES", {})
    monkeypatch.setattr(math, "sin", math.cos)
    g = gradient(0.3)  # f is now 2 cos(x); cos's rule reads math.sin
    assert np.isclose(g, -2.0 * real_sin(0.3))
    check_grads(sin_twice, 0.3)
    text = adjoint.source(sin_twice, 0, 0.3)
    assert "math.sin(" not in text.split("# return")[1].split("\n", 1)[1]  # (past the comment)


# einsum with a zero-size dimension ----------------------------------------------------
def batched_product(a, b):
    return np.sum(np.einsum("...ij,...jk->...ik", a, b) ** 2) + np.sum(a * 0.5)


@pytest.mark.parametrize("shapes", [((0, 2, 3), (0, 3, 4)), ((1, 2, 3), (0, 3, 4)),
                                    ((0, 2, 3), (1, 3, 4)), ((2, 0, 3), (3, 4))])
def test_einsum_with_a_zero_size_dimension(shapes):
    a, b = RNG.normal(size=shapes[0]), RNG.normal(size=shapes[1])
    ga, gb = adjoint.grad(batched_product, wrt=(0, 1))(a, b)
    assert ga.shape == a.shape and gb.shape == b.shape
    assert np.array_equal(ga, np.full(a.shape, 0.5)) and not np.any(gb)
    check_grads(batched_product, a, b, wrt=(0, 1))


# a cast to a numpy integer type ends the gradient's path ------------------------------
def gather_by_cast_index(W, x):
    rows = np.int64(W[:, -1])  # autograd's test_cast_to_int: indices computed from data
    return np.sum(W[rows, :-1] * x) + np.sum(W ** 2) * 0.5


def test_numpy_integer_cast_is_nondiff():
    W = np.array([[1.2, 0.4, 1.4], [-0.3, 2.2, 0.3], [0.7, -1.1, 1.6]])  # (away from jumps)
    x = np.array([0.5, -2.0])
    check_grads(gather_by_cast_index, W, x, wrt=(0, 1))
    gW, gx = adjoint.grad(gather_by_cast_index, wrt=(0, 1))(W, x)
    expected = W.copy()
    expected[1, :-1] += x  # rows = [1, 0, 1]: row 1 read twice, row 0 once
    expected[0, :-1] += x
    expected[1, :-1] += x
    assert np.allclose(gW, expected) and np.allclose(gx, W[1, :-1] * 2 + W[0, :-1])


# The backward writes old entries back into arrays the forward wrote into; the value and
# aux the caller gets must be what the forward ended with.
def aux_written_copy(u0):
    u = u0.copy()
    u[0] = 5.0
    return np.sum(u * u0), u


def aux_written_product(u0):
    u = u0 * 1.0
    u[1] = 7.0
    return np.sum(u ** 2), {"u": u, "first": u[0]}


def test_aux_written_in_place_is_the_final_value():
    u0 = np.array([1.0, 2.0, 3.0])
    g, aux = adjoint.grad(aux_written_copy, has_aux=True)(u0)
    np.testing.assert_array_equal(aux, [5.0, 2.0, 3.0])
    np.testing.assert_allclose(g, [5.0, 4.0, 6.0])
    (value, aux), g = adjoint.value_and_grad(aux_written_product, has_aux=True)(u0)
    np.testing.assert_array_equal(aux["u"], [1.0, 7.0, 3.0])
    assert value == 59.0 and aux["first"] == 1.0
    np.testing.assert_allclose(g, [2.0, 0.0, 6.0])
    np.testing.assert_array_equal(u0, [1.0, 2.0, 3.0])


# A list whose entries have different shapes, rebuilt and written in a loop: multi_dot's
# gradient of it is a plain list, which the write's backward must zero entry by entry.
def products_with_one_doubled(a, b, c):
    arrays = [a, b, c]
    total = 0.0
    for k in range(len(arrays)):
        f = list(arrays)
        f[k] = arrays[k] * 2.0
        total = total + np.sum(np.linalg.multi_dot(f) * np.arange(1.0, 5.0).reshape(2, 2))
    return total


def test_a_written_list_of_differently_shaped_arrays():
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    check_grads(products_with_one_doubled, a, b, c, wrt=(0, 1, 2))


def _helper_misused(x):
    return x * 2.0


@adjoint.rule(_helper_misused)
def _d_helper_misused(g, y, x):
    return scatter(g, None, "not an index")  # fails inside adjoint's own helper


def _rule_refuses(x):
    return x * 3.0


@adjoint.rule(_rule_refuses)
def _d_rule_refuses(g, y, x):
    raise ValueError("the user's rule refuses")


def through_misused(x):
    return np.sum(_helper_misused(x))


def forward_fails(x):
    return np.sum(x @ np.ones((4, 2)))


def through_refusing(x):
    return np.sum(_rule_refuses(x))


def test_errors_inside_adjoints_helpers_in_the_backward_become_internal_errors():
    x = np.ones(3)
    with pytest.raises(adjoint.InternalError, match="internal error in adjoint") as bug:
        adjoint.grad(through_misused)(x)
    assert "bug in adjoint" in str(bug.value) and "test_trust_structure.py" in str(bug.value)
    assert bug.value.__cause__ is not None
    with pytest.raises(ValueError, match="the user's rule refuses"):  # the user's own code
        adjoint.grad(through_refusing)(x)
    with pytest.raises(ValueError, match="matmul"):  # a forward error is the user's: as it is
        adjoint.grad(forward_fails)(x)


def items_updated_in_place(x):
    parts = [x[:2] * 1.0, x[2:] * 2.0]
    for p in parts:
        p += 1.0
    return np.sum(parts[0] ** 2) + np.sum(parts[1] ** 3)


def test_an_item_of_a_list_written_in_place_is_refused_with_a_fix_that_works():
    x = np.array([0.5, 1.0, 1.5])
    with pytest.raises(adjoint.UnsupportedSyntax, match=r"an item of a list.*rebind instead"):
        adjoint.grad(items_updated_in_place)(x)
