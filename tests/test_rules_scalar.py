"""Rules for Python's operators, the math module and the builtins abs/max/min."""
import builtins
import math
import operator

import pytest

from rule_harness import Case, binary_cases, check_case, check_float32, uniform


def scalar_cases(f, lo=-2.0, hi=2.0, n=3):
    return [Case(f, tuple(uniform(None, lo, hi) for _ in range(n)), f32=False) for _ in range(2)]


CASES = []
for f in (operator.add, operator.sub, operator.mul):
    CASES += binary_cases(f) + scalar_cases(f, n=2)
CASES += binary_cases(operator.truediv, lo2=0.5, hi2=2.0) + scalar_cases(operator.truediv, 0.5, 2.0, 2)
CASES += binary_cases(operator.pow, 0.5, 2.0) + scalar_cases(operator.pow, 0.5, 2.0, 2)
CASES += binary_cases(operator.mod, 0.1, 5.0, 0.7, 2.0, pairs=(((4,), (4,)), ((2, 3), ())))
CASES += [Case(operator.mod, (3.7, 1.5), f32=False)]
CASES += [Case(operator.matmul, (uniform((2, 3)), uniform((3, 4)))),
          Case(operator.matmul, (uniform((3,)), uniform((2, 3, 2)))),
          Case(operator.matmul, (uniform((2, 2, 3)), uniform((3,))))]
for f in (operator.neg, operator.pos):
    CASES += [Case(f, (uniform((2, 3)),)), Case(f, (uniform(None),), f32=False)]
for f in (math.exp, math.expm1, math.sin, math.cos, math.atan, math.sinh, math.cosh, math.tanh,
          math.asinh, math.erf, math.erfc, math.degrees, math.radians):
    CASES += scalar_cases(f, n=1)
CASES += scalar_cases(math.tan, -1.2, 1.2, 1)
for f in (math.log, math.log2, math.log10, math.sqrt):
    CASES += scalar_cases(f, 0.3, 3.0, 1)
CASES += scalar_cases(math.log1p, -0.5, 2.0, 1)
for f in (math.asin, math.acos, math.atanh):
    CASES += scalar_cases(f, -0.9, 0.9, 1)
CASES += scalar_cases(math.acosh, 1.2, 3.0, 1)
CASES += scalar_cases(math.pow, 0.5, 2.0, 2) + scalar_cases(math.atan2, n=2)
CASES += scalar_cases(math.hypot, n=2) + scalar_cases(math.copysign, n=2)
for f in (math.fabs, builtins.abs):
    CASES += scalar_cases(f, 0.2, 2.0, 1) + scalar_cases(f, -2.0, -0.2, 1)
for f in (builtins.max, builtins.min):
    CASES += scalar_cases(f, n=2)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


def test_builtin_max_splits_a_tie():
    from adjoint.rules.scalar import d_builtin_max, d_builtin_min
    assert d_builtin_max(2.0, 1.0, 1.0, 1.0) == (1.0, 1.0)
    assert d_builtin_min(2.0, 1.0, 1.0, 1.0) == (1.0, 1.0)


def test_math_hypot_at_origin_is_zero():
    from adjoint.rules.scalar import d_math_hypot
    assert d_math_hypot(1.0, 0.0, 0.0, 0.0) == (0.0, 0.0)


def test_pow_exponent_gradient_is_zero_at_zero_base():
    from adjoint.rules.operators import d_pow
    from adjoint.rules.scalar import d_math_pow
    assert d_pow(1.0, 0.0, 0.0, 2.0)[1] == 0.0
    assert d_math_pow(1.0, 0.0, 0.0, 2.0)[1] == 0.0
