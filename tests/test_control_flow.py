"""Control flow: branches, loops, while, break/continue/return, augmented assignment.

Every gradient is checked against central finite differences (adjoint.testing.check_grads)
at seeded, non-uniform inputs chosen away from branch boundaries and kinks: inputs that
decide a branch were picked by hand so each path is taken, and
test_case_inputs_are_away_from_boundaries checks that no boundary is within
finite-difference reach of any of them (so a failure here is adjoint's). The functions
live in cf_functions.py because adjoint reads source with inspect. Scalar (Python float)
and numpy-array versions of the same function are both checked where the function allows
it, because adjoint compiles different code per argument types.
"""
from __future__ import annotations

import copy
import inspect
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import adjoint
import cf_functions as cf
from adjoint.testing import check_grads, numerical_grad
from helpers import check_in_place, line_of

RNG = np.random.default_rng(20240917)


def _r(*shape, low=-1.2, high=1.2):
    return RNG.uniform(low, high, size=shape)


def _pos(*shape, low=0.3, high=1.3):
    return RNG.uniform(low, high, size=shape)


CF_FILE = cf.__file__
XS = _r(5, 2)
H0 = _r(3)
WH = _r(3, 3) * 0.8
WX = _r(2, 3) * 0.8
CONV_X = _r(7)
CONV_W = _r(3)
NESTED_X = np.array([[0.5, -0.3, 0.7], [0.8, 0.9, -0.4], [1.1, 0.2, 0.3]])

