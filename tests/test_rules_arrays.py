"""Rules for np.r_, np.c_, row_stack, partition, gradient, rollaxis, astype, and the
complex helpers np.angle, np.real_if_close and .imag (harness: finite differences with a
non-uniform output gradient; complex inputs checked as dL/dRe + i dL/dIm).

The assertions are in rule_harness.check_case and check_float32 (assert on each
gradient's shape, dtype and agreement with finite differences).
"""
import warnings

import numpy as np
import pytest

from rule_harness import Case, attribute, check_case, check_float32, uniform

from adjoint.rules.registry import RULES


def u(*shape):
    return uniform(shape)


def c(*shape):
    return uniform(shape) + 1j * uniform(shape)


def r_items(*items):
    return Case(np.r_, (np.r_, items), call=lambda obj, index: obj[index])


def c_items(*items):
    return Case(np.c_, (np.c_, items), call=lambda obj, index: obj[index])


CASES = [r_items(u(3), u(2)), r_items(u(2), slice(0, 3), 0.5), r_items("0,2", u(2, 3), u(1, 3)),
         r_items(u(2, 2), u(3, 2)), Case(np.r_, (np.r_, u(4)), call=lambda obj, index: obj[index]),
         c_items(u(3), u(3)), c_items(u(3, 2), u(3))]
if hasattr(np, "row_stack") and np.row_stack in RULES:
    CASES += [Case(np.row_stack, ([u(3), u(3)],)), Case(np.row_stack, ((u(2, 3), u(3)),))]
CASES += [Case(np.partition, (u(6), 2)), Case(np.partition, (u(3, 5), 1)),
          Case(np.partition, (u(4, 3), (0, 2)), {"axis": 0}),
          Case(np.partition, (u(2, 3), 3), {"axis": None})]
GRADIENT = np.gradient


def gradient_case(*args, **kwargs):
    return Case(GRADIENT, (args,), kwargs, call=lambda packed, **kw: GRADIENT(*packed, **kw))


# spacings are constants (the rule gives them no gradient): integers, so the harness
# does not differentiate them; float spacings are checked through grad() in
# test_library_programs.py
CASES += [gradient_case(u(6)), gradient_case(u(6), 2), gradient_case(u(5), edge_order=2),
          gradient_case(u(5), np.array([0, 1, 3, 4, 7])),
          gradient_case(u(3, 4)), gradient_case(u(3, 4), 3, 2),
          gradient_case(u(3, 4), axis=1), gradient_case(u(3, 2, 4), axis=(0, 2), edge_order=2)]
CASES += [Case(np.rollaxis, (u(2, 3, 4), 2)), Case(np.rollaxis, (u(2, 3, 4), 0, 3)),
          Case(np.rollaxis, (u(2, 3, 4), -1, 1)), Case(np.rollaxis, (u(2, 3), 1, -1))]
if hasattr(np, "astype"):
    CASES += [Case(np.astype, (u(3), np.float64)), Case(np.astype, (u(2, 2), np.complex128)),
              Case(np.astype, (c(3), np.complex128))]
CASES += [Case(np.angle, (c(4),)), Case(np.angle, (c(2, 3),), {"deg": True}),
          Case(np.angle, (u(3),), note="real: constant"),
          Case(np.real_if_close, (u(3) + 1e-20j,)), Case(np.real_if_close, (c(3),)),
          Case(".imag", (c(2, 3),), call=attribute("imag")),
          Case(".imag", (u(3),), call=attribute("imag"), note="real: 0"),
          Case(np.imag, (c(3),)), Case(np.conjugate, (c(3),)), Case(np.real, (c(2, 2),))]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.row_stack
        check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check_float32(case)
