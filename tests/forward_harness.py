"""The harness for forward rules: each rule case of tests/test_rules_*.py, run through the
forward-mode compiler and compared with a central finite difference along the tangent.

For a `Case(np.concatenate, ([a, b],), {"axis": 1})` it writes and loads the function

    def case(a0_0, a0_1):
        return np.concatenate([a0_0, a0_1], axis=OPTION_axis)

compiles its forward code (adjoint/forward/) with tangents on the float inputs and
checks the tangent of the output against (f(x + eps t) - f(x - eps t)) / (2 eps) for a
random, non-uniform tangent t: once with every float input carrying a tangent, then
with each alone (so a contribution that reads another input's tangent shows up). Inputs
the reverse rule gives no gradient (None) carry none, as in the reverse harness.
"""
from __future__ import annotations

import operator

import numpy as np
import pytest

from adjoint import loader
from adjoint.runtime.containers import dict_items, dict_values, make_dict
from adjoint.pipeline import compile_forward
from adjoint.reverse.template import template_of
from adjoint.rules.registry import RULES
from rule_harness import RNG

SYNTAX = {operator.add: "{} + {}", operator.sub: "{} - {}", operator.mul: "{} * {}",
          operator.truediv: "{} / {}", operator.pow: "{} ** {}", operator.matmul: "{} @ {}",
          operator.mod: "{} % {}", operator.neg: "-{}", operator.pos: "+{}",
          operator.getitem: "{}[{}]"}


def _has_float(value) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return _is_float(value)


def _is_float(value) -> bool:
    return isinstance(value, float) or (isinstance(value, (np.ndarray, np.floating))
                                        and np.issubdtype(np.result_type(value), np.floating))


def case_function(case):
    """(the loaded function, its parameter names, the values to call it with, which
    parameters are float inputs of the rule)."""
    rule = RULES[case.primal]
    params, values, floats, namespace = [], [], [], {"PRIMAL": case.primal}

    def parameter(name, value, is_input):
        params.append(name)
        values.append(value)
        if is_input and _is_float(value):
            floats.append(name)
        return name

    def operand(name, value, is_input):
        """A parameter, or a list, tuple or dict display of them around float leaves."""
        if isinstance(value, dict) and _has_float(value):
            parts = [f"{key!r}: {operand(f'{name}_{key}', v, is_input)}" for key, v in value.items()]
            return "{" + ", ".join(parts) + "}"
        if isinstance(value, (list, tuple)) and _has_float(value):
            parts = [operand(f"{name}_{j}", v, is_input) for j, v in enumerate(value)]
            text = ", ".join(parts)
            return f"[{text}]" if isinstance(value, list) else f"({text}{',' if len(parts) == 1 else ''})"
        return parameter(name, value, is_input)

    if rule.variadic:  # the case packs the positional arguments into one tuple: unpack it
        count = len(case.args[0]) if rule.variadic is True else rule.variadic
        args = [operand(f"a0_{j}", v, j < count) for j, v in enumerate(case.args[0])]
    else:
        args = [operand(f"a{k}", v, rule.params[k] in _with_gradients(rule))
                for k, v in enumerate(case.args)]
    kwargs = []
    for key, value in case.kwargs.items():
        if key in _with_gradients(rule):
            kwargs.append(f"{key}={operand('k_' + key, value, True)}")
        else:
            namespace[f"OPTION_{key}"] = value
            kwargs.append(f"{key}=OPTION_{key}")
    if isinstance(case.primal, str):
        expression = f"{args[0]}{case.primal}"
    elif case.primal in (dict_values, dict_items):  # as written: d.values(), d.items()
        expression = f"{args[0]}.{case.primal.__name__[5:]}()"
    elif case.primal is make_dict:  # as written: a dict display
        expression = "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(case.args[0], args[1][1:-1].split(", "))) + "}"
    elif case.primal is np.r_ or case.primal is np.c_:  # as written: np.r_[a, b]
        expression = f"PRIMAL[{args[1]}]"
    elif case.primal in SYNTAX:
        expression = SYNTAX[case.primal].format(*args)
    else:
        expression = f"PRIMAL({', '.join(args + kwargs)})"
    source = f"def case({', '.join(params)}):\n    return {expression}\n"
    return loader.load(source, "case", namespace), params, values, floats


def _with_gradients(rule) -> set:
    """The inputs the reverse rule gives a gradient (as the reverse harness, the others
    carry no tangent here: both modes refuse them when they depend on the values)."""
    returns = template_of(rule).returns
    return {name for name, ret in zip(rule.inputs, returns) if ret is not None}


