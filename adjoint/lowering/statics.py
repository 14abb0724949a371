"""Values known when compiling: the callables passed in, and the structure of objects.

A gradient is compiled for the argument *types* it is called with, and, for arguments
whose meaning changes the code, for more than the type (the specialization key):

    a function, lambda, builtin or ufunc      itself: `f(y)` compiles to a call of it
    a functools.partial                       its function, how many arguments it binds,
                                              the keywords it binds (values read at run time)
    a bound method                            its function, and its object's structure
    an object (dataclass, NamedTuple,         its class, and for each field: the key of a
    registered pytree, user class)            callable or object, else (type, carries floats)
    a numpy random generator                  its type (draws run as written)
    a list or tuple holding any of these       each element's key (so its length too)
    a dict gathered by **kwargs, or built     its keys (a Packed), so that f(**kwargs)
    by a display {'a': x} and not changed     passes each by name; *args: how many

The dispatcher compares keys on every call, so passing a different callable, or an object
whose callable attribute was rebound, compiles again: never a stale gradient.
"""
from __future__ import annotations

import functools
import inspect
import types
from dataclasses import dataclass

import gast
import numpy as np

from ..rules.registry import rule_maker
from ..syntax import walk_nodes
from ..runtime.pytrees import fields_of, has_leaves, is_object

RANDOM_TYPES = (np.random.Generator, np.random.RandomState)


@dataclass(frozen=True)
class Packed:
    """What a call's **kwargs (or a dict display) holds: its keys (a tuple of str); or
    what *args holds: how many values (an int). Known when compiling, so f(**d) and
    f(*args) pass the values one by one: f(a=d['a'], b=d['b']), f(args[0], args[1])."""

    names: "tuple | int"


class Same:
    """A key part that compares by identity (functions, and anything unhashable)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, Same) and other.obj is self.obj


def kind_of(value) -> str | None:
    """'function', 'partial', 'method', 'object', 'random', 'packed', 'sequence' or None
    (a plain value: an array, a number, a string, a container)."""
    if isinstance(value, Packed):
        return "packed"
    if isinstance(value, functools.partial) and rule_maker(value) is None:
        return "partial"
    if isinstance(value, types.MethodType):
        return "method" if is_object(value.__self__) else "function"
    if isinstance(value, RANDOM_TYPES):
        return "random"
    if isinstance(value, (list, tuple)) and not hasattr(type(value), "_fields") \
            and any(kind_of(v) is not None for v in value):
        return "sequence"  # self.layers = [Dense(...), Dense(...)]: see sequences.py
    if is_object(value):
        return "object"
    if isinstance(value, (str, bytes, tuple, list, dict, np.ndarray, np.generic)):
        return None
    if callable(value):  # functions, lambdas, builtins, ufuncs, numpy's dispatchers, classes
        return "function"
    return None


def static_key(value, seen=None):
    """What the code compiled for `value` depends on (see the module docstring)."""
    kind = kind_of(value)
    if kind is None:
        return type(value), has_leaves(value)
    if kind == "function":
        return "function", _identity(value)
    if kind == "partial":
        return ("partial", static_key(value.func, seen), tuple(static_key(a, seen) for a in value.args),
                tuple((k, static_key(v, seen)) for k, v in sorted(value.keywords.items())))
    if kind == "method":
        return "method", Same(value.__func__), static_key(value.__self__, seen)
    if kind == "random":
        return "random", type(value)
    if kind == "packed":
        return "packed", value.names
    if kind == "sequence":
        return "sequence", type(value), tuple(static_key(v, seen) for v in value)
    seen = set() if seen is None else seen
    if id(value) in seen:  # a field pointing back up the tree (a parent): its class only
        return "cycle", type(value)
    seen.add(id(value))
    fields = tuple((k, static_key(v, seen)) for k, v in fields_of(value).items())
    seen.discard(id(value))
    return "object", type(value), fields


def _identity(value):
    try:
        hash(value)
    except TypeError:
        return Same(value)
    return value if isinstance(value, types.MethodType) else Same(value)


@dataclass(frozen=True)
class Ranks:
    """The last part of a key when arguments are numpy arrays: each parameter's ndim
    (None for the others). The entry checks them, so the code may rely on them (a @ b's
    gradient helpers are written out for matrices: passes/ranks.py)."""
    ndims: tuple


def ranks_key(values) -> tuple:
    """(Ranks,) when some value is a numpy array, else (): nothing added to the key."""
    ndims = tuple(v.ndim if type(v) is np.ndarray else None for v in values)
    return (Ranks(ndims),) if any(n is not None for n in ndims) else ()


def key_ranks(key: tuple) -> tuple:
    """The ndims a key holds, one per parameter (None where unknown), or ()."""
    return key[-1].ndims if key and isinstance(key[-1], Ranks) else ()


def argument_key(value):
    """The key of one argument: its type, or for a value known when compiling, its
    static key."""
    return static_key(value) if kind_of(value) else type(value)


def spread_names(func_node, nodes=None) -> tuple:
    """(names the function's code spreads: f(*xs), f(*xs[1:]), f(**d); names it passes
    whole to a call: g(d, x)). A parameter among the first is compiled for how many values
    or which keys it holds; a dict among the second for its keys, so that the function it
    is passed to may spread it. `nodes`: every node of func_node, when walked already."""
    spread, passed = set(), set()
    for node in walk_nodes(func_node) if nodes is None else nodes:
        if isinstance(node, gast.Call):
            for arg in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(arg, gast.Name):
                    passed.add(arg.id)
            starred = [a.value for a in node.args if isinstance(a, gast.Starred)] + \
                [k.value for k in node.keywords if k.arg is None]
            for value in starred:
                value = value.value if isinstance(value, gast.Subscript) else value
                if isinstance(value, gast.Name):
                    spread.add(value.id)
    return spread, passed - spread


def packed_argument(value, spread: bool):
    """What a parameter's argument holds, when it is plain values the code spreads: how
    many (a tuple or list) or which keys (a dict with str keys), a Packed; for a dict passed
    on (spread=False), its keys; else the value itself."""
    if kind_of(value) is not None:
        return value
    if spread and isinstance(value, (tuple, list)) and not hasattr(type(value), "_fields"):
        return Packed(len(value))
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return Packed(tuple(value))
    return value


def statics_key(statics: dict) -> tuple:
    return tuple((name, static_key(value)) for name, value in sorted(statics.items()))


def static_defaults(func) -> dict:
    """Parameters whose default is a callable or object (def f(x, _r=np.sum))."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters
            if p.default is not p.empty and kind_of(p.default) is not None}
