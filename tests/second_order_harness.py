"""The harness for second order through every forward rule: reverse mode over each rule
case's forward code, as Hessians, HVPs and grad of grad use it.

For a rule case (tests/test_rules_*.py) it loads the case function of forward_harness,
compiles its tangent-mode forward code T(x, t) (every float input carrying a tangent) and
then the reverse pair of T with respect to the float inputs x. With a random, non-uniform
cotangent w on T's output it checks, for each float input alone, the reverse gradient of
<w, T(x, t)> along a random direction u against the central finite difference
(<w, T(x + eps u, t)> - <w, T(x - eps u, t)>) / (2 eps). T itself is checked against
finite differences of the primal in tests/test_forward_rules.py, so this checks the
second derivatives end to end.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from adjoint.pipeline import compile_callee_pair, compile_forward
from adjoint.rules.registry import display_name
from forward_harness import _scalars, case_function, random_tangent


def _cotangent(value, rng):
    """A random cotangent in the structure of a tangent output (None where no float)."""
    if isinstance(value, dict):
        return {k: _cotangent(v, rng) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(_cotangent(v, rng) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_cotangent(v, rng) for v in value)
    if isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        w = rng.normal(size=np.shape(value)) + 0.3
        return float(w) if np.ndim(value) == 0 and not isinstance(value, np.ndarray) else w
    return None


def _inner(a, b) -> float:
    if b is None:
        return 0.0
    if isinstance(b, dict):
        return sum(_inner(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return sum(_inner(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a, np.float64) * b))


def second_order_parts(case):
    """(the tangent-mode function, the reverse pair of it, the parameters, values,
    tangents, float names, whether the first is a symmetric matrix), or a pytest.skip."""
    func, params, values, floats = case_function(case)
    if not floats:
        pytest.skip("no float input: forward mode takes no tangent here")
    scalars = _scalars(params, values)
    symmetric = getattr(case.call, "__qualname__", "").startswith("symmetrized")
    rng = case_rng(case)
    tangents = [random_tangent(values[params.index(n)], symmetric and n == floats[0], rng) for n in floats]
    forward = compile_forward(func, tuple(floats), scalars, mode="tangent")
    pair = compile_callee_pair(forward.function, tuple(floats), scalars, True)
    return forward.function, pair, params, values, tangents, floats, symmetric, rng


def case_rng(case):
    """The case's own random numbers, whatever ran before it (a shared stream made a case's
    directions depend on which tests were selected)."""
    shapes = [getattr(a, "shape", type(a).__name__) for a in case.args]
    name = f"{display_name(case.primal)} {shapes} {sorted(case.kwargs)}"
    return np.random.default_rng(zlib.crc32(name.encode()))


def check_second_order_case(case) -> None:
    tangent_code, pair, params, values, tangents, floats, symmetric, rng = second_order_parts(case)
    output, saved = pair.fwd_ref.value(*values, *tangents)
    w = _cotangent(output, rng)
    grads = pair.bwd_ref.value(w, saved)
    for name, grad in zip(floats, grads):
        k = params.index(name)
        u = random_tangent(values[k], symmetric and name == floats[0], rng)  # as the tangent

        def along(sign):
            moved = list(values)
            moved[k] = values[k] + sign * case.eps * u
            return _inner(tangent_code(*moved, *tangents), w)
        expected = (along(1) - along(-1)) / (2 * case.eps)
        got = _inner(np.broadcast_to(grad, np.shape(u)), u)
        assert np.isclose(got, expected, rtol=case.rtol * 10, atol=case.atol * 10), \
            f"{case}: second derivative along {name} is {got!r}, finite difference {expected!r}"