# (id, function, args, wrt)
CASES = [
    # -- branches on data, ints, shapes
    ("if_elif_else_then", cf.if_elif_else, (0.71,), 0),
    ("if_elif_else_elif", cf.if_elif_else, (-0.83,), 0),
    ("if_elif_else_else", cf.if_elif_else, (0.12,), 0),
    ("if_no_else_taken", cf.if_no_else_reassign, (0.9, -1.3), (0, 1)),
    ("if_no_else_not_taken", cf.if_no_else_reassign, (-0.4, 1.7), (0, 1)),
    ("if_no_else_array_y", cf.if_no_else_reassign, (0.9, _r(4)), (0, 1)),
    ("if_on_int_big", cf.if_on_int, (0.7, 3), 0),
    ("if_on_int_small", cf.if_on_int, (0.7, 1), 0),
    ("if_on_shape_long", cf.if_on_shape, (_r(4),), 0),
    ("if_on_shape_short", cf.if_on_shape, (_r(2),), 0),
    ("if_on_ndim_1", cf.if_on_ndim, (_r(4),), 0),
    ("if_on_ndim_2", cf.if_on_ndim, (_r(2, 3),), 0),
    ("and_or_not_first", cf.if_and_or_not, (0.6, 0.4), (0, 1)),
    ("and_or_not_second", cf.if_and_or_not, (1.6, -2.7), (0, 1)),
    ("and_or_not_else", cf.if_and_or_not, (-0.6, 0.4), (0, 1)),
    ("chained_inner", cf.if_chained, (0.45, 1.3), (0, 1)),
    ("chained_second", cf.if_chained, (-0.45, 1.3), (0, 1)),
    ("chained_else", cf.if_chained, (1.45, -1.3), (0, 1)),
    ("boolop_on_calls_then", cf.if_boolop_on_calls, (np.array([0.3, -0.2, 0.9, 0.4]),), 0),
    ("boolop_on_calls_else", cf.if_boolop_on_calls, (np.array([0.3, -0.2, 3.9, 0.4]),), 0),
    ("ifexp_a", cf.ifexp, (0.8, -0.6), (0, 1)),
    ("ifexp_b", cf.ifexp, (-0.8, 0.6), (0, 1)),
    ("ifexp_array", cf.ifexp_array, (np.array([0.3, -0.2, 0.9, 0.4]),), 0),
    ("ifexp_array_else", cf.ifexp_array, (np.array([-0.3, -0.2, 0.1, 0.1]),), 0),
    ("one_branch_name_taken", cf.one_branch_name, (0.8, -1.1), (0, 1)),
    ("one_branch_name_skipped", cf.one_branch_name, (-0.2, -1.1), (0, 1)),
    ("nested_ifs_pp", cf.nested_ifs, (0.5, 0.7), (0, 1)),
    ("nested_ifs_pn", cf.nested_ifs, (0.5, -0.7), (0, 1)),
    ("nested_ifs_np", cf.nested_ifs, (-0.5, 1.7), (0, 1)),
    ("nested_ifs_nn", cf.nested_ifs, (-0.5, 0.7), (0, 1)),
    ("branch_overwrites_test_var", cf.branch_overwrites_test_var, (0.9,), 0),
    ("branch_overwrites_test_var_else", cf.branch_overwrites_test_var, (0.1,), 0),
    ("elif_overwrites_test_var_then", cf.elif_overwrites_test_var, (1.5,), 0),
    ("elif_overwrites_test_var_elif", cf.elif_overwrites_test_var, (0.5,), 0),
    ("elif_overwrites_test_var_else", cf.elif_overwrites_test_var, (-0.5,), 0),
    ("lazy_ifexp_untaken_side_would_raise", cf.lazy_ifexp, (-0.5,), 0),
    ("lazy_ifexp_taken", cf.lazy_ifexp, (0.7,), 0),
    ("lazy_and_short_circuits", cf.lazy_and, (np.array([0.3, -0.5, 1.1]), 5), 0),
    ("lazy_and_both", cf.lazy_and, (np.array([0.3, 0.5, 1.1]), 1), 0),
    ("param_in_one_branch_taken", cf.param_in_one_branch, (0.7, 0.4), (0, 1)),
    ("param_in_one_branch_skipped", cf.param_in_one_branch, (0.7, -0.4), (0, 1)),
    ("branch_golden_then", cf.branch_golden, (0.5, 0.2), (0, 1)),
    ("branch_golden_else", cf.branch_golden, (-0.5, 0.2), (0, 1)),
    ("if_on_array_data", cf.if_on_array_data, (np.array([0.3, -0.2, 0.9, 0.4]),), 0),
    ("if_on_array_data_else", cf.if_on_array_data, (np.array([-0.3, 0.2, -0.9, 0.4]),), 0),
    # -- for loops
    ("loop_scalar", cf.loop_scalar, (0.7, 1.1, 4), (0, 1)),
    ("loop_scalar_zero_trips", cf.loop_scalar, (0.7, 1.1, 0), (0, 1)),
    ("loop_scalar_numpy_scalars", cf.loop_scalar, (np.float64(0.7), np.float64(1.1), np.int64(4)), (0, 1)),
    ("loop_affine_sum", cf.loop_affine_sum, (0.7, 1.1, 4), (0, 1)),
    ("loop_affine_sum_array_x", cf.loop_affine_sum, (_r(3), 0.9, 3), (0, 1)),
    ("loop_affine_sum_array_both", cf.loop_affine_sum, (_r(3), _r(3), 3), (0, 1)),
    ("range_start_stop_step", cf.range_start_stop_step, (0.8,), 0),
    ("range_start_stop_step_array", cf.range_start_stop_step, (_r(3),), 0),
    ("range_negative_step", cf.range_negative_step, (0.8,), 0),
    ("range_negative_step_array", cf.range_negative_step, (_r(3),), 0),
    ("range_negative_step_shape", cf.range_negative_step_array, (_r(4),), 0),
    ("range_from_shape", cf.range_from_shape, (_r(4),), 0),
    ("range_from_data_int", cf.range_from_data_int, (_r(3), 2), 0),
    ("range_from_data_int_scalar", cf.range_from_data_int, (0.7, 3), 0),
    ("for_rows", cf.for_rows, (_r(3, 4), _r(4)), (0, 1)),
    ("for_tuple_consts", cf.for_tuple_consts, (0.8,), 0),
    ("for_tuple_consts_array", cf.for_tuple_consts, (_r(4),), 0),
    ("for_list_consts", cf.for_list_consts, (0.8,), 0),
    ("for_list_consts_array", cf.for_list_consts, (_r(4),), 0),
    ("for_tuple_diff", cf.for_tuple_diff, (0.8, -1.2, 0.4), (0, 1, 2)),
    ("for_list_diff", cf.for_list_diff, (0.8, -1.2), (0, 1)),
    ("for_enumerate", cf.for_enumerate, (0.8,), 0),
    ("for_enumerate_array", cf.for_enumerate, (_r(3),), 0),
    ("for_enumerate_rows", cf.for_enumerate_rows, (_r(3, 4),), 0),
    ("for_zip", cf.for_zip, (_r(3, 4), _r(3, 4)), (0, 1)),
    ("for_zip_unequal", cf.for_zip, (_r(4, 2), _r(3, 2)), (0, 1)),
    ("for_zip_consts", cf.for_zip_consts, (0.8,), 0),
    ("for_zip_consts_array", cf.for_zip_consts, (_r(3),), 0),
    ("for_reversed_range", cf.for_reversed_range, (0.8,), 0),
    ("for_reversed_range_array", cf.for_reversed_range, (_r(3),), 0),
    ("for_reversed_rows", cf.for_reversed_rows, (_r(3, 4),), 0),
    ("for_reversed_list", cf.for_reversed_list, (0.8,), 0),
    ("for_reversed_list_array", cf.for_reversed_list, (_r(3),), 0),
    ("loop_carried_pair", cf.loop_carried_pair, (0.8, 4), 0),
    ("loop_carried_pair_array", cf.loop_carried_pair, (_r(3), 3), 0),
    ("loop_multi_carried", cf.loop_multi_carried, (0.8, -0.4), (0, 1)),
    ("loop_multi_carried_array", cf.loop_multi_carried, (_r(3), _r(3)), (0, 1)),
    ("loop_uses_index", cf.loop_uses_index, (0.8,), 0),
    ("loop_uses_index_array", cf.loop_uses_index, (_r(4),), 0),
    ("rows_reassigned_in_body", cf.rows_reassigned, (_r(3, 2),), 0),
    ("range_bound_reassigned_in_body", cf.range_bound_reassigned, (0.7, 3), 0),
    ("loop_target_overwritten_in_body", cf.target_overwritten, (0.7,), 0),
    ("index_after_loop", cf.index_after_loop, (0.7,), 0),
    ("index_after_loop_array", cf.index_after_loop, (_r(3),), 0),
    ("ifexp_in_loop", cf.ifexp_in_loop, (0.7,), 0),
    ("first_iter_branch", cf.first_iter_branch, (0.7,), 0),
    ("first_iter_branch_array", cf.first_iter_branch, (_r(3),), 0),
    ("inner_depends_on_outer", cf.inner_depends_on_outer, (0.7,), 0),
    ("inner_depends_on_outer_array", cf.inner_depends_on_outer, (_r(3),), 0),
    ("tuple_swap_loop", cf.tuple_swap_loop, (0.7, -0.4), (0, 1)),
    ("tuple_swap_loop_array", cf.tuple_swap_loop, (_r(3), _r(3)), (0, 1)),
    ("bool_flag_loop", cf.bool_flag_loop, (0.8,), 0),
    # -- while loops
    ("continue_in_while", cf.continue_in_while, (0.7,), 0),
    ("continue_in_while_array", cf.continue_in_while, (_r(3),), 0),
    ("return_in_while", cf.return_in_while, (0.7,), 0),
    ("return_in_while_first_trip", cf.return_in_while, (2.5,), 0),
    ("while_call_and", cf.while_call_and, (np.array([0.3, -0.5, 1.1]),), 0),
    ("while_data_exit", cf.while_data_exit, (1.3,), 0),
    ("while_data_exit_fast", cf.while_data_exit, (2.6,), 0),
    ("while_halving", cf.while_halving, (7.3,), 0),
    ("while_halving_no_trip", cf.while_halving, (0.7,), 0),
    ("while_array_norm", cf.while_array_norm, (np.array([0.3, -0.2, 0.9, 0.4]),), 0),
    ("while_break", cf.while_break, (0.55,), 0),
    ("while_counter", cf.while_counter, (0.8, 4), 0),
    ("while_counter_array", cf.while_counter, (_r(3), 3), 0),
    # -- break, continue, return
    ("loop_break", cf.loop_break, (0.6,), 0),
    ("loop_break_never", cf.loop_break, (-3.0,), 0),
    ("loop_continue", cf.loop_continue, (0.8,), 0),
    ("loop_continue_array", cf.loop_continue, (_r(3),), 0),
    ("loop_continue_data", cf.loop_continue_data, (0.8,), 0),
    ("loop_continue_data_neg", cf.loop_continue_data, (-0.7,), 0),
    ("early_return_loop", cf.early_return_loop, (0.5,), 0),
    ("early_return_loop_never", cf.early_return_loop, (-3.0,), 0),
    ("early_return_rows", cf.early_return_rows, (np.array([[0.5, -0.3], [0.8, 0.9], [1.1, 0.2]]),), 0),
    ("early_return_rows_never", cf.early_return_rows, (np.array([[0.5, -0.3], [0.1, 0.4], [0.2, 0.2]]),), 0),
    ("break_then_use_index", cf.break_then_use_index, (0.7,), 0),
    ("early_return_top", cf.early_return_top, (0.7,), 0),
    ("early_return_top_loop", cf.early_return_top, (0.3,), 0),
    ("nested_return_in_while", cf.nested_return_in_while, (0.7,), 0),
    ("nested_return_in_while_later", cf.nested_return_in_while, (1.3,), 0),
    ("nested_return_in_while_never", cf.nested_return_in_while, (6.0,), 0),
    ("many_returns_1", cf.many_returns, (1.5, 0.3), (0, 1)),
    ("many_returns_2", cf.many_returns, (0.5, 0.3), (0, 1)),
    ("many_returns_3", cf.many_returns, (0.5, -0.3), (0, 1)),
    ("many_returns_4", cf.many_returns, (-0.5, -1.3), (0, 1)),
    ("many_returns_5", cf.many_returns, (-0.5, 0.3), (0, 1)),
    ("nested_break_continue", cf.nested_break_continue, (0.8,), 0),
    ("nested_break_continue_array", cf.nested_break_continue, (_r(3),), 0),
    ("nested_data_break", cf.nested_data_break, (0.6,), 0),
    ("nested_return", cf.nested_return, (NESTED_X,), 0),
    ("nested_return_never", cf.nested_return, (np.array([[0.5, -0.3, 0.7], [0.2, 0.1, -0.4]]),), 0),
    ("loop_in_branch_then", cf.loop_in_branch, (0.8, 3), 0),
    ("loop_in_branch_else", cf.loop_in_branch, (0.2, 3), 0),
    ("branch_in_loop", cf.branch_in_loop, (0.8,), 0),
    ("branch_in_loop_big", cf.branch_in_loop, (1.9,), 0),
    ("branch_in_loop_array", cf.branch_in_loop_array, (np.array([0.3, -0.2, 0.9, 0.4]),), 0),
    ("branch_in_loop_array_else", cf.branch_in_loop_array, (np.array([-0.3, -0.2, 0.1, -0.4]),), 0),
    ("nested_loops", cf.nested_loops, (_r(3, 4),), 0),
    ("while_in_for", cf.while_in_for, (0.9,), 0),
    # -- augmented assignment
    ("aug_scalar", cf.aug_scalar, (0.8, -1.3), (0, 1)),
    ("aug_array_local", cf.aug_array_local, (_r(4),), 0),
    ("aug_array_fresh_binop", cf.aug_array_fresh_binop, (_r(4),), 0),
    ("pow_aug_loop", cf.pow_aug_loop, (0.7,), 0),
    ("pow_aug_loop_array", cf.pow_aug_loop, (_pos(3, low=0.6),), 0),
    ("aug_param_after_rebind", cf.aug_param_after_rebind, (_r(3),), 0),
    ("aug_in_loop", cf.aug_in_loop, (0.8,), 0),
    ("aug_in_loop_array", cf.aug_in_loop, (_r(3),), 0),
    ("aug_param_scalar", cf.aug_param_scalar, (0.8, -1.3), (0, 1)),
    # -- required cases
    ("conv1d", cf.conv1d, (CONV_X, CONV_W), (0, 1)),
    ("rnn", cf.rnn, (H0, WH, WX, XS), (0, 1, 2)),
    ("rnn_mean", cf.rnn_mean, (H0, WH, WX, XS), (0, 1, 2)),
    ("newton_sqrt", cf.newton_sqrt, (2.7,), 0),
    ("newton_sqrt_small", cf.newton_sqrt, (0.35,), 0),
    ("switching_pos", cf.switching, (0.7,), 0),
    ("switching_neg", cf.switching, (-0.7,), 0),
    ("switching_numpy_scalar", cf.switching, (np.float64(-0.7),), 0),
]