def random_tangent(value, symmetric=False, rng=RNG):
    t = rng.normal(size=np.shape(value)) + 0.3
    if symmetric:
        t = (t + np.swapaxes(t, -1, -2)) / 2
    return float(t) if isinstance(value, float) else t.astype(np.result_type(value))


def check_forward_case(case) -> None:
    func, params, values, floats = case_function(case)
    if not floats and any(np.iscomplexobj(v) for v in values):
        pytest.skip("complex inputs: forward mode takes real inputs and refuses complex values")
    if not floats and any(hasattr(v, "__dict__") or hasattr(type(v), "_fields") for v in values):
        pytest.skip("an object input: jvp takes tangents for arrays, numbers and containers only")
    assert floats, f"{case}: no float input to carry a tangent"
    groups = [tuple(floats)] + ([(name,) for name in floats] if len(floats) > 1 else [])
    symmetric = getattr(case.call, "__qualname__", "").startswith("symmetrized")
    for group in groups:
        tangents = {name: random_tangent(values[params.index(name)], symmetric and name == floats[0])
                    for name in group}
        compiled = compile_forward(func, group, _scalars(params, values), mode="pair")
        y, got = compiled.function(*values, *[tangents[n] for n in group])
        expected = _numerical(case, params, values, tangents)
        if case.primal is np.linalg.eigh:  # eigenvectors: compare in the case's sign convention
            got = _signs_like(y, case.evaluate(*values), got)
        _compare(case, group, got, expected)


def _scalars(params, values) -> frozenset:
    return frozenset(p for p, v in zip(params, values) if isinstance(v, (float, int))
                     and not isinstance(v, bool))


def _numerical(case, params, values, tangents):
    def at(sign):
        moved = [v + sign * case.eps * tangents[p] if p in tangents else v
                 for p, v in zip(params, values)]
        return _call_case(case, params, moved)
    return _difference(at(1), at(-1), case.eps)


def _call_case(case, params, values):
    """case.evaluate on the values, regrouped into the case's own arguments."""
    by_name = dict(zip(params, values))
    args = [_regroup(f"a{k}", v, by_name) for k, v in enumerate(case.args)]
    kwargs = {k: _regroup("k_" + k, v, by_name) for k, v in case.kwargs.items()}
    return case.evaluate(*args, **kwargs)


def _regroup(name, value, by_name):
    if name in by_name:
        return by_name[name]
    if isinstance(value, dict):
        return {key: _regroup(f"{name}_{key}", v, by_name) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        parts = [_regroup(f"{name}_{j}", v, by_name) for j, v in enumerate(value)]
        return parts if isinstance(value, list) else tuple(parts)
    return value


def _difference(plus, minus, eps):
    if isinstance(plus, str):
        return None  # a dict key in d.items(): nothing to compare
    if isinstance(plus, dict):
        return {key: _difference(plus[key], minus[key], eps) for key in plus}
    if isinstance(plus, (list, tuple)):
        return [_difference(a, b, eps) for a, b in zip(plus, minus)]
    plus, minus = np.asarray(plus, np.float64), np.asarray(minus, np.float64)
    return (plus - minus) / (2 * eps)


def _signs_like(y, reference, tangent):
    w, v = y
    signs = np.sign(np.sum(v * reference[1], axis=-2, keepdims=True))
    return tangent[0], tangent[1] * signs


def _compare(case, group, got, expected, path=()):
    if expected is None:
        return
    if isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), \
            f"{case}: tangent{list(path)} is not a dict with the output's keys"
        for key in expected:
            _compare(case, group, got[key], expected[key], path + (key,))
        return
    if isinstance(expected, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), \
            f"{case}: tangent has structure {type(got).__name__}, output has {len(expected)} parts"
        for k, (g, e) in enumerate(zip(got, expected)):
            _compare(case, group, g, e, path + (k,))
        return
    got = np.asarray(got, np.float64)
    assert np.shape(got) == np.shape(expected), \
        f"{case}: tangent{list(path)} along {group} has shape {np.shape(got)}, output {np.shape(expected)}"
    bad = ~np.isclose(got, expected, rtol=case.rtol * 10, atol=case.atol * 10)
    if np.any(bad):
        index = tuple(np.argwhere(bad)[0]) if got.ndim else ()
        raise AssertionError(f"{case}: tangent{list(path)} along {', '.join(group)} is wrong at "
                             f"{int(bad.sum())} of {bad.size} entries; first {list(index)}: forward "
                             f"{got[index]!r}, finite difference {expected[index]!r}")
