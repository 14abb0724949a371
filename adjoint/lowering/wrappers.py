"""grad(np.sqrt), grad(scipy.special.expit): a callable with a gradient rule of its own,
differentiated as the Python function that calls it,

    grad(np.sqrt)     ->    def sqrt(x):
                                return np.sqrt(x)

compiled from that text (loader.py), so its gradient is the rule's and the code shown
is the code that runs. Its parameters are the callable's required positional ones (a
ufunc's inputs: x, or x1, x2).
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from ..loader import load
from ..rules.registry import lookup, rule_maker


def as_python_function(func):
    """func itself, or for a callable with a rule (not written in Python), a Python
    function calling it."""
    if inspect.isfunction(func) or inspect.ismethod(func) or isinstance(func, (type, functools.partial)) \
            or rule_maker(func) is not None or lookup(func) is None:
        return func  # (grad(grad(f)), grad(partial(f, a)): the Specializer's own cases)
    params = _parameters(func)
    name = getattr(func, "__name__", "")
    if params is None or not name.isidentifier():
        return func
    callee = f"np.{name}" if getattr(np, name, None) is func else "callee"
    text = f"def {name}({', '.join(params)}):\n    return {callee}({', '.join(params)})\n"
    return load(text, name, {"np": np, "callee": func})


def _parameters(func):
    if isinstance(func, np.ufunc):
        return ["x"] if func.nin == 1 else [f"x{k + 1}" for k in range(func.nin)]
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    names = [p.name for p in parameters if p.default is p.empty
             and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names or None