def test_at_least_40_distinct_control_flow_functions():
    assert len({id(case[1]) for case in CASES}) >= 40


def test_scalar_and_array_inputs_both_covered():
    def kinds(case):
        return {"array" if isinstance(a, np.ndarray) else "scalar"
                for a in case[2] if isinstance(a, (float, np.ndarray))}
    funcs = {}
    for case in CASES:
        funcs.setdefault(case[1], set()).update(kinds(case))
    both = [f for f, k in funcs.items() if k == {"scalar", "array"}]
    assert len(both) >= 12


def _positions(func, wrt):
    names = list(func.__code__.co_varnames[:func.__code__.co_argcount])
    items = (wrt,) if isinstance(wrt, (int, str)) else wrt
    return [names.index(w) if isinstance(w, str) else w for w in items]


@pytest.mark.parametrize("name,func,args,wrt", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, func, args, wrt):
    before = copy.deepcopy(args)
    grads = check_grads(func, *args, wrt=wrt)
    for position, g in zip(_positions(func, wrt), grads):
        assert np.shape(g) == np.shape(args[position])
    for old, new in zip(before, args):  # the caller's inputs are untouched
        np.testing.assert_array_equal(np.asarray(old), np.asarray(new))


@pytest.mark.parametrize("name,func,args,wrt", CASES, ids=[c[0] for c in CASES])
def test_case_inputs_are_away_from_boundaries(name, func, args, wrt):
    # the finite differences themselves agree at two step sizes (no kink or path switch)
    for position in _positions(func, wrt):
        assert _smooth_at(func, args, position), f"{name}: input too close to a boundary"


