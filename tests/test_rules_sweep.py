"""Randomized sweeps over the rule cases (slow: run with -m slow).

Elementwise rules get random broadcasting shapes; reductions random axes and keepdims;
values are drawn from the same range as each rule's hand-written cases.

Each test asserts through rule_harness.check_case (or check_float32), which raises an
AssertionError naming the rule, the input and both numbers on any mismatch.
"""
import numpy as np
import pytest

from rule_harness import Case, check_case, check_float32
from test_rules_binary import CASES as BINARY
from test_rules_reductions import CASES as REDUCTIONS
from test_rules_unary import CASES as UNARY

pytestmark = pytest.mark.slow


def _ranges(case):
    return [(float(np.nanmin(a)), float(np.nanmax(a)) + 1e-9) if np.size(a) else (0.0, 1.0)
            for a in case.args]


def _broadcast_shapes(rng, n):
    ndim = int(rng.integers(0, 4))
    full = tuple(int(s) for s in rng.integers(1, 4, size=ndim))
    shapes = []
    for _ in range(n):
        keep = int(rng.integers(0, ndim + 1))
        shape = tuple(1 if rng.random() < 0.3 else s for s in full[ndim - keep:])
        shapes.append(shape)
    return shapes


def _elementwise_cases():
    seen, out = set(), []
    for case in UNARY + BINARY:
        if not isinstance(case.primal, np.ufunc) or case.kwargs or case.primal in seen:
            continue
        if not all(isinstance(a, np.ndarray) and a.dtype.kind == "f" and np.all(np.isfinite(a))
                   for a in case.args):
            continue
        seen.add(case.primal)
        out.append(case)
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", _elementwise_cases(), ids=str)
def test_elementwise_rules_under_random_broadcasting(case, seed):
    rng = np.random.default_rng(seed)
    shapes = _broadcast_shapes(rng, len(case.args))
    args = tuple(rng.uniform(lo, hi, size=shape) for (lo, hi), shape in zip(_ranges(case), shapes))
    swept = Case(case.primal, args, rtol=case.rtol, atol=case.atol)
    check_case(swept)
    check_float32(swept)


def _reduction_primals():
    seen, out = set(), []
    for case in REDUCTIONS:
        if "axis" in case.kwargs and "weights" not in case.kwargs and case.primal not in seen \
                and np.all(np.isfinite(case.args[0])):
            seen.add(case.primal)
            out.append(case)
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", _reduction_primals(), ids=lambda c: str(c).split("(")[0])
def test_reductions_under_random_axes_and_keepdims(case, seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(s) for s in rng.integers(1, 4, size=ndim))
    axes = tuple(int(a) for a in np.flatnonzero(rng.random(ndim) < 0.5)) or None
    kwargs = dict(case.kwargs, axis=axes, keepdims=bool(rng.random() < 0.5))
    scans = (np.cumsum, np.cumprod, np.nancumsum, getattr(np, "cumulative_sum", np.cumsum))
    if case.primal in scans:
        kwargs = {"axis": int(rng.integers(0, ndim))}
    (lo, hi), = _ranges(case)
    swept = Case(case.primal, (rng.uniform(lo, hi, size=shape),), kwargs, rtol=case.rtol, atol=case.atol)
    check_case(swept)
    check_float32(swept)
