"""In-place programs (tests/inplace_programs.py): stencils, sweeps, recurrences, particle
updates, masks, repeated indices, shifts, op= anywhere, writes into arguments and numpy's
functions that write into an argument.

Each case is checked by `helpers.check_in_place`: adjoint's gradient against central
finite differences of the function run on copies of its inputs, value_and_grad's value
against the function's own, and the caller's arrays unchanged afterwards. Programs
adjoint cannot follow (a name made before a write into its memory and read after it) are
refused naming the file and both lines, and never change the caller's arrays either.
"""
from __future__ import annotations

import copy
import os

import numpy as np
import pytest

import adjoint
import inplace_programs as p
from helpers import check_in_place, line_of, load_benchmark

RNG = np.random.default_rng(20250612)
FILE = p.__file__
NAME = os.path.basename(FILE)


def _r(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape)


MIXED = np.array([0.55, -0.35, 0.8, -0.65])  # no entry near 0 (mask boundaries)

CASES = [
    # stencils
    ("heat_1d", p.heat_1d, (_r(8),), 0),
    ("reaction_diffusion_1d", p.reaction_diffusion_1d, (_r(8),), 0),
    ("heat_1d_laplacian_augassign", p.heat_1d_laplacian_augassign, (_r(8),), 0),
    ("heat_1d_in_the_argument", p.heat_1d_in_the_argument, (_r(7), 0.2), (0, 1)),
    ("heat_1d_ghost_cells_periodic", p.heat_1d_ghost_cells_periodic, (_r(6), 0.15), (0, 1)),
    ("heat_2d", p.heat_2d, (_r(5, 5),), 0),
    ("heat_2d_periodic_roll", p.heat_2d_periodic_roll, (_r(4, 4), 0.1), (0, 1)),
    ("wave_1d", p.wave_1d, (_r(7), 0.3), (0, 1)),
    ("advection_upwind_periodic", p.advection_upwind_periodic, (_r(6), 0.4), (0, 1)),
    ("jacobi", p.jacobi, (_r(6), _r(6)), (0, 1)),
    ("gauss_seidel", p.gauss_seidel, (_r(6), _r(6)), (0, 1)),
    ("gauss_seidel_2d", p.gauss_seidel_2d, (_r(4, 4),), 0),
    # recurrences and time stepping
    ("iir_filter", p.iir_filter, (_r(6), 0.7, 0.4), (0, 1, 2)),
    ("rk4_stages_preallocated", p.rk4_stages_preallocated, (_r(3, low=0.2, high=0.8), 0.1), (0, 1)),
    ("particles", p.particles, (_r(3), _r(3), 0.1), (0, 1, 2)),
    ("particles_force_read_after_update", p.particles_force_read_after_update,
     (_r(3), _r(3), 0.1), (0, 1, 2)),
    ("column_normalise", p.column_normalise, (_r(4, 3),), 0),
    ("column_standardise", p.column_standardise, (_r(4, 3),), 0),
    # masks, repeats, shifts
    ("mask_clamp", p.mask_clamp, (MIXED,), 0),
    ("mask_scale", p.mask_scale, (MIXED, 0.3), (0, 1)),
    ("repeated_index_write", p.repeated_index_write, (_r(4), _r(2)), (0, 1)),
    ("repeated_index_add", p.repeated_index_add, (_r(4), _r(3)), (0, 1)),
    ("add_at_repeats", p.add_at_repeats, (_r(4), _r(3)), (0, 1)),
    ("shift_right", p.shift_right, (_r(5),), 0),
    ("reverse_in_place", p.reverse_in_place, (_r(4),), 0),
    ("self_assignment", p.self_assignment, (_r(3),), 0),
    ("overlapping_shift_left", p.overlapping_shift_left, (_r(5),), 0),
    # writes into arguments, op= anywhere
    ("tangent_writes_argument", p.tangent_writes_argument, (_r(3),), 0),
    ("augassign_parameter_in_loop", p.augassign_parameter_in_loop, (_r(3),), 0),
    ("augassign_helper_result", p.augassign_helper_result, (_r(3),), 0),
    ("augassign_helper_array", p.augassign_helper_array, (_r(3),), 0),
    ("augassign_after_passed_to_helper", p.augassign_after_passed_to_helper, (_r(3),), 0),
    ("augassign_container_entry", p.augassign_container_entry, ({"W": _r(3)}, _r(3)), (0, 1)),
    ("nested_subscript_grid", p.nested_subscript_grid, (_r(3),), 0),
    ("dict_entry_write", p.dict_entry_write, ({"W": _r(3)}, _r(3)), (0, 1)),
    ("writes_in_then_branch", p.writes_in_branches, (_r(3), 0.7), (0, 1)),
    ("writes_in_else_branch", p.writes_in_branches, (_r(3), -0.7), (0, 1)),
    ("writes_in_while", p.writes_in_while, (_r(4),), 0),
    ("loop_reads_an_entry_then_writes_it", p.loop_reads_an_entry_then_writes_it, (_r(4),), 0),
    ("swap_entries", p.swap_entries, (_r(4),), 0),
    ("view_inside_a_ufunc", p.view_inside_a_ufunc, (_r(2, 2),), 0),
    ("float_op_assign_then_rebound_in_a_loop", p.float_op_assign_then_rebound_in_a_loop,
     (0.3, np.array([0.5, 0.2, 0.1])), (0, 1)),
    # numpy functions writing into an argument
    ("exp_out_same", p.exp_out_same, (_r(3),), 0),
    ("multiply_out_parameter", p.multiply_out_parameter, (_r(3),), 0),
    ("add_out_other", p.add_out_other, (_r(3), _r(3)), (0, 1)),
    ("copyto_parameter", p.copyto_parameter, (_r(4), _r(4)), (0, 1)),
    ("copyto_where", p.copyto_where, (MIXED, _r(4)), (0, 1)),
    ("fill_after_use", p.fill_after_use, (_r(4),), 0),
    ("sort_method", p.sort_method, (_r(4),), 0),
    ("put_values", p.put_values, (_r(4), _r(2)), (0, 1)),
    ("fill_diagonal", p.fill_diagonal, (_r(3, 3), _r(3)), (0, 1)),
    ("place_values", p.place_values, (MIXED, _r(2)), (0, 1)),
    ("putmask_values", p.putmask_values, (MIXED, _r(4)), (0, 1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_in_place_program_gradient_value_and_callers_arrays(case):
    _, func, args, wrt = case
    check_in_place(func, *copy.deepcopy(args), wrt=wrt)


def test_there_are_at_least_forty_programs():
    assert len({c[1] for c in CASES}) >= 40


def test_repeated_index_write_gives_the_overwritten_value_no_gradient():
    # out[[0, 0]] = v keeps v[1] (numpy's last write): v[0] gets nothing, v[1] gets 2*out[0]
    x, v = np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 7.0])
    _, gv = adjoint.grad(p.repeated_index_write, wrt=(0, 1))(x, v)
    np.testing.assert_allclose(gv, [0.0, 14.0])


def test_repeated_index_add_applies_once_as_numpy_does():
    # c[[1, 1, 3]] += w adds w[1] to c[1] once (buffered): w[0] gets nothing
    c, w = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 0.25, 1.0])
    gc, gw = adjoint.grad(p.repeated_index_add, wrt=(0, 1))(c, w)
    np.testing.assert_allclose(gw, [0.0, 2 * 2.25, 2 * 5.0])
    np.testing.assert_allclose(gc, [2.0, 2 * 2.25, 6.0, 2 * 5.0])


