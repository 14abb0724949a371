"""Objects and callables known when compiling: `self.W`, `self.layer1(x)`, `f(y)`.

A mixin of the lowering (`lower.Lowering`). Values whose meaning changes the code (a
function passed in, an object's class and its callable fields: see statics.py) are known
when compiling, from the arguments the gradient is specialized for; `self.static_of` maps
each Var holding one to the example it was compiled for. Arrays and floats inside objects
are read when the code runs, so a model trained in place always gives fresh gradients:

    def loss(self, X):                      s0 = self.W1                (getfield)
        h = self.layer(X)            ->     h = Model.layer(self, X)    (differentiated through)
        return f(h)                         out = relu(h)               (f was relu)

A partial's bound arguments and a bound method's object are read at run time too; a
plain function, builtin or ufunc is called by name.
"""
from __future__ import annotations

import inspect
import types

import numpy as np

from .. import ir
from ..errors import UnsupportedSyntax
from ..runtime.pytrees import getfield, getsetting, has_leaves, is_namedtuple
from .frontend import MISSING
from .statics import kind_of

VALUES = (np.ndarray, np.generic, int, float, complex, str, bytes, tuple, list, dict)
GETFIELD = ir.Ref("getfield", getfield, (), getfield)
GETSETTING = ir.Ref("getsetting", getsetting, (), getsetting)
# attributes of arrays, which stay attribute reads (x.T, x.shape)
ARRAY_ATTRIBUTES = frozenset({"T", "mT", "real", "imag", "shape", "ndim", "size", "dtype", "flat",
                              "itemsize", "nbytes", "strides", "base", "flags"})


