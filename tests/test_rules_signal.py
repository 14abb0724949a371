"""Rules for diff, interp, convolve, correlate, polyval, trapezoid and linspace.

Each test asserts through rule_harness.check_case (or check_float32), which raises an
AssertionError naming the rule, the input and both numbers on any mismatch.
"""
import numpy as np
import pytest

from rule_harness import Case, check_case, check_float32, uniform


def u(*shape):
    return uniform(shape)


KNOTS = np.array([-1.5, -0.5, 0.2, 1.0, 2.5])
TRAPEZOID = np.trapezoid if hasattr(np, "trapezoid") else np.trapz

CASES = [
    Case(np.diff, (u(5),)), Case(np.diff, (u(3, 4),), {"axis": 0}), Case(np.diff, (u(6),), {"n": 2}),
    Case(np.diff, (u(2, 5), 3)), Case(np.diff, (u(4),), {"prepend": 0.5}),
    Case(np.diff, (u(2, 3),), {"append": u(2, 2), "prepend": u(2, 1)}),
    Case(np.interp, (np.array([-2.0, -1.0, 0.1, 0.7, 2.0, 3.0]), KNOTS, u(5))),
    Case(np.interp, (u(2, 3), KNOTS, u(5)), {"left": 0.0, "right": 1.0}),
    Case(np.interp, (0.4, KNOTS, u(5))),
]
for mode in ("full", "same", "valid"):
    for na, nv in ((5, 3), (3, 5), (4, 4), (2, 6), (6, 1)):
        CASES.append(Case(np.convolve, (u(na), u(nv), mode)))
        CASES.append(Case(np.correlate, (u(na), u(nv), mode)))
CASES += [Case(np.correlate, (u(5), u(3))), Case(np.convolve, (u(4), u(2)))]
CASES += [Case(np.polyval, (u(4), u(3))), Case(np.polyval, (u(3), 0.7)), Case(np.polyval, (u(1), u(2, 2))),
          Case(np.polyval, (u(5), u(2, 3)))]
CASES += [Case(TRAPEZOID, (u(5),)), Case(TRAPEZOID, (u(3, 4),), {"dx": 0.5}),
          Case(TRAPEZOID, (u(4, 3),), {"x": np.array([0.0, 0.5, 1.5, 2.0]), "axis": 0}),
          Case(TRAPEZOID, (u(2, 4), np.sort(u(2, 4), axis=1)))]
CASES += [Case(np.linspace, (0.5, 2.0, 5)), Case(np.linspace, (u(), u(), 4), {"endpoint": False}),
          Case(np.linspace, (u(3), u(2, 3), 4)), Case(np.linspace, (u(3), 1.0, 3), {"axis": -1}),
          Case(np.linspace, (0.5, 2.0, 1))]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)