VALUE_CASES = [c for c in CASES if c[0] in {
    "if_elif_else_elif", "and_or_not_second", "loop_affine_sum_array_both", "for_rows",
    "for_zip_unequal", "while_data_exit", "while_array_norm", "loop_break", "early_return_loop",
    "early_return_rows", "many_returns_3", "nested_break_continue", "nested_return",
    "branch_in_loop", "aug_in_loop_array", "conv1d", "rnn", "newton_sqrt", "while_in_for",
    "rows_reassigned_in_body", "return_in_while", "lazy_ifexp_untaken_side_would_raise",
    "lazy_and_short_circuits", "continue_in_while_array"}]


def test_value_cases_exist():
    assert len(VALUE_CASES) == 24


@pytest.mark.parametrize("name,func,args,wrt", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_and_grad_value_equals_function_value(name, func, args, wrt):
    value, grads = adjoint.value_and_grad(func, wrt=wrt)(*args)
    expected = func(*args)
    assert np.shape(value) == np.shape(expected)
    assert float(value) == pytest.approx(float(expected), rel=1e-12, abs=1e-12)
    alone = adjoint.grad(func, wrt=wrt)(*args)
    for a, b in zip(grads if isinstance(grads, tuple) else (grads,),
                    alone if isinstance(alone, tuple) else (alone,)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -- one gradient object, different paths on different calls ---------------------------------

SWITCH_CALLS = [
    ("switching", cf.switching, [(0.7,), (-0.7,), (1.9,)]),
    ("branch_in_loop_array", cf.branch_in_loop_array,
     [(np.array([0.3, -0.2, 0.9, 0.4]),), (np.array([-0.3, -0.2, 0.1, -0.4]),)]),
    ("while_data_exit", cf.while_data_exit, [(1.3,), (2.6,), (0.4,)]),
    ("early_return_loop", cf.early_return_loop, [(0.5,), (-3.0,)]),
    ("many_returns", cf.many_returns, [(1.5, 0.3), (0.5, 0.3), (0.5, -0.3), (-0.5, -1.3)]),
]


@pytest.mark.parametrize("name,func,calls", SWITCH_CALLS, ids=[c[0] for c in SWITCH_CALLS])
def test_same_gradient_object_follows_each_calls_path(name, func, calls):
    df = adjoint.grad(func)
    sources = set()
    for args in calls:
        got = df(*args)
        expected = numerical_grad(func, args, 0)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=f"{name}{args}")
        sources.add(df.source)
    assert len(sources) == 1  # one compiled function served every path


def test_while_trip_count_differs_between_inputs():
    def trips(x):  # the trip count of cf.while_data_exit, computed independently
        t, n = 1.0, 0
        while t < 10.0 and n < 100:
            t, n = t * x + 0.5, n + 1
        return n
    assert (trips(1.3), trips(2.6), trips(0.4)) == (6, 3, 100)
    df = adjoint.value_and_grad(cf.while_data_exit)
    for x in (1.3, 2.6, 0.4):
        value, g = df(x)
        assert value == cf.while_data_exit(x)
        assert g == pytest.approx(numerical_grad(cf.while_data_exit, (x,), 0), rel=1e-5)


# -- zero iterations --------------------------------------------------------------------------

def _exact_zeros_like(g, x):
    assert np.shape(g) == np.shape(x)
    assert np.all(np.asarray(g) == 0.0)


def test_range_zero_gives_zero_gradient_of_scalar_weight():
    gx, gw = adjoint.grad(cf.loop_scalar, wrt=("x", "w"))(0.7, 1.1, 0)
    assert (gx, gw) == (1.0, 0.0)


def test_zero_trips_body_only_gives_zeros_of_input_shape():
    x = _r(2, 3)
    _exact_zeros_like(adjoint.grad(cf.zero_trips_body_only)(x, 0), x)
    check_grads(cf.zero_trips_body_only, x, 3)


def test_zero_trips_carried_gives_input_gradient_only():
    x = _r(3)
    g = adjoint.grad(cf.zero_trips_carried)(x, 0)
    np.testing.assert_array_equal(g, cf.W4[:3])
    check_grads(cf.zero_trips_carried, x, 2)


def test_zero_rows_gives_zeros_of_both_shapes():
    X, v = np.zeros((0, 3)), _r(3)
    gX, gv = adjoint.grad(cf.zero_rows, wrt=(0, 1))(X, v)
    _exact_zeros_like(gX, X)
    _exact_zeros_like(gv, v)


def test_while_never_entered_gives_zeros():
    x = _r(4)
    _exact_zeros_like(adjoint.grad(cf.zero_trips_while)(x), x)


def test_rnn_with_no_steps():
    xs = np.zeros((0, 2))
    gh, gWh, gWx = adjoint.grad(cf.rnn, wrt=(0, 1, 2))(H0, WH, WX, xs)
    np.testing.assert_array_equal(gh, np.ones(3))
    _exact_zeros_like(gWh, WH)
    _exact_zeros_like(gWx, WX)


# -- the generated code ------------------------------------------------------------------------

def _lines(func):
    """{statement text: absolute line} for func's body, read from the file itself."""
    source, start = inspect.getsourcelines(func)
    return {line.strip(): start + k for k, line in enumerate(source)}


def test_golden_scalar_loop():
    n = _lines(cf.loop_scalar)
    expected = f"""\
# gradient of loop_scalar with respect to x, w
def grad_loop_scalar(x, w, n):
    x_tape = []
    for i in range(n):
        x_tape.append(x)
        x = x * w + 1.0
    # return x  [cf_functions.py:{n['return x']}]
    grad_x = 1.0
    # for i in range(n):  [cf_functions.py:{n['for i in range(n):']}]
    grad_w = 0.0
    for x in reversed(x_tape):
        # x = x * w + 1.0  [cf_functions.py:{n['x = x * w + 1.0']}]
        grad_s0 = grad_x
        grad_x = grad_x * w
        grad_w = grad_w + grad_s0 * x
    return (float(grad_x), float(grad_w))
"""
    assert adjoint.source(cf.loop_scalar, ("x", "w"), 0.7, 1.1, 3) == expected
    check_grads(cf.loop_scalar, 0.7, 1.1, 3, wrt=(0, 1))


def test_golden_branch_value_and_grad():
    n = _lines(cf.branch_golden)
    expected = f"""\
# gradient of branch_golden with respect to x, y
def value_and_grad_branch_golden(x, y):
    if x > 0.3:
        z = x * y
    else:
        z = np.sin(y)
    out = z * 2.0
    # return z * 2.0  [cf_functions.py:{n['return z * 2.0']}]
    grad_out = 1.0
    grad_z = grad_out * 2.0
    # if x > 0.3:  [cf_functions.py:{n['if x > 0.3:']}]
    if x > 0.3:
        # z = x * y  [cf_functions.py:{n['z = x * y']}]
        grad_x = grad_z * y
        grad_y = grad_z * x
    else:
        # z = np.sin(y)  [cf_functions.py:{n['z = np.sin(y)']}]
        grad_y = grad_z * np.cos(y)
        # if x > 0.3:  [cf_functions.py:{n['if x > 0.3:']}]
        grad_x = 0.0
    return (out, (float(grad_x), float(grad_y)))
"""
    assert adjoint.source(cf.branch_golden, ("x", "y"), 0.5, 0.2, value=True) == expected
    df = adjoint.value_and_grad(cf.branch_golden, wrt=("x", "y"))
    assert df(0.5, 0.2) == (0.2, (0.4, 1.0))
    value, (gx, gy) = df(-0.5, 0.2)
    assert (value, gx) == (np.sin(0.2) * 2.0, 0.0) and gy == pytest.approx(2.0 * np.cos(0.2))


def test_rnn_pushes_h_onto_h_tape():
    src = adjoint.source(cf.rnn, ("h", "Wh", "Wx"), H0, WH, WX, XS)
    lines = [line.strip() for line in src.splitlines()]
    assert "h_tape = []" in lines
    assert "h_tape.append(h)" in lines
    assert "h = h_tape.pop()" in lines
    assert "for t in range(s1):" in lines or any(re.fullmatch(r"for t in range\(.*\):", l) for l in lines)
    assert any(re.fullmatch(r"for t in reversed\(range\(.*\)\):", l) for l in lines)
    # forward: the push comes right before h is overwritten
    push = lines.index("h_tape.append(h)")
    assert lines[push + 1].startswith("h = np.tanh(")


IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
# a plain name: words joined by "_", a word being letters with at most a two-digit counter
PLAIN_PART = re.compile(r"[A-Za-z]+\d{0,2}|\d{1,2}")


def _generated_names(src: str, func) -> set:
    code = "\n".join(line.split("#", 1)[0] for line in src.splitlines())
    names = set(IDENT.findall(code))
    return {n for n in names if not n.endswith(func.__name__)}  # the def's own name


def test_generated_names_are_plain():
    checked = 0
    for name, func, args, wrt in CASES:
        try:
            src = adjoint.source(func, wrt, *args)
        except adjoint.AdjointError:
            continue  # reported by its own test
        for ident in _generated_names(src, func):
            parts = ident.split("_")
            assert all(PLAIN_PART.fullmatch(p) for p in parts if p), (name, ident)
        checked += 1
    assert checked >= 100


DETERMINISM = [cf.rnn, cf.branch_in_loop_array, cf.nested_break_continue, cf.many_returns,
               cf.while_data_exit, cf.conv1d, cf.early_return_rows, cf.loop_multi_carried]


@pytest.mark.parametrize("func", DETERMINISM, ids=[f.__name__ for f in DETERMINISM])
def test_same_function_gives_byte_identical_source(func):
    case = next(c for c in CASES if c[1] is func)
    first = adjoint.source(func, case[3], *case[2])
    second = adjoint.source(func, case[3], *case[2])
    assert first == second
    assert adjoint.source(func, case[3], *case[2], value=True) == \
        adjoint.source(func, case[3], *case[2], value=True)


def test_source_identical_across_interpreters_and_hash_seeds():
    script = ("import numpy as np, adjoint, cf_functions as cf\n"
              "h, Wh, Wx, xs = np.ones(3), np.ones((3, 3)), np.ones((2, 3)), np.ones((4, 2))\n"
              "print(adjoint.source(cf.rnn, (0, 1, 2), h, Wh, Wx, xs))\n"
              "print(adjoint.source(cf.nested_break_continue, 0, 0.8))\n"
              "print(adjoint.source(cf.many_returns, (0, 1), 0.5, 0.3, value=True))\n")
    here = os.path.dirname(os.path.abspath(__file__))
    outs = []
    for seed in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script], cwd=here, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert "h_tape.append(h)" in outs[0]