def test_the_stencils_backward_keeps_only_the_overwritten_slice():
    # u**3's slope reads the interior before each step: the slice goes on a list
    source = adjoint.grad(p.reaction_diffusion_1d).source
    assert "u_overwritten.append(np.copy(u[1:-1]))" in source
    assert "for u_old in reversed(u_overwritten):" in source  # (a walk: passes/tape_loops.py)
    assert "np.copy(u)" not in source.split("u_overwritten = []")[1]


def test_a_field_handed_back_is_the_one_the_forward_ended_with():
    # no restores left (restores.py): aux is u as the forward left it, not a rewound u
    u0 = _r(6)
    before = u0.copy()
    (value, field), grad = adjoint.value_and_grad(p.heat_1d_with_the_field, has_aux=True)(u0)
    expected_value, expected_field = p.heat_1d_with_the_field(before.copy())
    np.testing.assert_allclose(field, expected_field)
    assert value == pytest.approx(expected_value)
    loss = lambda u: p.heat_1d_with_the_field(u.copy())[0]  # noqa: E731
    np.testing.assert_allclose(grad, adjoint.testing.numerical_grad(loss, (before,), 0), rtol=1e-6)
    np.testing.assert_array_equal(u0, before)


def test_a_linear_stencils_backward_keeps_no_slices():
    # the heat step's backward reads u only for its shape: nothing to put back (restores.py)
    for func in (p.heat_1d, p.heat_1d_in_the_argument):
        assert "overwritten" not in adjoint.grad(func).source


