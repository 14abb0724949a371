"""Rules for object fields (self.W), dict.get, float(x), sorted, tuple and list.

The assertions are in rule_harness.check_case and check_float32 (assert on each
gradient's shape, dtype and agreement with finite differences).
"""
import builtins
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

from adjoint.runtime.pytrees import getfield, make_record
from adjoint.runtime.python import (concatenated, dict_get, joined, largest, rest_of, smallest, transposed,
                                    with_default)
from rule_harness import Case, check_case, uniform


@dataclass
class Layer:
    W: np.ndarray
    b: float
    name: str = "dense"


class Pair(NamedTuple):
    a: np.ndarray
    c: float


class Plain:
    def __init__(self):
        self.W = uniform((2, 3))
        self.n = 3


def _fields(record, names):
    """A record's fields, in order: the harness weighs tuples (an object's gradient given
    as one gradient per field is what make_record's rule also takes). Dataclasses and
    plain classes are checked end to end in test_python_objects_more.py."""
    return tuple(getattr(record, n) for n in names)


CASES = [
    Case(getfield, (Layer(uniform((2, 3)), uniform(None)), "W"), f32=False),
    Case(getfield, (Layer(uniform((2, 3)), uniform(None)), "b"), f32=False),
    Case(getfield, (Pair(uniform((3,)), uniform(None)), "c"), f32=False),
    Case(getfield, (Plain(), "W"), f32=False),
    Case(dict_get, ({"W": uniform((2,)), "b": uniform(None)}, "W", uniform((2,))), f32=False,
         note="present"),
    Case(dict_get, ({"W": uniform((2,))}, "b", uniform((2,))), f32=False, note="missing"),
    Case(builtins.float, (uniform(None),), f32=False),
    Case(builtins.float, (np.asarray(uniform(None)),), f32=False, note="0-d array"),
    Case(builtins.sorted, ([uniform(None) for _ in range(4)],), f32=False),
    Case(builtins.sorted, (uniform((5,)),), f32=False, note="array"),
    Case(largest, ([uniform(None) for _ in range(4)],), f32=False),
    Case(largest, (uniform((5,)),), f32=False, note="array"),
    Case(smallest, ((uniform(None), uniform(None), uniform(None)),), f32=False),
    Case(smallest, (uniform((5,)),), f32=False, note="array"),
    Case(builtins.tuple, ([uniform((2,)), uniform(None)],), f32=False),
    Case(builtins.tuple, (uniform((3, 2)),), f32=False, note="array rows"),
    Case(builtins.list, ((uniform((2,)), uniform((2,))),), f32=False),
    Case(with_default, ({"h": uniform((2,))}, "c", uniform(None)), f32=False, note="missing"),
    Case(with_default, ({"h": uniform((2,))}, "h", uniform((2,))), f32=False, note="present"),
    Case(joined, (((uniform((2,)),), (uniform(None), uniform((3,)))),), f32=False),
    Case(concatenated, ((uniform((2,)),), (uniform(None), uniform((3,)))), f32=False),
    Case(concatenated, (uniform((3,)), [0.5, 1.5, 2.5]), f32=False, note="array + list"),
    Case(make_record, (Pair, ("a", "c"), (uniform((3,)), uniform(None))), f32=False, note="NamedTuple",
         call=lambda cls, names, values: _fields(make_record(cls, names, values), names)),
    Case(transposed, (((uniform(None), uniform((2,))), (uniform(None), uniform((2,)))),), f32=False),
    Case(transposed, ((uniform((3,)), uniform((3,))),), f32=False, note="arrays"),
    Case(rest_of, ([uniform((2,)) for _ in range(4)], 1, 1), f32=False),
    Case(rest_of, (uniform((4, 2)), 1, 0), f32=False, note="array rows"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)