# -- what cannot be compiled is refused, with file and line ---------------------------------------

BAD = [
    ("for_else", cf.bad_for_else, (0.5,), "for-else", "for ... else"),
    ("while_else", cf.bad_while_else, (0.5,), "while-else", "while ... else"),
    ("try_in_loop", cf.bad_try_in_loop, (0.5,), "try-loop", "try"),
]


@pytest.mark.parametrize("name,func,args,tag,construct", BAD, ids=[b[0] for b in BAD])
def test_unsupported_construct_is_refused_with_file_and_line(name, func, args, tag, construct):
    line = line_of(CF_FILE, tag)
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.grad(func)(*args)
    message = str(info.value)
    assert f"cf_functions.py:{line}:" in message
    assert construct in message
    assert any(p.location is not None and p.location.line == line for p in info.value.problems)
    # also refused when only the source is asked for
    with pytest.raises(adjoint.AdjointError):
        adjoint.source(func, 0, *args)


AUG_ON_PARAMETERS = [
    ("aug_array_param", cf.aug_array_param, (_r(3),)),
    ("aug_array_param_in_loop", cf.aug_array_param_in_loop, (_r(3),)),
    ("aug_array_param_in_branch", cf.aug_array_param_in_branch, (_r(3), 1)),
    ("aug_param_via_local", cf.aug_param_via_local, (_pos(3),)),
]


