"""Objects as pytrees: the gradient with respect to an object mirrors its structure.

As in JAX, an object is a tree whose leaves are its float and float-array fields:

    a dataclass        -> the same dataclass, each float field holding its gradient
    a NamedTuple       -> the same NamedTuple
    a registered class -> unflatten(aux, gradients of its children)   (register_pytree)
    any other object   -> a dict of its float/array attributes (nested objects nested)

Fields that are not floats (ints, strings, None, functions) carry no gradient: a
dataclass or NamedTuple of gradients keeps them as they are, a dict leaves them out.
While the backward runs, an object's gradient is a `GradObject` (one gradient per field
read so far, adding up with `+`); `finish_object` builds the mirrored structure at the end.
In generated code a field read prints as the attribute it is (`self.W`):

    s0 = self.W                                 # getfield(self, 'W')
    grad_self = unfield(grad_s0, self, 'W')     # {'W': grad_s0}, zeros elsewhere
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import types

import sys

import numpy as np

DUCK_ARRAY = ("__array__", "__array_function__", "__array_ufunc__", "__array_namespace__")
LIBRARIES = ("numpy", "scipy", "adjoint", "dask", "pandas", "torch", "jax", "jaxlib", "cupy",
             "sklearn", "builtins")


class Pytrees:
    """The classes declared with register_pytree (a class attribute rather than a module
    global, so that `adjoint eject` copies an empty table, not the user's classes)."""

    registered: dict = {}  # class -> (flatten, unflatten)


def register_pytree(cls, flatten, unflatten):
    """Declare how objects of `cls` flatten, as JAX's register_pytree_node does:
    `flatten(obj) -> (children, aux)` and `unflatten(aux, children) -> obj`. The gradient
    with respect to such an object is `unflatten(aux, gradients of the children)`."""
    Pytrees.registered[cls] = (flatten, unflatten)
    return cls


def is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_object(x) -> bool:
    """An object adjoint looks into: registered, a dataclass, a NamedTuple, or an instance
    of a user class with attributes (not an array, number, string or container)."""
    if type(x) in Pytrees.registered or is_namedtuple(x):
        return True
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return True
    if isinstance(x, (np.ndarray, np.generic, int, float, complex, str, bytes, tuple, list, dict,
                      set, type(None), type, types.ModuleType, types.FunctionType,
                      types.BuiltinFunctionType, types.MethodType, functools.partial)):
        return False
    if any(hasattr(type(x), name) for name in DUCK_ARRAY):
        return False  # another library's array (dask, cupy, ...): a value, not an object
    top = (getattr(type(x), "__module__", "") or "").partition(".")[0]
    if top in sys.stdlib_module_names or top in LIBRARIES:
        return False  # a library's own object (a generator, a distribution): not a tree
    return hasattr(x, "__dict__") or hasattr(type(x), "__slots__")


def fields_of(x) -> dict:
    """key -> value of each field: attribute names, or child positions for a registered
    class."""
    if type(x) in Pytrees.registered:
        children, _ = Pytrees.registered[type(x)][0](x)
        return dict(enumerate(children))
    if is_namedtuple(x):
        return dict(zip(type(x)._fields, x))
    if dataclasses.is_dataclass(x):
        return {f.name: getattr(x, f.name) for f in dataclasses.fields(x)}
    if hasattr(x, "__dict__"):
        return dict(vars(x))
    return {name: getattr(x, name) for name in _slots(type(x)) if hasattr(x, name)}


def _slots(cls) -> list:
    names = []
    for klass in reversed(cls.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
    return [n for n in names if n not in ("__dict__", "__weakref__")]


def has_leaves(x) -> bool:
    """Does x hold anything that carries a gradient (a float, a float array)?"""
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (float, np.floating)) or isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return True
    if isinstance(x, dict):
        return any(has_leaves(v) for v in x.values())
    if isinstance(x, (tuple, list)) and not is_namedtuple(x):
        return any(has_leaves(v) for v in x)
    return is_object(x) and any(has_leaves(v) for v in fields_of(x).values())


def getfield(obj, name):
    """obj.name, a read that carries gradient (printed as obj.name)."""
    return getattr(obj, name)


def getsetting(obj, name):
    """obj.name for a field that carries no gradient (an int, a string, a function)."""
    return getattr(obj, name)


class GradObject:
    """An object's gradient while the backward accumulates it: one gradient per field."""

    __slots__ = ("template", "parts")

    def __init__(self, template, parts):
        self.template = template
        self.parts = parts

    def __add__(self, other):
        if _nothing(other):
            return self
        if not isinstance(other, GradObject):  # finished by a function called through
            other = regathered(other, self.template)
        parts = dict(self.parts)
        for key, value in other.parts.items():
            parts[key] = parts[key] + value if key in parts else value
        return GradObject(self.template, parts)

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"GradObject({type(self.template).__name__}, {self.parts!r})"


def _nothing(g) -> bool:
    return not isinstance(g, (GradObject, tuple, list, dict)) and np.ndim(g) == 0 and not np.any(g)


def unfield(g, obj, name):
    """Gradient of obj.name: g there, zeros elsewhere. A registered class's field is found
    among its children by identity; a value that is not one of them has no gradient."""
    if type(obj) in Pytrees.registered:
        value = getattr(obj, name)
        keys = [k for k, child in fields_of(obj).items() if child is value]
        return GradObject(obj, {keys[0]: g} if keys else {})
    return GradObject(obj, {name: g})


def zero_object(obj):
    return GradObject(obj, {})


def finish_object(g: GradObject, leaf, zero):
    """The gradient handed back to the caller, in the object's own structure. `leaf(part,
    field)` finishes each part in its field's structure (arrays made writeable, a float
    field's gradient a float, nested objects finished); `zero(value)` makes the zero of a
    field nothing flowed into."""
    obj = g.template
    grads = {}
    for key, value in fields_of(obj).items():
        if key in g.parts:
            grads[key] = leaf(g.parts[key], value)
        elif has_leaves(value):
            grads[key] = leaf(zero(value), value)
    if type(obj) in Pytrees.registered:
        flatten, unflatten = Pytrees.registered[type(obj)]
        children, aux = flatten(obj)
        return unflatten(aux, [grads.get(k, child) for k, child in enumerate(children)])
    if is_namedtuple(obj):
        return obj._replace(**grads)
    if dataclasses.is_dataclass(obj):
        out = copy.copy(obj)
        for key, value in grads.items():
            object.__setattr__(out, key, value)  # (frozen dataclasses too)
        return out
    return grads


def regathered(g, obj):
    """A finished gradient of obj (what a function differentiated through returns) as a
    GradObject again, so the caller adds it to its own field by field."""
    if isinstance(g, GradObject) or _nothing(g):
        return g
    if is_namedtuple(obj) and isinstance(g, (tuple, list)) and not is_namedtuple(g):
        # unpacked (`h, c = state`), indexed or iterated as the tuple it is
        return GradObject(obj, {name: part for name, part in zip(obj._fields, g)
                                if has_leaves(getattr(obj, name))})
    if isinstance(g, dict) and not type(obj) in Pytrees.registered:
        return GradObject(obj, dict(g))
    finished = fields_of(g)
    return GradObject(obj, {key: finished[key] for key, value in fields_of(obj).items()
                            if has_leaves(value)})


# for check_grads: the leaves of an object, and a copy with one leaf replaced -------------
def leaf_paths(x, prefix=()) -> list:
    """(path, value) of every float leaf of x; a path is a tuple of field keys/indices."""
    if isinstance(x, (float, np.floating)) and not isinstance(x, bool) or \
            isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return [(prefix, x)]
    if isinstance(x, dict):
        items = x.items()
    elif isinstance(x, (tuple, list)) and not is_namedtuple(x):
        items = enumerate(x)
    elif is_object(x):
        items = fields_of(x).items()
    else:
        return []
    return [leaf for key, value in items for leaf in leaf_paths(value, prefix + (key,))]


def replaced_at(x, path, value):
    """A copy of x with the leaf at path replaced (x itself is never changed)."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(x, dict):
        return {**x, key: replaced_at(x[key], rest, value)}
    if isinstance(x, (tuple, list)) and not is_namedtuple(x):
        parts = list(x)
        parts[key] = replaced_at(parts[key], rest, value)
        return type(x)(parts)
    new = replaced_at(fields_of(x)[key], rest, value)
    if type(x) in Pytrees.registered:
        flatten, unflatten = Pytrees.registered[type(x)]
        children, aux = flatten(x)
        return unflatten(aux, [new if k == key else c for k, c in enumerate(children)])
    if is_namedtuple(x):
        return x._replace(**{key: new})
    out = copy.copy(x)
    object.__setattr__(out, key, new)
    return out


def value_at(g, path):
    """The part of a gradient (in the mirrored structure) at a leaf's path."""
    for key in path:
        if isinstance(g, dict) or isinstance(g, (tuple, list)) and not is_namedtuple(g):
            g = g[key]
        elif type(g) in Pytrees.registered:
            g = fields_of(g)[key]
        else:
            g = getattr(g, key)
    return g


# objects built inside a differentiated function (lowering/records.py) ------------------
def make_record(cls, names, values):
    """cls built from its fields: a NamedTuple, or a dataclass without __post_init__, by its
    constructor; any other class (its __init__ or __post_init__ run inlined where it was
    built, lowering/constructors.py) by setting its attributes."""
    fields = dict(zip(names, values))
    if is_namedtuple_class(cls) or dataclasses.is_dataclass(cls) and not hasattr(cls, "__post_init__"):
        return cls(**fields)
    obj = object.__new__(cls)
    store = object.__setattr__ if dataclasses.is_dataclass(cls) else setattr  # (frozen ones too)
    for name, value in fields.items():
        store(obj, name, value)
    return obj


def is_namedtuple_class(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def record_values_grad(g, names, values):
    """The gradients of the values a record was built from, in order: each field's part
    of the object's gradient (zero where nothing flowed)."""
    if _nothing(g):
        return tuple(g for _ in names)
    if isinstance(g, (tuple, list)) and not is_namedtuple(g):  # one per field, in order
        g = GradObject(None, dict(zip(names, g)))
    elif not isinstance(g, GradObject):  # finished by a function called through
        g = GradObject(None, dict(g) if isinstance(g, dict) else fields_of(g))
    return tuple(g.parts.get(name, 0.0) for name in names)
