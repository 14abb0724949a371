"""The shared harness for the rule tests: every rule is a runnable function, so each is
checked on its own, without the compiler.

A `Case` names a registered primal and the arguments to call it with. `check_case`
evaluates the primal, draws a random, non-uniform output gradient g (an all-ones seed
would hide a transposed gradient), calls the rule `d(g, y, *args, **kwargs)` and compares
each input's gradient with a central finite difference of sum(g * f(...)) (a VJP check,
in float64; an input the rule gives None is skipped: the compiler refuses to
differentiate through it). `check_float32` runs the rule on float32 inputs and checks that every
gradient of a float32 input is float32 and agrees with the float64 gradient.

The test modules tests/test_rules_*.py each define `CASES`; tests/test_registry.py fails
when a registered rule has no case.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import numpy as np

from adjoint.rules.registry import display_name, lookup
from adjoint.runtime.pytrees import GradObject, fields_of, is_object, replaced_at

RNG = np.random.default_rng(20240601)


@dataclass
class Case:
    primal: object  # the registry key
    args: tuple
    kwargs: dict = field(default_factory=dict)
    call: object = None  # evaluates the primal (default: the primal itself)
    note: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6
    eps: float = 1e-6
    f32: bool = True  # also check float32 in -> float32 out

    def __str__(self):
        shapes = ",".join(_describe(a) for a in self.args)
        options = ",".join(f"{k}={_describe(v) if isinstance(v, np.ndarray) else repr(v)}"
                           for k, v in self.kwargs.items())  # no random values in test ids
        text = f"{display_name(self.primal)}({shapes}{',' if options else ''}{options})"
        return f"{text}[{self.note}]" if self.note else text

    @property
    def evaluate(self):
        return self.call or self.primal


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return "x".join(map(str, value.shape)) or "0d"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_describe(v) for v in value) + "]"
    if isinstance(value, float):
        return "float"
    if value is np.r_ or value is np.c_:
        return display_name(value)
    return repr(value) if not callable(value) else getattr(value, "__name__", "f")


# building inputs -----------------------------------------------------------------------

def uniform(shape=None, lo=-2.0, hi=2.0):
    """A random float64 array of `shape` (None: a Python float) in [lo, hi)."""
    if shape is None:
        return float(RNG.uniform(lo, hi))
    return RNG.uniform(lo, hi, size=shape)


def spd(n, batch=()):
    """A random symmetric positive definite matrix (stack)."""
    m = RNG.normal(size=batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def symmetrized(f):
    """f applied to the symmetric part of its first argument, so finite differences see
    the symmetric perturbations eigh and cholesky's gradients are defined for."""
    def call(a, *args, **kwargs):
        return f((a + np.swapaxes(a, -1, -2)) / 2, *args, **kwargs)
    call.__name__ = getattr(f, "__name__", "f")
    return call


SHAPES = ((), (4,), (2, 3))
PAIRS = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 2), ()))


def unary_cases(f, lo=-2.0, hi=2.0, shapes=SHAPES, **kw):
    return [Case(f, (uniform(shape, lo, hi),), **kw) for shape in shapes]


def binary_cases(f, lo=-2.0, hi=2.0, lo2=None, hi2=None, pairs=PAIRS, **kw):
    lo2 = lo if lo2 is None else lo2
    hi2 = hi if hi2 is None else hi2
    return [Case(f, (uniform(sa, lo, hi), uniform(sb, lo2, hi2)), **kw) for sa, sb in pairs]


REDUCE_OPTIONS = ({}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 2)},
                  {"keepdims": True})


def reduction_cases(f, lo=-2.0, hi=2.0, options=REDUCE_OPTIONS, shape=(2, 3, 4), **kw):
    cases = [Case(f, (uniform((5,), lo, hi),), **kw)]
    cases += [Case(f, (uniform(shape, lo, hi),), dict(o), **kw) for o in options]
    return cases


# the checks ----------------------------------------------------------------------------

