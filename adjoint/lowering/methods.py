"""Array methods, lowered to the numpy functions they are: x.sum(axis=1) -> np.sum(x, axis=1).

One table, so a method gets exactly the gradient rule of its function. Methods that
change the array in place (sort, fill, resize, ...) are not here: they are mutation.
"""
from __future__ import annotations

import inspect

import numpy as np

from ..rules.registry import is_nondiff, lookup
from ..runtime.containers import dict_items, dict_values, iterated

# method name -> numpy function taking the array first
SAME_AS_FUNCTION = {
    name: getattr(np, name) for name in (
        "sum", "mean", "max", "min", "prod", "std", "var", "cumsum", "cumprod", "dot",
        "ravel", "copy", "clip", "squeeze", "round", "swapaxes", "repeat", "take",
        "diagonal", "trace", "argmax", "argmin", "argsort", "nonzero", "any", "all",
    )
}
SAME_AS_FUNCTION["flatten"] = np.ravel  # a copy rather than a view: same values, same gradient
SAME_AS_FUNCTION["conj"] = np.conj
SAME_AS_FUNCTION["conjugate"] = np.conj

# methods whose extra positional arguments are one tuple for the function:
# x.reshape(3, 4) -> np.reshape(x, (3, 4)); x.transpose(1, 0) -> np.transpose(x, (1, 0))
PACKED = {"reshape": np.reshape, "transpose": np.transpose}


# dict methods, as lists (the generated code indexes what it iterates)
DICT_METHODS = {"values": dict_values, "items": dict_items, "keys": iterated}


def method_function(name: str):
    """(function, packs positional args) for an array or dict method, or None."""
    if name in DICT_METHODS:
        return DICT_METHODS[name], False
    if name in SAME_AS_FUNCTION:
        return SAME_AS_FUNCTION[name], False
    if name in PACKED:
        return PACKED[name], True
    if name == "astype":  # np.astype copies and keeps the gradient in x's dtype (numpy >= 2.1)
        return getattr(np, "astype", np.asarray), False
    return None


def registered_method(obj, name: str):
    """obj.name when it is a method with a gradient rule or declared nondiff (the method
    of a module-level object, scipy.stats.norm.logpdf), else None. Bound methods compare
    equal when they bind the same function to the same object, so the fresh bound method
    each attribute read makes finds the rule registered under another."""
    if not inspect.isfunction(inspect.getattr_static(type(obj), name, None)):
        return None
    method = getattr(obj, name)
    return method if lookup(method) is not None or is_nondiff(method) else None
