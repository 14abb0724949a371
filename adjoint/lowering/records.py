"""Objects built inside the differentiated function: `layer = Dense(W, b)`.

A NamedTuple, a dataclass (without __post_init__), or a user class whose __init__ only
stores its arguments (`self.W = W`, or a constant) is a record of its fields. Building one
is `make_record`, whose gradient rule hands each field's part of the object's gradient
back to the value it was built from; the object is known when compiling (a prototype
with the same fields), so its methods are called as those of an object passed in:

    layer = Dense(W, b)           ->    layer = make_record(Dense, ('W', 'b'), (W, b))
    out = layer(x)                      out = Dense.__call__(layer, x)

Any other class is called as it is (a rule of its own, or no gradient through it); an
__init__ doing more than storing is named in the refusal when a gradient must flow.
"""
from __future__ import annotations

import builtins
import dataclasses
import inspect

import gast

from .. import ir
from ..errors import NoSource, UnsupportedSyntax
from ..origin import is_user_code
from ..rules.registry import is_nondiff, lookup
from ..runtime.pytrees import is_namedtuple_class, make_record
from ..runtime.python import largest, smallest
from .constructors import FIX, ConstructorLowering, unbuildable_reason
from .frontend import MISSING, parse_function
from .spread import UNKNOWN_VALUE
from .statics import kind_of

MAKE_RECORD = ir.Ref("make_record", make_record, (), make_record)
# max/min of one iterable, or of three or more numbers (builtins.max's rule takes two)
EXTREMES = {builtins.max: ir.Ref("largest", largest, (), largest),
            builtins.min: ir.Ref("smallest", smallest, (), smallest)}


class RecordLowering(ConstructorLowering):
    @property
    def unbuilt(self) -> dict:
        """Var -> the user class whose call it holds, called as it is (not built here)."""
        return self.__dict__.setdefault("_unbuilt", {})

    def refuse_unbuilt(self, node, atom, what: str):
        """A refusal of `what` on an object of a class called as it is, saying why."""
        cls = self.unbuilt[atom]
        return UnsupportedSyntax.at(self.parsed.location(node), f"{what} a {cls.__name__} object "
                                    f"built here is not supported: {unbuildable_reason(cls)}", FIX)

    def plain_call(self, node, func: ir.Ref, args: list, kwargs: list):
        extreme = EXTREMES.get(func.value) if not kwargs and not any(
            isinstance(a, ir.Starred) for a in args) else None
        if extreme is not None and len(args) != 2:  # max(xs), max(a, b, c)
            items = args[0] if len(args) == 1 else ir.TupleExpr(tuple(args))
            return ir.Call(extreme, (items,))
        built = self.record(node, func, args, kwargs) if isinstance(func.value, type) else None
        if built is None and isinstance(func.value, type) and _buildable(func.value):
            built = self.atom_of(ir.Call(func, tuple(args), tuple(kwargs)), node)
            self.unbuilt[built] = func.value  # called as it is: its methods are refused
        return ir.Call(func, tuple(args), tuple(kwargs)) if built is None else built

    def record(self, node, func, args: list, kwargs: list):
        """make_record(...) for a class built here, or None to call it as it is."""
        cls = func.value
        if not _buildable(cls) or any(isinstance(a, ir.Starred) for a in args):
            return None
        fields = record_fields(cls)
        if fields is None:  # its __init__ (or __post_init__) computes: run here
            return self.computed_record(node, cls, args, kwargs)
        self.class_attribute(cls, "__init__")  # guarded: a redefined __init__ compiles again
        try:
            bound = fields.signature.bind(*args, **dict(kwargs))
        except TypeError as exc:
            raise self.unsupported(node, f"this call of {cls.__name__} ({exc})") from None
        values = {}
        for name, source in fields.stores.items():
            if isinstance(source, ir.Const):
                values[name] = source
            elif source in bound.arguments:
                values[name] = bound.arguments[source]
            else:
                default = fields.signature.parameters[source].default
                if kind_of(default) is not None or not _constant(default):
                    return None  # a default array or callable: called as it is
                values[name] = ir.Const(default)
        names = tuple(values)
        atom = self.atom_of(ir.Call(MAKE_RECORD, (func, ir.TupleExpr(tuple(ir.Const(n) for n in names)),
                                                  ir.TupleExpr(tuple(values.values())))), node)
        self.static_of[atom] = self.prototype(cls, values)
        return atom

    def prototype(self, cls, values: dict):
        """An object of cls with the fields it will have: callables and objects as they
        are known here, arrays and numbers as a placeholder."""
        examples = {}
        for name, value in values.items():
            known = self.static_value(value) if isinstance(value, (ir.Var, ir.Ref)) else MISSING
            examples[name] = value.value if isinstance(value, ir.Const) else \
                UNKNOWN_VALUE if known is MISSING else known
        if is_namedtuple_class(cls):
            return cls._make(examples.get(f, UNKNOWN_VALUE) for f in cls._fields)
        obj = object.__new__(cls)
        for name, example in examples.items():
            object.__setattr__(obj, name, example)
        return obj


class Fields:
    def __init__(self, signature, stores: dict):
        self.signature = signature  # of the constructor, without self
        self.stores = stores  # field -> the parameter it is built from (or an ir.Const)


def record_fields(cls):
    """How cls's fields come from its constructor's arguments, or None."""
    if is_namedtuple_class(cls):
        if "__new__" in vars(cls) and not hasattr(cls, "_make"):
            return None
        return Fields(inspect.signature(cls), {f: f for f in cls._fields})
    if dataclasses.is_dataclass(cls):
        fields = [f for f in dataclasses.fields(cls) if f.init]
        if hasattr(cls, "__post_init__") or any(f.default_factory is not dataclasses.MISSING
                                                for f in fields):
            return None
        return Fields(inspect.signature(cls), {f.name: f.name for f in fields})
    init = inspect.getattr_static(cls, "__init__", None)
    if inspect.getattr_static(cls, "__new__") is not object.__new__:
        return None  # (a tuple or other builtin subclass, or its own __new__: called as it is)
    if init is object.__init__:
        return Fields(inspect.signature(cls), {})
    if not inspect.isfunction(init):
        return None
    return _stores(init)


def _stores(init):
    """field -> parameter for an __init__ that only stores its arguments, else None."""
    try:
        node = parse_function(init).node
    except NoSource:  # called as it is, like any class
        return None
    params = [a.id for a in node.args.posonlyargs + node.args.args]
    if len(params) < 1 or node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
        return None
    me, stores = params[0], {}
    body = node.body[1:] if node.body and is_docstring(node.body[0]) else node.body
    for stmt in body:
        if isinstance(stmt, gast.Pass):
            continue
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Attribute)
                and isinstance(stmt.targets[0].value, gast.Name) and stmt.targets[0].value.id == me):
            return None
        value = stmt.value
        if isinstance(value, gast.Name) and value.id in params[1:]:
            stores[stmt.targets[0].attr] = value.id
        elif isinstance(value, gast.Constant):
            stores[stmt.targets[0].attr] = ir.Const(value.value)
        else:
            return None
    signature = inspect.signature(init)
    return Fields(signature.replace(parameters=list(signature.parameters.values())[1:]), stores)


def _buildable(cls) -> bool:
    return isinstance(cls, type) and is_user_code(cls) and lookup(cls) is None \
        and not is_nondiff(cls) and not issubclass(cls, BaseException)


def _constant(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def is_docstring(stmt) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) \
        and isinstance(stmt.value.value, str)