def _leaves(value, path=()):
    """Paths to the differentiable (real floating) entries of an argument."""
    if is_object(value):  # an object's fields (runtime/pytrees.py)
        return [leaf for key, element in fields_of(value).items()
                for leaf in _leaves(element, path + (key,))]
    if isinstance(value, dict):
        out = []
        for key, element in value.items():
            out += _leaves(element, path + (key,))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for k, element in enumerate(value):
            out += _leaves(element, path + (k,))
        return out
    if isinstance(value, float) or (isinstance(value, (np.ndarray, np.floating, np.complexfloating))
                                    and np.issubdtype(np.result_type(value), np.inexact)):
        return [path]
    return []


def _get(value, path):
    for k in path:
        if isinstance(value, GradObject):  # a gradient being accumulated: fields read so far
            value = value.parts.get(k)
        elif is_object(value):
            value = fields_of(value)[k]
        else:
            value = None if value is None else value[k]
    return value


def _replace(value, path, new):
    if not path:
        return new
    if is_object(value):
        return replaced_at(value, path[:1], _replace(fields_of(value)[path[0]], path[1:], new))
    if isinstance(value, dict):
        out = dict(value)
        out[path[0]] = _replace(out[path[0]], path[1:], new)
        return out
    items = list(value)
    items[path[0]] = _replace(items[path[0]], path[1:], new)
    return type(value)(items) if isinstance(value, tuple) else items


def _random_like(y, dtype=None):
    if isinstance(y, str):  # a dict key in d.items(): no gradient
        return 0.0
    if isinstance(y, dict):
        return {key: _random_like(value, dtype) for key, value in y.items()}
    if isinstance(y, (list, tuple)):
        parts = [_random_like(v, dtype) for v in y]
        return parts if isinstance(y, list) else tuple(parts)
    if isinstance(y, float):
        return float(RNG.normal())
    y = np.asarray(y)
    out_dtype = dtype or (y.dtype if np.issubdtype(y.dtype, np.inexact) else np.float64)
    g = RNG.normal(size=y.shape) + 0.5
    if np.issubdtype(out_dtype, np.complexfloating):  # dL/dRe + i dL/dIm (complex_values.py)
        g = g + 1j * (RNG.normal(size=y.shape) - 0.5)
    g = g.astype(out_dtype)
    return g[()] if y.ndim == 0 else g


def _inner(g, y) -> float:
    if isinstance(y, str):
        return 0.0
    if isinstance(g, dict):
        return sum(_inner(g[key], y[key]) for key in g)
    if isinstance(g, (list, tuple)):
        return sum(_inner(a, b) for a, b in zip(g, y))
    # L = Re(sum(conj(g) y)): the real loss whose gradient with respect to y is g
    return float(np.real(np.sum(np.conj(np.asarray(g, dtype=np.complex128)) * np.asarray(y))))


def _bind(rule, args, kwargs) -> dict:
    """Rule parameter name -> (where: int position or str keyword, value)."""
    bound = {}
    for k, (name, value) in enumerate(zip(rule.params, args)):
        bound[name] = (k, value)
    for name, value in kwargs.items():
        bound[name] = (name, value)
    return bound


def _call_with(case, where, value, args, kwargs):
    args, kwargs = list(args), dict(kwargs)
    if isinstance(where, int):
        args[where] = value
    else:
        kwargs[where] = value
    return case.evaluate(*args, **kwargs)


def _as_tuple(rule, grads):
    return (grads,) if len(rule.inputs) == 1 else tuple(grads)


def run_rule(case, args, kwargs, g=None):
    rule = lookup(case.primal)  # (registers a lazy family, scipy.stats, on first use)
    y = case.evaluate(*args, **kwargs)
    g = _random_like(y) if g is None else g
    return rule, y, g, _as_tuple(rule, rule.func(g, y, *args, **kwargs))


def check_case(case) -> None:
    """The rule's gradients match central finite differences of sum(g * f)."""
    rule, y, g, grads = run_rule(case, case.args, case.kwargs)
    assert len(grads) == len(rule.inputs), f"{case}: rule returned {len(grads)} gradients"
    bound = _bind(rule, case.args, case.kwargs)
    checked = 0
    for name, grad in zip(rule.inputs, grads):
        if name not in bound or grad is None:  # left to its default; or no gradient, which
            continue  # the compiler refuses wherever the argument is being differentiated
        where, value = bound[name]
        for path in _leaves(value):
            leaf = _get(value, path)
            got = _get(grad, path)
            got = np.zeros(np.shape(leaf)) if got is None else got
            assert np.shape(got) == np.shape(leaf), \
                f"{case}: gradient for {name}{list(path)} has shape {np.shape(got)}, input {np.shape(leaf)}"
            expected = _numerical(case, where, value, path, g)
            _compare(case, f"{name}{list(path) if path else ''}",
                     np.asarray(got, expected.dtype), expected)
            checked += 1
    assert checked, f"{case}: no differentiable input to check"