@pytest.mark.parametrize("name,func,args", AUG_ON_PARAMETERS, ids=[a[0] for a in AUG_ON_PARAMETERS])
def test_aug_on_an_array_parameter_is_differentiated_and_the_callers_array_kept(name, func, args):
    # x op= v on a parameter: the function as written (numpy would change the caller's
    # array; adjoint never does), with its gradient
    check_in_place(func, *args)


def test_aug_on_scalar_parameter_is_fine_and_arrays_are_never_mutated():
    check_grads(cf.aug_param_scalar, 0.8, -1.3, wrt=(0, 1))
    x = _r(3)
    before = x.copy()
    check_grads(cf.aug_param_after_rebind, x)
    np.testing.assert_array_equal(x, before)


ALIAS = [
    ("alias_by_assignment", cf.aug_alias_local, (_r(4),)),
    ("alias_in_one_branch", cf.aug_branch_alias, (_r(4), 1)),
    ("alias_over_loop_back_edge", cf.aug_loop_back_edge_alias, (_r(4),)),
]


@pytest.mark.parametrize("name,func,args", ALIAS, ids=[a[0] for a in ALIAS])
def test_aug_on_aliased_local_array_is_right_or_refused(name, func, args):
    """acc += v where acc may be another name's array: Python changes both names, so the
    gradient must follow that, or adjoint must refuse; a wrong gradient is a bug."""
    try:
        value, g = adjoint.value_and_grad(func)(*copy.deepcopy(args))
    except adjoint.AdjointError:
        return
    assert value == pytest.approx(func(*copy.deepcopy(args)), rel=1e-12)
    check_grads(func, *args)