class ObjectLowering:
    def static_value(self, atom):
        """The value `atom` was compiled for, when it is a callable or an object."""
        if isinstance(atom, ir.Var):
            example = self.static_of.get(atom, MISSING)
            if example is not MISSING:
                self.note_static_use(atom)  # (static_names.py: one name, one callable)
            return example
        if isinstance(atom, ir.Ref) and not isinstance(atom.value, types.ModuleType) \
                and kind_of(atom.value) is not None:
            return atom.value
        return MISSING

    def held(self, value, example):
        """An atom holding `value` (an expression), known to be `example`."""
        atom = self.atom_of(value)
        if isinstance(atom, ir.Var):
            self.static_of[atom] = example
        return atom

    # attribute reads ------------------------------------------------------------
    def field(self, base, name: str, node):
        """base.name where base is an object (or not known to be an array)."""
        example = self.static_value(base)
        if example is MISSING or kind_of(example) not in ("object", "partial", "method"):
            if name in ARRAY_ATTRIBUTES or example is not MISSING or isinstance(base, ir.Ref):
                return ir.Attr(base, name)
            return ir.Call(GETFIELD, (base, ir.Const(name)))  # its class is not known: any object
        descriptor = self.class_attribute(type(example), name)
        if isinstance(descriptor, property):
            return ir.Call(self.function_ref(descriptor.fget), (base,))
        if inspect.isfunction(descriptor) and not self.is_field(example, name):
            raise self.unsupported(node, f"reading the method {name} without calling it",
                                   f"call it here (self.{name}(...)), or pass the object")
        if not hasattr(example, name):
            raise self.unsupported(node, f"reading {name}, which this {type(example).__name__} "
                                   "object does not have")
        value = getattr(example, name)
        kind = kind_of(value)
        held_values = [value.__self__] if kind == "method" else \
            list(value.args) + list(value.keywords.values()) if kind == "partial" else []
        if any(has_leaves(v) for v in held_values) and not isinstance(base, ir.Ref):
            raise self.unsupported(node, f"reading the {kind} stored in {name}, whose arrays "
                                   "would get no gradient through it",
                                   "store the object itself and call its method")
        shared = isinstance(base, ir.Ref) or base in self.from_global
        if kind is not None and shared and self.is_field(example, name) and hasattr(example, "__dict__"):
            self.guards.append((vars(example), name, value))  # a global object: guard its field
        if kind == "function":
            return self.function_ref(value)
        read = GETFIELD if has_leaves(value) or kind == "object" else GETSETTING
        if kind is not None:
            held = self.held(ir.Call(read, (base, ir.Const(name))), value)
            if shared:
                self.from_global.add(held)
            return held
        return ir.Call(read, (base, ir.Const(name)))

    def is_field(self, example, name: str) -> bool:
        if is_namedtuple(example):
            return name in type(example)._fields
        return name in getattr(example, "__dict__", {}) or name in getattr(type(example), "__slots__", ())

    def class_attribute(self, cls, name: str):
        """cls's own attribute `name` (a method, property, constant), found along its MRO
        without running descriptors; guarded, so redefining it later compiles again."""
        for klass in cls.__mro__:
            if name in vars(klass):
                found = vars(klass)[name]
                self.guards.append((vars(klass), name, found))
                return found
            if klass is not object:
                self.guards.append((vars(klass), name, MISSING))
        return MISSING

    def function_ref(self, func) -> ir.Ref:
        """A Ref printing as the function's own name (np.tanh for numpy's functions)."""
        name = getattr(func, "__name__", "") or "f"
        if name.isidentifier() and getattr(np, name, None) is func:
            return ir.Ref("np", np, (name,), func)
        return ir.Ref(name if name.isidentifier() else "f", func, (), func)

    # calls ---------------------------------------------------------------------
    def call_static(self, node, callee, example, args: list, kwargs: list):
        """callee(*args, **kwargs) where callee (an atom) was compiled for `example`."""
        kind = kind_of(example)
        if kind == "function":
            ref = callee if isinstance(callee, ir.Ref) and callee.value is example \
                else self.function_ref(example)
            return ir.Call(ref, tuple(args), tuple(kwargs))
        if kind == "partial":
            bound = self.held(ir.Call(GETSETTING, (callee, ir.Const("args"))), example.args)
            front = [self.atom_of(ir.Subscript(bound, ir.Const(k))) for k in range(len(example.args))]
            named = []
            if example.keywords:
                table = self.held(ir.Call(GETSETTING, (callee, ir.Const("keywords"))), example.keywords)
                given = {k for k, _ in kwargs}
                named = [(k, self.atom_of(ir.Subscript(table, ir.Const(k))))
                         for k in example.keywords if k not in given]
            inner = example.func
            inner_atom = self.function_ref(inner) if kind_of(inner) == "function" else \
                self.held(ir.Call(GETSETTING, (callee, ir.Const("func"))), inner)
            return self.call_static(node, inner_atom, inner, front + list(args), named + list(kwargs))
        if kind == "method":
            owner = self.held(ir.Call(GETSETTING, (callee, ir.Const("__self__"))), example.__self__)
            return ir.Call(self.function_ref(example.__func__), (owner,) + tuple(args), tuple(kwargs))
        if kind == "object":
            return self.call_method(node, callee, example, "__call__", args, kwargs)
        raise self.unsupported(node, f"calling a {type(example).__name__}")

    def method_call(self, node, base, name: str):
        """obj.method(...) on an object known when compiling, a random generator's draw, a
        global object's method; else an array (or str or dict) method (lower.array_method)."""
        base = base if isinstance(base, (ir.Var, ir.Const, ir.Ref)) else self.atom_of(base)
        if base in self.unbuilt:
            raise self.refuse_unbuilt(node, base, f"calling the method {name} of")
        example = self.static_value(base)
        if example is not MISSING and kind_of(example) == "random" and isinstance(base, ir.Ref):
            example = MISSING  # rs.randn(3) on a global generator: called as written
        if example is not MISSING and kind_of(example) == "random":
            return self.random_draw(node, base, example, name)
        if example is not MISSING and kind_of(example) == "object":
            args, kwargs = self.call_arguments(node)
            return self.call_method(node, base, example, name, args, kwargs)
        if isinstance(base, ir.Ref) and hasattr(base.value, name) and not isinstance(
                base.value, VALUES):  # a global object's method (not an array's: array_method)
            args, kwargs = self.call_arguments(node)
            return ir.Call(ir.Ref(base.root_name, base.root, base.path + (name,), getattr(base.value, name)),
                           tuple(args), tuple(kwargs))
        return self.array_method(node, base, name)

    def call_method(self, node, base, example, name: str, args: list, kwargs: list):
        """base.name(*args) on an object: its class's function, with base as self; a
        callable stored in a field is called as it is."""
        if self.is_field(example, name):
            value = getattr(example, name)
            holder = self.field(base, name, node)
            holder = holder if isinstance(holder, ir.Ref) else self.atom_of(holder)
            return self.call_static(node, holder, value, args, kwargs)
        descriptor = self.class_attribute(type(example), name)
        if isinstance(descriptor, staticmethod):
            return self.call_static(node, self.function_ref(descriptor.__func__),
                                    descriptor.__func__, args, kwargs)
        if isinstance(descriptor, classmethod):
            cls = ir.Ref(type(example).__name__, type(example), (), type(example))
            return ir.Call(self.function_ref(descriptor.__func__), (cls,) + tuple(args), tuple(kwargs))
        if inspect.isfunction(descriptor):
            return ir.Call(self.function_ref(descriptor), (base,) + tuple(args), tuple(kwargs))
        if descriptor is not MISSING and callable(descriptor) and kind_of(descriptor) == "function" \
                and not inspect.ismethoddescriptor(descriptor):
            return ir.Call(self.function_ref(descriptor), tuple(args), tuple(kwargs))
        what = "is not callable" if name == "__call__" else f"has no method {name}"
        raise self.unsupported(node, f"this {type(example).__name__} object {what}",
                               "call a method its class defines")

    def call_unknown(self, node, callee):
        """A call of a value adjoint cannot know when compiling."""
        if callee in self.unbuilt:
            return self.refuse_unbuilt(node, callee, "calling")
        if isinstance(callee, ir.Var) and callee.kind is ir.Kind.PARAM:
            return UnsupportedSyntax.at(
                self.parsed.location(node), f"cannot call the parameter {callee.name}: the "
                "function it holds is not known when compiling", "call the gradient with it "
                "(adjoint compiles for the function passed); adjoint.source(f, wrt, *example_args) "
                "shows the code for an example")
        return self.unsupported(node, "a call of a value known only when the code runs (an "
                                "element of a list, the result of a call)",
                                "call functions by name, pass them as arguments, or store them "
                                "as attributes of an object passed in")
