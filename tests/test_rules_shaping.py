"""Rules for reshaping, transposing, joining, splitting, tiling, padding and building
arrays, and for reading entries (x[i], take, sort, select, ...)."""
import operator

import numpy as np
import pytest

from adjoint.runtime.writes import added_at
from rule_harness import Case, attribute, check_case, check_float32, uniform


def u(*shape):
    return uniform(shape)


CASES = [
    Case(".T", (u(2, 3),), call=attribute("T")), Case(".T", (u(2, 3, 4),), call=attribute("T")),
    Case(".mT", (u(2, 3, 4),), call=attribute("mT")),
    Case(".real", (u(2, 3),), call=attribute("real")),
    Case(np.transpose, (u(2, 3),)), Case(np.transpose, (u(2, 3, 4),), {"axes": (1, 2, 0)}),
    Case(np.transpose, (u(2, 3, 4), (2, 0, 1))),
    Case(np.reshape, (u(2, 3), (3, 2))), Case(np.reshape, (u(2, 3), -1)),
    Case(np.reshape, (u(2, 3), (3, 2)), {"order": "F"}),
    Case(np.ravel, (u(2, 3),)), Case(np.ravel, (u(2, 3, 2),), {"order": "F"}),
    Case(np.swapaxes, (u(2, 3, 4), 0, 2)), Case(np.moveaxis, (u(2, 3, 4), 0, -1)),
    Case(np.moveaxis, (u(2, 3, 4), (0, 1), (2, 0))),
    Case(np.expand_dims, (u(2, 3), 1)), Case(np.expand_dims, (u(3,), (0, 2))),
    Case(np.squeeze, (u(2, 1, 3, 1),)), Case(np.squeeze, (u(1, 3, 1),), {"axis": 0}),
    Case(np.broadcast_to, (u(3,), (2, 3))), Case(np.broadcast_to, (u(2, 1), (4, 2, 3))),
    Case(np.atleast_1d, (u(),)), Case(np.atleast_1d, (u(2, 3),)),
    Case(np.atleast_2d, (u(3),)), Case(np.atleast_2d, (u(),)),
    Case(np.atleast_3d, (u(3),)), Case(np.atleast_3d, (u(2, 3),)),
    Case(np.copy, (u(2, 3),)), Case(np.copy, (u(),)),
    Case(np.ascontiguousarray, (u(2, 3),)), Case(np.ascontiguousarray, (u(),)),
    Case(np.asfortranarray, (u(2, 3),)), Case(np.asfortranarray, (u(),)),
    Case(np.array, ([1.5, -0.5, 2.0],)), Case(np.array, ([[1.5, -0.5], [2.0, 0.25]],)),
    Case(np.array, ([u(3), u(3)],)), Case(np.array, (u(2, 3),)),
    Case(np.array, ([1.5, -0.5],), {"ndmin": 2}),
    Case(np.asarray, ([0.5, u(), 2.0],)), Case(np.asarray, (u(2, 3),)),
    Case(np.concatenate, ([u(2, 3), u(1, 3)],)), Case(np.concatenate, ((u(2, 3), u(2, 2)),), {"axis": 1}),
    Case(np.concatenate, ([u(2, 3), u(4)],), {"axis": None}),
    Case(np.stack, ([u(2, 3), u(2, 3), u(2, 3)],)), Case(np.stack, ((u(3), u(3)),), {"axis": 1}),
    Case(np.stack, ([u(2, 3), u(2, 3)],), {"axis": -1}),
    Case(np.hstack, ([u(2), u(3)],)), Case(np.hstack, ([u(2, 3), u(2, 1)],)),
    Case(np.hstack, ([u(), u(2)],)),
    Case(np.vstack, ([u(3), u(3)],)), Case(np.vstack, ([u(2, 3), u(1, 3), u(3)],)),
    Case(np.dstack, ([u(3), u(3)],)), Case(np.dstack, ([u(2, 3), u(2, 3, 2)],)),
    Case(np.column_stack, ([u(3), u(3, 2)],)), Case(np.column_stack, ([u(3), u(3)],)),
    Case(np.append, (u(3), u(2))), Case(np.append, (u(2, 3), u(1, 3)), {"axis": 0}),
    Case(np.append, (u(2, 3), u(4))),
    Case(np.split, (u(6), 3)), Case(np.split, (u(2, 6), [1, 4]), {"axis": 1}),
    Case(np.array_split, (u(7), 3)), Case(np.array_split, (u(5, 2), 2)),
    Case(np.hsplit, (u(6), 2)), Case(np.hsplit, (u(2, 4), [1])),
    Case(np.vsplit, (u(4, 3), 2)), Case(np.dsplit, (u(2, 2, 4), 2)),
    Case(np.tile, (u(3), 2)), Case(np.tile, (u(2, 3), (2, 1, 2))), Case(np.tile, (u(2, 3, 2), 2)),
    Case(np.repeat, (u(3), 2)), Case(np.repeat, (u(2, 3), [1, 0, 3]), {"axis": 1}),
    Case(np.repeat, (u(2, 3), 2)), Case(np.repeat, (u(2, 3), 2), {"axis": -2}),
    Case(np.flip, (u(3),)), Case(np.flip, (u(2, 3, 2),), {"axis": (0, 2)}), Case(np.flip, (u(2, 3), 1)),
    Case(np.fliplr, (u(2, 3),)), Case(np.flipud, (u(3, 2),)),
    Case(np.roll, (u(5), 2)), Case(np.roll, (u(2, 3), -1), {"axis": 1}),
    Case(np.roll, (u(2, 3), (1, 2)), {"axis": (0, 1)}), Case(np.roll, (u(2, 3), 4)),
    Case(np.rot90, (u(2, 3),)), Case(np.rot90, (u(2, 3, 4),), {"k": 3, "axes": (2, 0)}),
    Case(np.rot90, (u(2, 3), 2)),
    Case(np.pad, (u(3), 2)), Case(np.pad, (u(2, 3), ((1, 0), (2, 1)))),
    Case(np.pad, (u(2, 3), 1), {"constant_values": 5.0}),
    Case(np.pad, (u(4), (2, 3)), {"mode": "reflect"}), Case(np.pad, (u(2, 3), 2), {"mode": "edge"}),
    Case(np.pad, (u(3, 2), ((1, 2), (0, 3))), {"mode": "symmetric"}),
    Case(np.pad, (u(3), 4), {"mode": "wrap"}),
    Case(np.full_like, (u(2, 3), 1.5)), Case(np.full_like, (u(2, 3), u(3))),
    Case(np.full, ((2, 3), 1.5)), Case(np.full, ((2, 3), u(2, 1))),
    Case(operator.getitem, (u(4, 3), 1)), Case(operator.getitem, (u(4, 3), (slice(1, 3), 0))),
    Case(operator.getitem, (u(5), np.array([0, 2, 2, 4]))),
    Case(operator.getitem, (u(4, 3), (np.array([1, 1, 0]), slice(None)))),
    Case(operator.getitem, (u(3, 2), u(3, 2) > 0)),
    Case(operator.getitem, ([u(2), u(3), 1.5], 1), note="list"),
    Case(operator.getitem, ((u(2), 0.5, u(2, 2)), slice(0, 3, 2)), note="tuple"),
    Case(np.take, (u(5), [0, 3, 3])), Case(np.take, (u(2, 4), [[0, 3], [1, 1]]), {"axis": 1}),
    Case(np.take, (u(2, 4), [7, 0, 7])), Case(np.take, (u(4), [5, -6]), {"mode": "wrap"}),
    Case(np.take, (u(4), [5, -6]), {"mode": "clip"}),
    Case(np.take, (u(2, 3, 4), np.array([[3, 0], [1, 1]]), -1)),
    Case(np.take_along_axis, (u(3, 4), np.array([[0, 3], [1, 1], [2, 0]]), 1)),
    Case(np.take_along_axis, (u(3, 4), np.array([[0, 2, 1, 0]]),), {"axis": 0}),
    Case(np.take_along_axis, (u(2, 3, 2), np.array([[[0, 1]], [[1, 1]]]), -2)),
    Case(np.take_along_axis, (u(5), np.array([4, 0, 4]), None)),
    Case(np.compress, (np.array([True, False, True]), u(3))),
    Case(np.compress, (np.array([False, True]), u(3, 2)), {"axis": 1}),
    Case(np.extract, (u(2, 3) > 0, u(2, 3))),
    # what np.add.at(a, i, b) lowers to: repeated indices add up; b broadcasts
    Case(added_at, (u(5), np.array([0, 3, 0, 4]), u(4))),
    Case(added_at, (u(3, 2), np.array([2, 2]), u(2))),
    Case(np.sort, (u(5),)), Case(np.sort, (u(3, 4),), {"axis": 0}), Case(np.sort, (u(3, 4),), {"axis": None}),
    Case(np.sort, (u(2, 3, 2),)),
    Case(np.select, ([u(4) > 0.5, u(4) > -0.5], [u(4), u(4)])),
    Case(np.select, ([u(2, 3) > 0, u(3) > 0], [u(2, 3), u(3)], 1.5)),
]
if hasattr(np, "unstack"):
    CASES += [Case(np.unstack, (u(3, 2),)), Case(np.unstack, (u(2, 3, 2),), {"axis": 1})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


def test_pad_rejects_a_mode_it_cannot_reverse():
    from adjoint.errors import AdjointError
    from adjoint.rules.shaping import d_pad
    x = np.ones(3)
    with pytest.raises(AdjointError, match="mode='mean'"):
        d_pad(np.ones(5), None, x, 1, "mean")


def test_getitem_with_repeated_indices_adds_up():
    from adjoint.rules.selection import d_getitem
    x = np.zeros(3)
    grad, _ = d_getitem(np.array([1.0, 2.0, 4.0]), None, x, np.array([0, 2, 0]))
    assert grad.tolist() == [5.0, 0.0, 2.0]
