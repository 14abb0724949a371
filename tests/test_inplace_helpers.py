"""Helpers writing into an array argument the caller reads afterwards, rows updated by
op=, writes into transposes and into views made before another write
(tests/inplace_helper_programs.py).

Each working case goes through `helpers.check_in_place`: the gradient against finite
differences of the function run on copies, the value against the function's own, and the
caller's arrays unchanged. The refused ones name the call's line and leave the caller's
arrays alone too."""
from __future__ import annotations

import copy
import os

import numpy as np
import pytest

import adjoint
import inplace_helper_programs as p
from helpers import check_in_place, line_of

RNG = np.random.default_rng(20251204)
FILE = p.__file__
NAME = os.path.basename(FILE)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


CASES = [
    ("reads_after_set", p.reads_after_set, (_r(4), 0.4), (0, 1)),
    ("reads_after_op", p.reads_after_op, (_r(4), 0.4), (0, 1)),
    ("writes_into_a_row_of_the_base", p.writes_into_a_row_of_the_base, (_r(4),), 0),
    ("particles", p.particles, (_r(3), _r(3)), (0, 1)),
    ("two_arguments_written", p.two_arguments_written, (_r(3), _r(3), 0.3), (0, 1, 2)),
    ("helper_through_helper", p.helper_through_helper, (_r(3), 0.2), (0, 1)),
    ("view_made_before_the_call", p.view_made_before_the_call, (_r(4), 0.2), (0, 1)),
    ("result_rebinds_the_argument", p.result_rebinds_the_argument, (_r(4), 0.2), (0, 1)),
    ("helper_writes_a_constant_array", p.helper_writes_a_constant_array, (_r(3),), 0),
    ("number_in_a_dict", p.number_in_a_dict, ({"w": 0.5}, _r(3)), (0, 1)),
    ("row_updated", p.row_updated, (_r(3),), 0),
    ("row_updated_1d", p.entry_updated_in_a_loop, (_r(4),), 0),
    ("row_updated_by_a_helper", p.row_updated_by_a_helper, (_r(3),), 0),
    ("write_into_a_stale_alias", p.write_into_a_stale_alias, (_r(3),), 0),
    ("write_into_a_transpose", p.write_into_a_transpose, (_r(3),), 0),
    ("view_made_in_the_then_branch", p.view_made_in_a_branch, (_r(4), 0.7), (0, 1)),
    ("view_made_in_the_else_branch", p.view_made_in_a_branch, (_r(4), -0.7), (0, 1)),
    ("list_appended_after_a_write", p.list_appended_after_a_write, (_r(3),), 0),
    ("helper_decides_a_branch_then", p.helper_decides_a_branch, (np.array([0.5, -0.2, 0.3]),), 0),
    ("helper_decides_a_branch_else", p.helper_decides_a_branch, (np.array([-0.5, -0.2, 0.3]),), 0),
]


def test_a_view_made_in_a_branch_is_made_again_by_the_same_decision():
    source = adjoint.grad(p.view_made_in_a_branch).source
    assert "if c > 0:\n        v_now = u[1:]\n    else:\n        v_now = u[:-1]" in source


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradient_value_and_callers_arrays(case):
    _, func, args, wrt = case
    check_in_place(func, *copy.deepcopy(args), wrt=wrt)


def test_the_callers_array_takes_the_helpers_write_and_its_tape_puts_it_back():
    source = adjoint.grad(p.reads_after_set).source
    assert "fwd_set_first_writes_p" in source
    assert "u[...] = u_written" in source
    assert "u_overwritten.pop()" in source  # the backward puts back what the write overwrote


def test_known_gradient_of_a_helper_write():
    # u = x; u[0] = a; f = sum(u**3): df/dx = 3x**2 except at 0, df/da = 3a**2
    x, a = np.array([0.5, -1.0, 2.0]), 0.3
    gx, ga = adjoint.grad(p.reads_after_set, wrt=(0, 1))(x, a)
    np.testing.assert_allclose(gx, [0.0, 3.0, 12.0])
    np.testing.assert_allclose(ga, 3 * a ** 2)
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])


def test_a_list_passed_to_a_helper_compiled_for_an_array_is_refused_when_run():
    def caller(x, a):
        u = [x[0] * 1.0, x[1] * 1.0]
        p.set_first(u, a)
        return u[0] * np.sum(x)
    with pytest.raises(adjoint.AdjointError):
        adjoint.grad(caller, wrt=(0, 1))(_r(2), 0.5)


REFUSED = [
    ("same_array_twice", p.same_array_twice, (_r(3),), "same-array"),
    ("helper_rebinds_its_parameter", p.helper_rebinds_its_parameter, (_r(3), 0.3), "rebinding-helper"),
    ("view_made_in_a_branch_in_a_loop", p.view_made_in_a_branch_in_a_loop, (_r(4),), "branch-in-loop"),
    # not differentiated through, so nothing would put s back for y's backward
    ("helper_writes_what_the_backward_reads", p.helper_writes_what_the_backward_reads,
     (np.array([0.5, -0.2, 0.3]),), "backward-reads"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_helper_write_the_copy_would_not_follow_is_refused(case):
    _, func, args, tag = case
    before = copy.deepcopy(args)
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.grad(func)(*args)
    message = str(info.value)
    assert f"{NAME}:{line_of(FILE, tag)}" in message, message
    assert "fix:" in message
    for a, b in zip(before, args):
        np.testing.assert_array_equal(a, b)


def test_a_helper_returning_its_argument_is_refused():
    # y is u (numpy); on a copy it would be another array: refused, never a wrong value
    with pytest.raises(adjoint.UnsupportedSyntax, match="writes_and_returns"):
        adjoint.grad(p.returns_its_argument)(_r(3), 0.3)