def test_helpers_writing_into_the_callers_array():
    # the helper runs on a copy and returns it; the caller writes it (callwrites.py)
    check_in_place(p.calls_add_, _r(3), 0.5, wrt=(0, 1))
    check_in_place(p.calls_clamp_, np.array([0.1, 0.4, -0.3]))


REFUSED = [  # (the helper would write into a copy of u, and r would not see it)
    ("helper_argument_aliases_another", p.calls_with_an_alias, (_r(3),), "helper-alias", None),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_read_after_a_write_it_cannot_follow_is_refused_naming_the_lines(case):
    _, func, args, tag, made = case
    before = copy.deepcopy(args)
    with pytest.raises(adjoint.UnsupportedSyntax) as info:
        adjoint.grad(func)(*args)
    message = str(info.value)
    assert f"{NAME}:{line_of(FILE, tag)}" in message, message
    if made:
        assert f"{NAME}:{line_of(FILE, made)}" in message, message
    assert "fix:" in message
    for a, b in zip(before, args):
        np.testing.assert_array_equal(a, b)


def test_a_row_read_as_an_entry_then_written_follows_the_write_when_it_is_a_view():
    # r = M[0]: an entry (a copy) for a 1-d M, a view of a row for a 2-d M; which one
    # only the run can tell, so the read after the write decides there (refresh.py)
    check_in_place(p.view_read_after_write, _r(2, 3))
    # a view made before a loop and read in its next iteration is made again there
    check_in_place(p.view_in_loop_read_next_iteration, _r(4))


def test_a_write_into_a_copy_made_by_an_index_array_is_refused_when_it_happens():
    # grid[rows][0] = v writes into a copy (numpy leaves grid alone): never a gradient
    # that assumes grid changed
    with pytest.raises(adjoint.AdjointError) as info:
        adjoint.grad(p.grid_rows_by_index_array)(_r(3))
    assert "copy" in str(info.value)


def test_the_suggested_fix_for_a_view_read_after_a_write_works():
    # the fix the message suggests: make r again after the write
    check_in_place(_view_made_after_write, _r(2, 3))


def _view_made_after_write(M):
    M[0, :] *= 2.0
    r = M[0]
    return np.sum(r * r)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # (np.matrix itself warns)
def test_matrix_arguments_are_refused():
    with pytest.raises(adjoint.BadArguments) as info:
        adjoint.grad(p.heat_2d)(np.matrix(_r(3, 3)))
    assert "np.matrix" in str(info.value) and "np.asarray" in str(info.value)


def test_stencil_tapes_hold_at_most_1_2_times_a_hand_written_backwards():
    # benchmarks/stencil.py: reaction-diffusion, whose hand-written backward keeps the
    # interior before each step; adjoint keeps the overwritten slice (and shape tuples)
    stencil = load_benchmark("stencil")
    stencil.STEPS = 20
    u0 = np.sin(np.linspace(0.0, np.pi, 2000)) * 0.5
    ours, theirs = stencil.tapes.Book(), stencil.tapes.Book()
    stencil.recorded_gradient(adjoint.grad(stencil.reaction_diffusion), (u0, 0.1), ours)
    stencil.reaction_diffusion_by_hand(u0, 0.1, theirs)
    assert theirs.peak > 0 and ours.peak <= 1.2 * theirs.peak, (ours.peak, theirs.peak)