# -- a broad randomized sweep ---------------------------------------------------------------------

def _smooth_at(func, args, position):
    """False when a branch boundary or kink is within finite-difference reach of args."""
    try:
        a = numerical_grad(func, args, position, eps=1e-6)
        b = numerical_grad(func, args, position, eps=1e-4)
    except (FloatingPointError, OverflowError, ValueError, ZeroDivisionError):
        return False
    return bool(np.all(np.isfinite(a)) and np.allclose(a, b, rtol=1e-3, atol=1e-5))


SWEEP = [
    # (function, draw args from rng, wrt)
    (cf.if_elif_else, lambda g: (g.uniform(-1.5, 1.5),), 0),
    (cf.if_and_or_not, lambda g: (g.uniform(-2, 2), g.uniform(-3, 2)), (0, 1)),
    (cf.if_chained, lambda g: (g.uniform(-2, 2), g.uniform(-2, 2)), (0, 1)),
    (cf.nested_ifs, lambda g: (g.uniform(-2, 2), g.uniform(-2, 2)), (0, 1)),
    (cf.many_returns, lambda g: (g.uniform(-2, 2), g.uniform(-2, 2)), (0, 1)),
    (cf.loop_break, lambda g: (g.uniform(-1, 2),), 0),
    (cf.loop_continue_data, lambda g: (g.uniform(-1.5, 1.5),), 0),
    (cf.early_return_loop, lambda g: (g.uniform(-1, 2),), 0),
    (cf.while_data_exit, lambda g: (g.uniform(0.5, 3.0),), 0),
    (cf.while_halving, lambda g: (g.uniform(0.5, 20.0),), 0),
    (cf.newton_sqrt, lambda g: (g.uniform(0.2, 9.0),), 0),
    (cf.nested_data_break, lambda g: (g.uniform(0.1, 1.5),), 0),
    (cf.branch_in_loop, lambda g: (g.uniform(-1.5, 2.5),), 0),
    (cf.branch_in_loop_array, lambda g: (g.uniform(-1, 1, 4),), 0),
    (cf.branch_overwrites_test_var, lambda g: (g.uniform(-1.5, 1.5),), 0),
    (cf.ifexp_in_loop, lambda g: (g.uniform(0.1, 2.0),), 0),
    (cf.bool_flag_loop, lambda g: (g.uniform(0.2, 2.5),), 0),
    (cf.loop_in_branch, lambda g: (g.uniform(-1, 1.5), int(g.integers(0, 5))), 0),
    (cf.while_in_for, lambda g: (g.uniform(0.2, 3.0),), 0),
    (cf.early_return_rows, lambda g: (g.uniform(-1, 1, (int(g.integers(1, 5)), 2)),), 0),
    (cf.nested_return, lambda g: (g.uniform(-1, 1, (int(g.integers(1, 4)), 3)),), 0),
    (cf.conv1d, lambda g: (g.uniform(-1, 1, int(g.integers(3, 9))), g.uniform(-1, 1, 3)), (0, 1)),
    (cf.rnn, lambda g: (g.uniform(-1, 1, 3), g.uniform(-1, 1, (3, 3)), g.uniform(-1, 1, (2, 3)),
                        g.uniform(-1, 1, (int(g.integers(0, 7)), 2))), (0, 1, 2)),
    (cf.for_zip, lambda g: (g.uniform(-1, 1, (int(g.integers(0, 4)), 2)),
                            g.uniform(-1, 1, (int(g.integers(0, 4)), 2))), (0, 1)),
    (cf.loop_affine_sum, lambda g: (g.uniform(-1, 1, 3), g.uniform(-1, 1), int(g.integers(0, 6))), (0, 1)),
    (cf.range_from_data_int, lambda g: (g.uniform(0.2, 1.2, 3), int(g.integers(0, 4))), 0),
]


