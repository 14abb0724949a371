"""Names made before an in-place write into their memory and read after it (views,
aliases, transposes, lists, the items a loop visits, rows of a matrix), and op= on values
that may be numbers: differentiated with numpy's semantics (adjoint/reverse/refresh.py).

Each case: adjoint's gradient for every input against finite differences of the function
run on copies, value_and_grad's value against the function's own, the caller's arrays
unchanged (helpers.check_in_place).
"""
from __future__ import annotations

import numpy as np
import pytest

import adjoint
import inplace_views as p
from helpers import check_in_place

RNG = np.random.default_rng(20260101)


def _r(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


CASES = [
    ("view_read_after_write", p.view_read_after_write, (_r(5), 0.7), (0, 1)),
    ("row_read_after_its_update", p.row_read_after_its_update, (_r(3, 4), _r(4)), (0, 1)),
    ("entry_read_after_its_update_1d", p.row_read_after_its_update, (_r(3), 0.4), (0, 1)),
    ("iterate_while_writing_1d", p.iterate_while_writing, (_r(4), 0.3), (0, 1)),
    ("iterate_while_writing_2d", p.iterate_while_writing, (_r(3, 2), 0.3), (0, 1)),
    ("float_op_assign_after_alias", p.float_op_assign_after_alias, (_r(4), 0.3), (0, 1)),
    ("write_into_a_row_then_read_the_matrix", p.write_into_a_row_then_read_the_matrix,
     (_r(3, 4), _r(4)), (0, 1)),
    ("op_assign_then_read_an_alias", p.op_assign_then_read_an_alias, (_r(4), _r(4)), (0, 1)),
    ("list_holding_a_written_array", p.list_holding_a_written_array, (_r(4), 0.6), (0, 1)),
    ("view_read_in_the_next_iteration", p.view_read_in_the_next_iteration, (_r(5),), 0),
    ("transpose_read_after_write", p.transpose_read_after_write, (_r(3, 3),), 0),
    ("write_through_a_slice_view", p.write_through_a_slice_view, (_r(4),), 0),
    ("row_of_a_matrix_read_after_write", p.row_of_a_matrix_read_after_write, (_r(2, 3),), 0),
    ("entry_read_after_write_is_a_copy", p.entry_read_after_write_is_a_copy, (_r(4),), 0),
    ("calls_helper_with_a_number", p.calls_helper_with_a_number, (_r(3), 0.4), (0, 1)),
    ("write_through_an_alias", p.write_through_an_alias, (_r(4), 0.8), (0, 1)),
    ("stencil_with_a_view_of_the_interior", p.stencil_with_a_view_of_the_interior,
     (_r(7), 0.15), (0, 1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_differentiated_with_numpys_semantics(case):
    _, func, args, wrt = case
    check_in_place(func, *args, wrt=wrt)


def test_a_view_read_after_a_write_reads_the_view_made_again():
    source = adjoint.grad(p.view_read_after_write).source
    assert "v_now = x_1[1:]" in source


def test_an_op_assign_that_may_be_on_an_array_is_checked_to_be_a_number_when_it_runs():
    # a += 1.0 where a is an array shared with t: compiled for a number, refused at run time
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.grad(p.float_op_assign_after_alias, wrt=0)(_r(3), _r(3))
    assert "inplace_views.py" in str(info.value) and "a += 1.0" in str(info.value)


def test_a_helper_updating_an_array_argument_writes_into_the_callers_array():
    # p += q on an array is numpy's write into s: the caller makes it (callwrites.py)
    check_in_place(p.calls_helper_with_an_array, _r(3))
    assert "s[...] = s_written" in adjoint.grad(p.calls_helper_with_an_array).source
