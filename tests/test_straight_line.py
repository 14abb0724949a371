"""Straight-line functions: adjoint's gradients against central finite differences.

Every function is defined at module level (adjoint reads source with inspect). Inputs
are seeded, non-uniform and away from kinks; array results are reduced with fixed
non-uniform weights (W4, W34, ...) so transposition and broadcasting bugs cannot hide
behind a uniform cotangent.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads, numerical_grad
from helpers import load_example

RNG = np.random.default_rng(20240601)


def _r(*shape, low=-1.5, high=1.5):
    return RNG.uniform(low, high, size=shape)


def _pos(*shape):
    return RNG.uniform(0.5, 2.0, size=shape)


# fixed, non-uniform weights read as globals by the functions below
W34 = _r(3, 4) + 2.0
W4 = _r(4) + 2.0
W3 = _r(3) + 2.0
SCALE = 1.7
SHIFT = np.array([0.3, -0.2, 0.5, 1.1])


# -- scalar arithmetic ---------------------------------------------------------------------

def f_add(x, y):
    return x + y * 3.0


def f_sub(x, y):
    return x - y * 2.0


def f_mul(x, y):
    return x * y * x


def f_div(x, y):
    return x / y


def f_div_const_num(x):
    return 2.0 / x


def f_pow_const(x):
    return x ** 3


def f_pow_both(x, y):
    return x ** y


def f_pow_const_base(x):
    return 2.0 ** x


def f_neg(x, y):
    return -x * y + -(y * y)


def f_nested(x, y, z):
    return (x * y + z) / (x - z) ** 2 - x * (y - z * (x + 1.0))


def f_reassign(x, y):
    h = x * y
    h = h + x
    h = h * h - y
    return h


def f_tuple_unpack(x, y):
    a, b = x * y, x + y
    return a / b


def f_swap(x, y):
    a = x * 2.0
    b = y * y
    a, b = b, a
    return a * 3.0 + b ** 3


def f_chained_assign(x, y):
    a = b = x * y
    c = a + x
    return c * b + a


def f_three_inputs(x, y, z):
    q = x + y
    return q * z * x


def f_int_literal_mix(x):
    return 3 * x * x + 2 * x - 7


# -- arrays and broadcasting -----------------------------------------------------------------

def f_arr_elementwise(x, y):
    return np.sum(W4 * (x * y - x / y + x ** 2))


def f_bin_add(a, b):
    return np.sum(W34 * (a + b))


def f_bin_sub(a, b):
    return np.sum(W34 * (a - b))


def f_bin_mul(a, b):
    return np.sum(W34 * (a * b))


def f_bin_div(a, b):
    return np.sum(W34 * (a / b))


def f_bin_pow(a, b):
    return np.sum(W34 * (a ** b))


def f_scalar_array_ops(s, x):
    return np.sum(W4 * (s + x) * (x - s) / (s * x) + (x ** s) * W4)


def f_matmul(A, B):
    return np.sum(np.sin(A @ B))


def f_matvec(A, v, w):
    return v @ A @ w


def f_matmul_batched(A, B):
    return np.sum(W4 * np.tanh(A @ B))


def f_unary_minus_array(x):
    return np.sum(W4 * -x)


# -- elementwise functions -----------------------------------------------------------------

def f_np_exp(x):
    return np.sum(W4 * np.exp(x))


def f_np_log(x):
    return np.sum(W4 * np.log(x))


def f_np_tanh(x):
    return np.sum(W4 * np.tanh(x))


def f_np_sin_cos(x):
    return np.sum(W4 * np.sin(x) * np.cos(x * 2.0))


def f_np_sqrt(x):
    return np.sum(W4 * np.sqrt(x))


def f_np_abs(x):
    return np.sum(W4 * np.abs(x))


def f_np_maximum(a, b):
    return np.sum(W4 * np.maximum(a, b))


def f_np_minimum(a, b):
    return np.sum(W4 * np.minimum(a, b))


def f_np_maximum_scalar(x):
    return np.sum(W4 * np.maximum(x, 0.1))


def f_np_where(x, y):
    return np.sum(W4 * np.where(x > y, x * y, y - x))


def f_math(x):
    return math.exp(x) + math.log(x) * math.sin(x) - math.cos(x) * math.tanh(x) + math.sqrt(x)


def f_builtin_abs(x, y):
    return abs(x) * y + abs(y)


def f_builtin_max_min(x, y):
    return max(x, y) * 2.0 + min(x, y) * 3.0 + max(x * x, 1.0)


def f_mask(x):
    mask = x > 0.0
    return np.sum(W4 * x * mask)


def f_mask_compare_scalar(x, y):
    return np.sum(W4 * x * (x < y))


# -- reductions ----------------------------------------------------------------------------

def f_sum_axis0(x):
    return np.sum(W4 * np.sum(x, axis=0))


def f_sum_axis1_keepdims(x):
    return np.sum(W34 * (x - np.sum(x, axis=1, keepdims=True)) ** 2)


def f_mean_all(x):
    return np.mean(x * x * W34)


def f_mean_axis(x):
    return np.sum(W3 * np.mean(x, axis=1) ** 2)


def f_max_axis(x):
    return np.sum(W4 * np.max(x, axis=0))


def f_max_keepdims(x):
    return np.sum(W34 * np.exp(x - np.max(x, axis=1, keepdims=True)))


def f_min_all(x):
    return np.min(x * W34)


def f_min_axis_keepdims(x):
    return np.sum(W3 * np.min(x, axis=1, keepdims=True)[:, 0] ** 3)


# -- shaping and indexing --------------------------------------------------------------------

def f_transpose(x):
    return np.sum(W34 * (x.T @ x)[:3, :])


def f_index_int(x):
    return x[1] * x[2] + x[0] ** 2


def f_index_column(x):
    return np.sum(W3 * x[:, 0] * x[:, 2])


def f_index_slice(x):
    return np.sum(x[1:3] * np.array([2.0, -3.0]))


IDX = np.array([0, 2, 2, 3, 0, 0])


def f_index_array_repeated(x):
    return np.sum(x[IDX] * np.arange(1.0, 7.0))


def f_index_row_of_matrix(x):
    return np.sum(x[2] * W4)


def f_index_negative_and_ellipsis(x):
    return x[-1, 0] * np.sum(x[..., 1] * W4) + np.sum(x[1:3, ::2] ** 2)


def f_index_newaxis(x):
    return np.sum(W34 * (x[:, None] * x[None, :])[:3, :])


def f_index_list_literal(x):
    return np.sum(x[[0, 2, 2]] * W34[:, :2])


def f_sum_axis_tuple(x):
    return np.sum(W4 * np.sum(x ** 3, axis=(0, 1)))


def f_mean_negative_axis_tuple_keepdims(x):
    return np.sum(np.mean(x, axis=(0, -1), keepdims=True) ** 2 * W3[None, :, None])


def f_builtin_abs_array(x):
    return np.sum(W4 * abs(x))


def f_math_fabs(x, y):
    return math.fabs(x) * y


# -- globals, closures and models ---------------------------------------------------------------

def f_global_constant(x):
    return np.sum(W4 * (x * SCALE + SHIFT) ** 2)


def make_scaled(c):
    def scaled(x):
        return np.sum(W4 * np.sin(x * c)) * c
    return scaled


f_closure = make_scaled(2.3)


def mlp_loss(W, b, X, y):
    return np.mean((np.tanh(X @ W + b) - y) ** 2)


def softmax_xent(logits, onehot):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    logsumexp = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    logp = z - logsumexp
    return -np.mean(np.sum(onehot * logp, axis=1))


X_MLP = _r(5, 3)
Y_MLP = _r(5, 4)
ONEHOT = np.eye(4)[[0, 3, 1, 1, 2]]

# (id, function, args, wrt)
CASES = [
    ("add", f_add, (0.7, -1.3), (0, 1)),
    ("sub", f_sub, (0.7, -1.3), (0, 1)),
    ("mul", f_mul, (0.7, -1.3), (0, 1)),
    ("div", f_div, (0.7, -1.3), (0, 1)),
    ("div_const_numerator", f_div_const_num, (0.8,), 0),
    ("pow_const", f_pow_const, (-0.9,), 0),
    ("pow_both", f_pow_both, (1.4, 0.6), (0, 1)),
    ("pow_const_base", f_pow_const_base, (0.6,), 0),
    ("unary_minus", f_neg, (0.7, -1.3), (0, 1)),
    ("nested", f_nested, (0.7, -1.3, 2.1), (0, 1, 2)),
    ("reassign", f_reassign, (0.7, -1.3), (0, 1)),
    ("tuple_unpack", f_tuple_unpack, (0.7, 1.3), ("x", "y")),
    ("swap", f_swap, (0.7, -1.3), ("x", "y")),
    ("chained_assign", f_chained_assign, (0.7, -1.3), ("x", "y")),
    ("three_wrt", f_three_inputs, (0.7, -1.3, 2.1), ("x", "y", "z")),
    ("python_ints", f_three_inputs, (2, 3, -4), (0, 1, 2)),
    ("int_literals", f_int_literal_mix, (0.3,), 0),
    ("array_elementwise", f_arr_elementwise, (_r(4), _pos(4)), (0, 1)),
    ("add_scalar_array", f_bin_add, (0.4, _r(3, 4)), (0, 1)),
    ("add_31_14", f_bin_add, (_r(3, 1), _r(1, 4)), (0, 1)),
    ("add_4_34", f_bin_add, (_r(4), _r(3, 4)), (0, 1)),
    ("sub_scalar_array", f_bin_sub, (_r(3, 4), 0.4), (0, 1)),
    ("sub_31_14", f_bin_sub, (_r(3, 1), _r(1, 4)), (0, 1)),
    ("sub_4_34", f_bin_sub, (_r(3, 4), _r(4)), (0, 1)),
    ("mul_scalar_array", f_bin_mul, (0.4, _r(3, 4)), (0, 1)),
    ("mul_31_14", f_bin_mul, (_r(3, 1), _r(1, 4)), (0, 1)),
    ("mul_4_34", f_bin_mul, (_r(4), _r(3, 4)), (0, 1)),
    ("div_scalar_array", f_bin_div, (0.4, _pos(3, 4)), (0, 1)),
    ("div_31_14", f_bin_div, (_r(3, 1), _pos(1, 4)), (0, 1)),
    ("div_4_34", f_bin_div, (_r(4), _pos(3, 4)), (0, 1)),
    ("pow_scalar_array", f_bin_pow, (1.3, _r(3, 4)), (0, 1)),
    ("pow_31_14", f_bin_pow, (_pos(3, 1), _r(1, 4)), (0, 1)),
    ("pow_4_34", f_bin_pow, (_pos(4), _r(3, 4)), (0, 1)),
    ("pow_34_scalar", f_bin_pow, (_pos(3, 4), 2.5), (0, 1)),
    ("scalar_array_all_ops", f_scalar_array_ops, (1.3, _pos(4)), (0, 1)),
    ("matmul", f_matmul, (_r(3, 2), _r(2, 4)), (0, 1)),
    ("matvec", f_matvec, (_r(3, 4), _r(3), _r(4)), (0, 1, 2)),
    ("matmul_batched_broadcast", f_matmul_batched, (_r(2, 3, 5), _r(5, 4)), (0, 1)),
    ("unary_minus_array", f_unary_minus_array, (_r(4),), 0),
    ("np_exp", f_np_exp, (_r(4),), 0),
    ("np_log", f_np_log, (_pos(4),), 0),
    ("np_tanh", f_np_tanh, (_r(4),), 0),
    ("np_sin_cos", f_np_sin_cos, (_r(4),), 0),
    ("np_sqrt", f_np_sqrt, (_pos(4),), 0),
    ("np_abs", f_np_abs, (np.array([-1.2, 0.4, -0.3, 2.0]),), 0),
    ("np_maximum", f_np_maximum, (np.array([0.1, -0.5, 0.9, 0.3]), np.array([0.4, -0.9, 0.2, 1.0])), (0, 1)),
    ("np_minimum", f_np_minimum, (np.array([0.1, -0.5, 0.9, 0.3]), np.array([0.4, -0.9, 0.2, 1.0])), (0, 1)),
    ("np_maximum_scalar", f_np_maximum_scalar, (np.array([-0.6, 0.5, 0.9, -0.2]),), 0),
    ("np_where", f_np_where, (np.array([0.1, -0.5, 0.9, 0.3]), np.array([0.4, -0.9, 0.2, 1.0])), (0, 1)),
    ("math_functions", f_math, (0.8,), 0),
    ("builtin_abs", f_builtin_abs, (-0.8, 1.3), (0, 1)),
    ("builtin_abs_positive", f_builtin_abs, (0.8, -1.3), (0, 1)),
    ("builtin_max_min", f_builtin_max_min, (0.8, -1.3), (0, 1)),
    ("builtin_max_min_swapped", f_builtin_max_min, (-1.3, 0.8), (0, 1)),
    ("mask_no_gradient", f_mask, (np.array([-1.2, 0.4, -0.3, 2.0]),), 0),
    ("mask_compare_two_args", f_mask_compare_scalar, (np.array([-1.2, 0.4, -0.3, 2.0]), 0.1), 0),
    ("sum_axis0", f_sum_axis0, (_r(3, 4),), 0),
    ("sum_axis1_keepdims", f_sum_axis1_keepdims, (_r(3, 4),), 0),
    ("mean_all", f_mean_all, (_r(3, 4),), 0),
    ("mean_axis", f_mean_axis, (_r(3, 4),), 0),
    ("max_axis", f_max_axis, (_r(3, 4),), 0),
    ("max_keepdims", f_max_keepdims, (_r(3, 4),), 0),
    ("min_all", f_min_all, (_r(3, 4),), 0),
    ("min_axis_keepdims", f_min_axis_keepdims, (_r(3, 4),), 0),
    ("transpose", f_transpose, (_r(4, 4),), 0),
    ("index_int", f_index_int, (_r(4),), 0),
    ("index_column", f_index_column, (_r(3, 4),), 0),
    ("index_slice", f_index_slice, (_r(4),), 0),
    ("index_array_repeated", f_index_array_repeated, (_r(4),), 0),
    ("index_row", f_index_row_of_matrix, (_r(3, 4),), 0),
    ("index_negative_ellipsis_step", f_index_negative_and_ellipsis, (_r(4, 2),), 0),
    ("index_newaxis", f_index_newaxis, (_r(4),), 0),
    ("index_list_literal", f_index_list_literal, (_r(4, 2),), 0),
    ("sum_axis_tuple", f_sum_axis_tuple, (_r(2, 3, 4),), 0),
    ("mean_axis_tuple_keepdims", f_mean_negative_axis_tuple_keepdims, (_r(2, 3, 4),), 0),
    ("builtin_abs_numpy_scalars", f_builtin_abs, (np.float64(-0.8), np.float64(1.3)), (0, 1)),
    ("builtin_max_min_numpy_scalars", f_builtin_max_min, (np.float64(0.8), np.float64(-1.3)), (0, 1)),
    ("builtin_abs_array", f_builtin_abs_array, (np.array([-1.2, 0.4, -0.3, 2.0]),), 0),
    ("math_fabs", f_math_fabs, (-0.8, 1.3), (0, 1)),
    ("math_fabs_numpy_scalar", f_math_fabs, (np.float64(-0.8), 1.3), (0, 1)),
    ("global_constant", f_global_constant, (_r(4),), 0),
    ("closure_constant", f_closure, (_r(4),), 0),
    ("mlp_loss", mlp_loss, (_r(3, 4), _r(4), X_MLP, Y_MLP), ("W", "b")),
    ("softmax_cross_entropy", softmax_xent, (_r(5, 4) * 3.0, ONEHOT), 0),
]


def test_at_least_45_distinct_functions():
    assert len({id(case[1]) for case in CASES}) >= 45


@pytest.mark.parametrize("name,func,args,wrt", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, func, args, wrt):
    before = copy.deepcopy(args)
    grads = check_grads(func, *args, wrt=wrt)
    positions = (wrt,) if isinstance(wrt, (int, str)) else wrt
    assert len(grads) == len(positions)
    # the gradient has the shape of its input (check_grads checks too; this is direct)
    names = list(func.__code__.co_varnames[:func.__code__.co_argcount])
    for position, g in zip(positions, grads):
        index = names.index(position) if isinstance(position, str) else position
        assert np.shape(g) == np.shape(args[index])
    # the user's inputs are untouched
    for old, new in zip(before, args):
        np.testing.assert_array_equal(np.asarray(old), np.asarray(new))
        assert type(old) is type(new)


@pytest.mark.parametrize("name,func,args,wrt", CASES, ids=[c[0] for c in CASES])
def test_value_and_grad_value_is_the_function_value(name, func, args, wrt):
    # the forward part of the generated code computes exactly what the function computes
    value, _ = adjoint.value_and_grad(func, wrt=wrt)(*args)
    expected = func(*args)
    assert np.shape(value) == np.shape(expected)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)


# -- direct checks ---------------------------------------------------------------------------

def test_gradient_by_hand_nested():
    # f = (x*y + z) / (x - z)**2 - x*(y - z*(x + 1)); derivative by hand
    x, y, z = 0.7, -1.3, 2.1
    d = x - z
    dx = y / d ** 2 - 2 * (x * y + z) / d ** 3 - (y - z * (x + 1)) + x * z
    dy = x / d ** 2 - x
    dz = 1 / d ** 2 + 2 * (x * y + z) / d ** 3 + x * (x + 1)
    got = adjoint.grad(f_nested, wrt=(0, 1, 2))(x, y, z)
    np.testing.assert_allclose(got, (dx, dy, dz), rtol=1e-12)


def test_swap_by_hand():
    # after the swap: a = y*y, b = 2x  ->  f = 3y^2 + 8x^3
    gx, gy = adjoint.grad(f_swap, wrt=("x", "y"))(0.7, -1.3)
    assert gx == pytest.approx(24 * 0.7 ** 2)
    assert gy == pytest.approx(6 * -1.3)


def test_chained_assign_by_hand():
    # a = b = xy; c = a + x; f = c*b + a = (xy + x) xy + xy
    x, y = 0.7, -1.3
    gx, gy = adjoint.grad(f_chained_assign, wrt=("x", "y"))(x, y)
    assert gx == pytest.approx(2 * x * y * y + 2 * x * y + y)
    assert gy == pytest.approx(2 * x * x * y + x * x + x)


def test_python_int_inputs_give_float_gradients():
    gx, gy, gz = adjoint.grad(f_three_inputs, wrt=(0, 1, 2))(2, 3, -4)
    # f = (x + y) z x: df/dx = z(2x + y), df/dy = zx, df/dz = (x + y) x
    assert (gx, gy, gz) == (-28.0, -8.0, 10.0)
    for g in (gx, gy, gz):
        assert isinstance(g, float), type(g)


def test_python_int_input_single_gradient_is_float():
    g = adjoint.grad(f_pow_const)(3)
    assert g == 27.0
    assert isinstance(g, float), type(g)


# float32 functions: nothing in them promotes to float64 (Python float constants are weak)
def f32_mul_broadcast(s, x):
    return np.sum(x * s * x + s)


def f32_tanh(x):
    return np.sum(np.tanh(x) * x - 0.5 * x)


def f32_sum_keepdims(x):
    return np.sum((x - np.sum(x, axis=1, keepdims=True)) ** 2 * x)


def f32_index_repeated(x):
    return np.sum(x[IDX] * x[IDX] * x[IDX])


def f32_matmul(A, B):
    return np.sum(np.sin(A @ B) * (A @ B))


def f32_mean_max(x):
    return np.mean(np.exp(x - np.max(x, axis=0)) * x.T.T)


def f32_no_reduction(x):
    return np.tanh(x[0]) * x[1] - x[2] / x[3]


FLOAT32_CASES = [
    ("no_reduction", f32_no_reduction, ("X4",)),
    ("mul_broadcast", f32_mul_broadcast, (np.float32(0.5), "X34")),
    ("tanh", f32_tanh, ("X4",)),
    ("sum_keepdims", f32_sum_keepdims, ("X34",)),
    ("index_repeated", f32_index_repeated, ("X4",)),
    ("matmul", f32_matmul, ("X32", _r(2, 4).astype(np.float32))),
    ("mean_max", f32_mean_max, ("X34",)),
]


@pytest.mark.parametrize("name,func,args", FLOAT32_CASES, ids=[c[0] for c in FLOAT32_CASES])
def test_float32_in_float32_out(name, func, args):
    shapes = {"X34": (3, 4), "X4": (4,), "X32": (3, 2)}
    position = next(k for k, a in enumerate(args) if isinstance(a, str))
    x = _r(*shapes[args[position]]).astype(np.float32)
    args = tuple(x if isinstance(a, str) else a for a in args)
    assert np.asarray(func(*args)).dtype == np.float32  # the function itself stays float32
    g = adjoint.grad(func, wrt=position)(*args)
    assert isinstance(g, np.ndarray)
    assert g.dtype == np.float32, g.dtype
    assert g.shape == x.shape
    args64 = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args]
    np.testing.assert_allclose(g, numerical_grad(func, args64, position), rtol=2e-3, atol=2e-3)


def test_broadcast_gradients_have_input_shapes():
    a, b = _r(3, 1), _r(1, 4)
    ga, gb = adjoint.grad(f_bin_mul, wrt=(0, 1))(a, b)
    assert ga.shape == (3, 1) and gb.shape == (1, 4)
    # by hand: d/da sum(W a b) = sum_j W_ij b_j, d/db = sum_i W_ij a_i
    np.testing.assert_allclose(ga, (W34 * b).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(gb, (W34 * a).sum(axis=0, keepdims=True), rtol=1e-12)
    s, x = 0.4, _r(3, 4)
    gs, gx = adjoint.grad(f_bin_add, wrt=(0, 1))(s, x)
    assert np.shape(gs) == ()
    assert gs == pytest.approx(W34.sum())
    np.testing.assert_allclose(gx, W34)


def test_repeated_indices_accumulate():
    g = adjoint.grad(f_index_array_repeated)(_r(4))
    # x[IDX] weighted by 1..6 with IDX = [0, 2, 2, 3, 0, 0]
    np.testing.assert_allclose(g, [1 + 5 + 6, 0.0, 2 + 3, 4])


MUTATION_CASES = [
    ("add", f_bin_add, (_r(3, 4), _r(3, 4)), (0, 1)),
    ("sub_broadcast", f_bin_sub, (_r(3, 4), _r(4)), (0, 1)),
    ("sum_keepdims", f_sum_axis1_keepdims, (_r(3, 4),), 0),
    ("max_keepdims", f_max_keepdims, (_r(3, 4),), 0),
    ("transpose", f_transpose, (_r(4, 4),), 0),
    ("index_repeated", f_index_array_repeated, (_r(4),), 0),
    ("mlp", mlp_loss, (_r(3, 4), _r(4), X_MLP, Y_MLP), (0, 1)),
]


@pytest.mark.parametrize("name,func,args,wrt", MUTATION_CASES, ids=[c[0] for c in MUTATION_CASES])
def test_inputs_not_mutated_and_not_aliased(name, func, args, wrt):
    copies = [np.copy(a) for a in args]
    grads = adjoint.grad(func, wrt=wrt)(*args)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for a, a0 in zip(args, copies):
        np.testing.assert_array_equal(a, a0)
    # a returned gradient never shares memory with an input (a user updating the
    # gradient in place must not change the input)
    for g in grads:
        for a in args:
            assert not np.shares_memory(g, a)
    # and calling again gives the same gradients (nothing cached got mutated)
    again = adjoint.grad(func, wrt=wrt)(*args)
    again = again if isinstance(again, tuple) else (again,)
    for g, h in zip(grads, again):
        np.testing.assert_array_equal(g, h)


def only_x(x, y):
    return np.sum(x * x)


def test_parameter_the_output_does_not_use_gets_zeros_of_its_shape_and_dtype():
    x = _r(3)
    gx, gy = adjoint.grad(only_x, wrt=(0, 1))(x, np.ones((2, 2), np.float32))
    np.testing.assert_allclose(gx, 2 * x)
    assert gy.shape == (2, 2) and gy.dtype == np.float32
    assert not np.any(gy)
    gx, gy = adjoint.grad(only_x, wrt=(0, 1))(1.5, 2)
    assert (gx, gy) == (3.0, 0.0)
    assert isinstance(gy, float)


def sum_of_sum(x, y):
    return np.sum(x + y)


def test_gradients_of_different_inputs_are_different_arrays():
    # grad_x and grad_y are both "the cotangent"; returning one array object for both
    # means `gx *= lr` silently changes gy as well
    gx, gy = adjoint.grad(sum_of_sum, wrt=(0, 1))(_r(3), _r(3))
    np.testing.assert_array_equal(gx, np.ones(3))
    np.testing.assert_array_equal(gy, np.ones(3))
    assert not np.shares_memory(gx, gy)


def test_gradient_does_not_alias_input_for_identity_like_function():
    # d/dx sum(x * W4) = W4, a global: the gradient returned must not be W4 itself,
    # or a user updating it in place would corrupt the function.
    x = _r(4)
    g = adjoint.grad(f_unary_minus_array)(x)
    np.testing.assert_allclose(g, -W4)
    assert not np.shares_memory(g, x)


def test_mlp_loss_by_hand():
    W, b = _r(3, 4), _r(4)
    h = np.tanh(X_MLP @ W + b)
    dh = 2 * (h - Y_MLP) / h.size
    ds = dh * (1 - h * h)
    gW, gb = adjoint.grad(mlp_loss, wrt=("W", "b"))(W, b, X_MLP, Y_MLP)
    np.testing.assert_allclose(gW, X_MLP.T @ ds, rtol=1e-10)
    np.testing.assert_allclose(gb, ds.sum(axis=0), rtol=1e-10)


def test_softmax_cross_entropy_by_hand():
    logits = _r(5, 4) * 3.0
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = (p - ONEHOT) / logits.shape[0]
    np.testing.assert_allclose(adjoint.grad(softmax_xent)(logits, ONEHOT), expected, rtol=1e-10,
                               atol=1e-14)


# -- the lecture's examples ----------------------------------------------------------------

def test_neuron_lecture_numbers():
    neuron = load_example("neuron")
    df = adjoint.value_and_grad(neuron.f, wrt=("w0", "x0", "w1", "x1", "w2"))
    L, grads = df(2.0, -1.0, -3.0, -2.0, -3.0)
    assert round(L, 2) == 0.73
    assert [round(g, 2) for g in grads] == [-0.20, 0.39, -0.39, -0.59, 0.20]
    # and exactly, by hand: L = sigmoid(1), dL/ds3 = L (1 - L)
    L_exact = 1 / (1 + math.exp(-1.0))
    d = L_exact * (1 - L_exact)
    assert L == pytest.approx(L_exact, rel=1e-12)
    np.testing.assert_allclose(grads, [d * -1.0, d * 2.0, d * -2.0, d * -3.0, d], rtol=1e-12)


def test_neuron_check_grads():
    neuron = load_example("neuron")
    check_grads(neuron.f, 2.0, -1.0, -3.0, -2.0, -3.0, wrt=(0, 1, 2, 3, 4))


def test_add_mul_lecture_numbers():
    add_mul = load_example("add_mul")
    value, grads = adjoint.value_and_grad(add_mul.f, wrt=("x", "y", "z"))(-2.0, 5.0, -4.0)
    assert value == -12.0
    assert grads == (-4.0, -4.0, 3.0)


def test_add_mul_python_ints():
    add_mul = load_example("add_mul")
    grads = adjoint.grad(add_mul.f, wrt=("x", "y", "z"))(-2, 5, -4)
    assert grads == (-4.0, -4.0, 3.0)
    assert all(isinstance(g, float) for g in grads)