def _numerical(case, where, value, path, g):
    """Central differences; for a complex leaf dL/dRe + i dL/dIm (complex_values.py)."""
    leaf = _get(value, path)
    complex_leaf = np.iscomplexobj(leaf)
    base = np.array(leaf, dtype=np.complex128 if complex_leaf else np.float64)
    out = np.zeros(base.shape, dtype=base.dtype)
    for index in np.ndindex(*base.shape):
        for step in ((1.0, 1j) if complex_leaf else (1.0,)):
            total = []
            for sign in (1, -1):
                moved = base.copy()
                moved[index] += sign * case.eps * step
                new = float(moved) if isinstance(leaf, float) else moved
                arg = _replace(value, path, new)
                y = _call_with(case, where, arg, case.args, case.kwargs)
                total.append(_inner(g, y))
            out[index] += step * (total[0] - total[1]) / (2 * case.eps)
    return out


def _compare(case, name, got, expected):
    bad = ~np.isclose(got, expected, rtol=case.rtol, atol=case.atol)
    if np.any(bad):
        index = tuple(np.argwhere(bad)[0]) if got.ndim else ()
        raise AssertionError(f"{case}: gradient for {name} is wrong at {int(bad.sum())} of "
                             f"{bad.size} entries; first {list(index)}: rule {got[index]!r}, "
                             f"finite difference {expected[index]!r}")


def _to_float32(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float32(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, np.ndarray) and value.dtype == np.complex128:
        return value.astype(np.complex64)
    return value


def check_float32(case) -> None:
    """float32 inputs get float32 gradients, close to the float64 ones."""
    args32 = _to_float32(case.args)
    kwargs32 = {k: _to_float32(v) for k, v in case.kwargs.items()}
    rule, y32, g32, grads32 = run_rule(case, args32, kwargs32)
    promoted = any(np.result_type(v) == np.float64 for v in _flat(y32)) \
        and case.primal is not np.float_power
    g64 = _to_float64(g32)
    _, _, _, grads64 = run_rule(case, case.args, case.kwargs, g64)
    bound = _bind(rule, args32, kwargs32)
    for name, grad32, grad64 in zip(rule.inputs, grads32, grads64):
        if name not in bound:
            continue
        _, value = bound[name]
        for path in _leaves(value):
            leaf = _get(value, path)
            if np.result_type(leaf) not in (np.float32, np.complex64):
                continue
            got = _get(grad32, path) if grad32 is not None else None
            if got is None:
                continue
            assert promoted or np.result_type(got) == np.result_type(leaf), \
                f"{case}: {np.result_type(leaf)} input {name}{list(path)} got a {np.result_type(got)} gradient"
            wide = np.complex128 if np.iscomplexobj(leaf) else np.float64
            want = np.asarray(_get(grad64, path), dtype=wide)
            scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
            assert np.allclose(np.asarray(got, wide), want, rtol=2e-3, atol=2e-3 * scale), \
                f"{case}: float32 gradient for {name} differs from the float64 one"


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [v for element in value for v in _flat(element)]
    return [value]


def _to_float64(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float64(v) for v in value)
    if isinstance(value, (np.ndarray, np.floating, np.complexfloating)):
        dtype = np.complex128 if np.iscomplexobj(value) else np.float64
        return np.asarray(value, dtype=dtype)[()] if np.ndim(value) == 0 \
            else np.asarray(value, dtype=dtype)
    return value


def attribute(name):
    """A callable reading attribute `name` (for the ".T"-style registry keys)."""
    def read(x):
        return getattr(x, name)
    read.__name__ = name
    return read


__all__ = ["Case", "check_case", "check_float32", "uniform", "spd", "symmetrized",
           "unary_cases", "binary_cases", "reduction_cases", "attribute", "RNG", "math",
           "operator"]