@pytest.mark.slow
@pytest.mark.parametrize("func,draw,wrt", SWEEP, ids=[s[0].__name__ for s in SWEEP])
def test_randomized_sweep(func, draw, wrt):
    rng = np.random.default_rng(7)
    positions = (wrt,) if isinstance(wrt, int) else wrt
    df = adjoint.grad(func, wrt=positions)  # one object across every drawn input and path
    done = 0
    for _ in range(60):
        args = draw(rng)
        if not all(_smooth_at(func, args, p) for p in positions):
            continue
        check_grads(func, *args, wrt=wrt, grad_fn=df)
        done += 1
        if done == 12:
            break
    assert done >= 6


def test_rnn_tapes_hold_h_only():
    """The backward needs h (tanh's output) from each step; of h @ Wh and xs[t] @ Wx it
    needs only the shapes (for unbroadcast), which follow from h's, Wh's, xs[t]'s and
    Wx's, all at hand in the backward: the forward keeps h and nothing else."""
    rng = np.random.default_rng(3)
    args = (rng.standard_normal((2, 3)), rng.standard_normal((3, 3)) * 0.5,
            rng.standard_normal((4, 3)) * 0.5, rng.standard_normal((5, 2, 4)))
    source = adjoint.source(cf.rnn, (1, 2), *args)
    pushed = re.findall(r"(\w+)_tape\.append\((\w+)\)", source)
    assert [value for _, value in pushed] == ["h"], source
    assert "unbroadcast_matmul(" in source and "_shape" not in source
    check_grads(cf.rnn, *args, wrt=(0, 1, 2))


def concatenates_itself(x, w):
    for i in range(3):
        x = np.concatenate([x * w, x])
    return np.sum(x * x)


def test_a_loop_reassigning_x_from_a_list_holding_x():
    """x = np.concatenate([x * w, x]): the old x gets its share through the list too (it
    used to be dropped: the share went to the new x, whose gradient is then reset)."""
    check_grads(concatenates_itself, np.array([0.3, -0.5]), 0.7, wrt=(0, 1))
