"""Big generated programs compile and give correct gradients (the compile-scaling
programs of benchmarks/compile_scaling.py, which times them; no timing is asserted here).

Each is checked against central finite differences at non-uniform inputs: 1000
straight-line statements, 19 nested loops (Python allows 20), 30 levels alternating
`for` and `if`, a chain of 300 user functions, one-line sums of 250 and 2000 terms, and
190 nested calls np.sin(np.sin(...)) (Python's parser allows 200 nested parentheses), and
a loop whose body is 300 statements.
"""
from __future__ import annotations

import importlib.util
import math
import os
import sys

import pytest

import adjoint
from adjoint.testing import check_grads
from helpers import ROOT

_spec = importlib.util.spec_from_file_location(
    "compile_scaling", os.path.join(ROOT, "benchmarks", "compile_scaling.py"))
compile_scaling = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compile_scaling)

BIG = [("straight_line", 1000), ("nested_for", 19), ("for_if", 30), ("chain", 300),
       ("long_sum", 250), ("long_sum", 2000), ("nested_calls", 190), ("loop_body", 300)]


@pytest.mark.slow
@pytest.mark.parametrize("kind,size", BIG, ids=[f"{k}_{n}" for k, n in BIG])
def test_big_program_gradient_matches_finite_differences(kind, size):
    f = compile_scaling.make_program(kind, size)
    gx, gy = check_grads(f, 0.37, 1.13, wrt=(0, 1))
    assert isinstance(gx, float) and isinstance(gy, float)
    assert adjoint.check(f) == []


@pytest.mark.slow
def test_chain_of_300_functions_gets_one_pair_each():
    f = compile_scaling.make_program("chain", 300)
    text = adjoint.source(f, callees=True)
    assert text.count("\ndef bwd_f") == 300


def test_deep_compile_puts_the_recursion_limit_back():
    limit = sys.getrecursionlimit()
    f = compile_scaling.make_program("nested_calls", 190)
    expected = nested_sin_derivative(0.4 * 1.3, 190) * 1.3  # the chain rule, by hand
    assert adjoint.grad(f, wrt=0)(0.4, 1.3) == pytest.approx(expected, rel=1e-12)
    assert sys.getrecursionlimit() == limit


def nested_sin_derivative(u: float, depth: int) -> float:
    """d/du of sin(sin(...sin(u))), depth times: the product of cosines along the way."""
    derivative = 1.0
    for _ in range(depth):
        derivative *= math.cos(u)
        u = math.sin(u)
    return derivative
