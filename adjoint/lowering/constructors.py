"""Objects whose __init__ (or a dataclass's __post_init__) computes, built inside the
differentiated function: that code runs here, inlined, so each field's gradient flows
back through what computed it.

    class Tracked:                            W_1 = W
        def __init__(self, W):                self_W = W_1 * 2.0
            self.W = W * 2.0         ->       self_n = W_1.shape[0]
            self.n = W.shape[0]               t = make_record(Tracked, ('W', 'n'), (self_W, self_n))

    t = Tracked(W)

The method may set self's attributes (self.a = ..., or object.__setattr__(self, 'a', ...)
in a frozen dataclass), read those it set, and use local names, branches and loops, as
long as each attribute is first set at the top level of its body. Anything else done with
self (calling a method, super().__init__, passing self on), *args or **kwargs, a return,
a default array: the class is then called as it is, and where a gradient must flow
through it, or a method of the result is called, the refusal names the line of __init__
or __post_init__ and why (`unbuildable_reason`).
"""
from __future__ import annotations

import copy
import dataclasses
import inspect
from dataclasses import dataclass

import gast

from .. import ir
from ..errors import Location, NoSource
from ..runtime.pytrees import make_record
from .frontend import Parsed, parse_function
from .statics import kind_of

MAKE_RECORD = ir.Ref("make_record", make_record, (), make_record)
SIMPLE = (gast.Assign, gast.AnnAssign, gast.AugAssign, gast.Expr, gast.Pass, gast.Assert)
BLOCKS = (gast.If, gast.For, gast.While)


@dataclass
class Plan:
    """How to build an object of a class by running its __init__ (or __post_init__)."""

    parsed: Parsed  # the method (its module's names, its file's lines)
    params: list  # the method's parameters after self
    body: list  # its statements, self.a written as the name standing for a
    fields: list  # the attributes, in the order first set
    names: dict  # attribute -> the local name standing for it


@dataclass
class Refusal:
    where: Location | None
    why: str


class ConstructorLowering:
    def computed_record(self, node, cls, args: list, kwargs: list):
        """make_record(...) of an object built by running its __init__ here, or None."""
        plan = build_plan(cls)
        if isinstance(plan, Refusal) or f"{cls.__qualname__}.__init__" in self.inlining:
            return None
        post_init = dataclasses.is_dataclass(cls)
        self.class_attribute(cls, "__post_init__" if post_init else "__init__")  # guarded
        try:
            bound = inspect.signature(cls).bind(*args, **dict(kwargs))
        except TypeError as exc:
            raise self.unsupported(node, f"this call of {cls.__name__} ({exc})") from None
        bound.apply_defaults()
        given = dict(bound.arguments)
        if post_init:  # the fields __init__ sets, then __post_init__'s own parameters
            for f in dataclasses.fields(cls):
                if not f.init and f.default is not dataclasses.MISSING:
                    given[f.name] = f.default
            given.update({plan.names[f]: given[f] for f in plan.fields if f in given})
        pairs = [(p, self.constant_argument(given[p])) for p in plan.params]
        if any(value is None for _, value in pairs):
            return None  # a default that is an array: called as it is
        fdef = gast.FunctionDef(name=f"{cls.__qualname__}.__init__", args=_arguments(plan.params),
                                body=plan.body + [_returned(plan)], decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        fdef.adjoint_parsed = plan.parsed
        values = self.inline_bound(fdef, pairs, self.at(node))
        names = ir.TupleExpr(tuple(ir.Const(f) for f in plan.fields))
        ref = ir.Ref(cls.__name__, cls, (), cls)
        atom = self.atom_of(ir.Call(MAKE_RECORD, (ref, names, values)), node)
        self.static_of[atom] = self.prototype(cls, dict(zip(plan.fields, values.elts)))
        return atom

    def constant_argument(self, value):
        """An argument as passed (an atom), or a default value as a constant; None for a
        default the code cannot hold as one (an array)."""
        if isinstance(value, (ir.Var, ir.Const, ir.Ref, ir.TupleExpr)):
            return value
        if value is None or isinstance(value, (bool, int, float, str)):
            return ir.Const(value)
        if kind_of(value) is not None:
            return ir.Ref(getattr(value, "__name__", "f"), value, (), value)
        return None


def build_plan(cls):
    """A Plan for cls, or a Refusal saying why its objects are not built here."""
    if inspect.getattr_static(cls, "__new__") is not object.__new__:
        return Refusal(None, f"{cls.__name__} defines __new__ (or is a builtin type's subclass)")
    if dataclasses.is_dataclass(cls):
        post = inspect.getattr_static(cls, "__post_init__", None)
        if post is None:
            return Refusal(None, "a field has a default_factory")
        if any(f.default_factory is not dataclasses.MISSING for f in dataclasses.fields(cls)):
            return Refusal(None, "a field has a default_factory")
        fields = [f.name for f in dataclasses.fields(cls) if f.init or f.default is not dataclasses.MISSING]
        return method_plan(cls, post, "__post_init__", fields)
    init = inspect.getattr_static(cls, "__init__", None)
    if not inspect.isfunction(init):
        return Refusal(None, f"{cls.__name__}'s __init__ is not a Python function")
    if inspect.getattr_static(cls, "__setattr__") is not object.__setattr__:
        return Refusal(None, f"{cls.__name__} defines __setattr__, which self.a = ... runs")
    return method_plan(cls, init, "__init__", [])


def unbuildable_reason(cls) -> str:
    """Why objects of cls are not built inside the differentiated function, with where."""
    plan = build_plan(cls)
    if not isinstance(plan, Refusal):
        return ""
    where = f" ({plan.where})" if plan.where else ""
    return (f"{cls.__name__} is not built here because {plan.why}{where}; adjoint runs __init__ "
            "(or __post_init__) inside the differentiated function only when it sets self's "
            "attributes from its arguments and from each other")


FIX = ("build the object before the differentiated function and pass it in, or make __init__ "
       "only set self's attributes")


def method_plan(cls, func, name: str, fields: list):
    try:
        parsed = parse_function(func)
    except NoSource:
        return Refusal(None, f"the source of {name} cannot be read")
    node = parsed.node
    if node.args.vararg or node.args.kwarg:
        return Refusal(parsed.location(node), f"{name} takes *args or **kwargs")
    params = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    if not params:
        return Refusal(parsed.location(node), f"{name} has no self parameter")
    me, params = params[0], params[1:]
    taken = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)} | set(params)
    plan = Plan(parsed, [], [], list(fields), {})
    for field in fields:
        _stand_in(plan, me, field, taken)
    plan.params = [plan.names[f] for f in fields] + params
    for stmt in node.body:
        refusal = _take(plan, me, stmt, taken, f"{cls.__name__}.{name}", cls)
        if refusal is not None:
            return refusal
    return plan


def _take(plan: Plan, me: str, stmt, taken: set, name: str, cls):
    """Add one statement of the method to the plan (self.a -> its stand-in), or refuse."""
    where = plan.parsed.location(stmt)
    if isinstance(stmt, gast.Return) and stmt.value is None and stmt is plan.parsed.node.body[-1]:
        return None
    if not isinstance(stmt, SIMPLE + BLOCKS):
        return Refusal(where, f"{name} has a {type(stmt).__name__.lower()} statement")
    setter = _object_setattr(stmt, me)
    if setter is not None:
        stmt = gast.copy_location(gast.Assign(targets=[_self_attr(me, setter[0], gast.Store())],
                                              value=setter[1], type_comment=None), stmt)
    for inner in gast.walk(stmt):
        if isinstance(inner, (gast.Return, gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            return Refusal(plan.parsed.location(inner), f"{name} holds a {type(inner).__name__.lower()}")
    if any(isinstance(n, gast.Name) and n.id == "super" for n in gast.walk(stmt)):
        return Refusal(where, f"{name} calls super()")
    reads, writes = _self_uses(stmt, me)
    if reads is None:
        return Refusal(where, f"{name} passes self on")
    for attr in sorted(reads):
        if attr not in plan.names:
            kind = "calls the method" if callable(inspect.getattr_static(cls, attr, None)) else \
                "reads the class attribute" if hasattr(cls, attr) else "reads"
            return Refusal(where, f"{name} {kind} self.{attr}" + (
                " before setting it" if kind == "reads" else ""))
    for attr in writes:
        if attr not in plan.names:
            if not isinstance(stmt, SIMPLE):
                return Refusal(where, f"{name} first sets self.{attr} inside a branch or loop")
            _stand_in(plan, me, attr, taken)
    # a copy: the parsed tree is cached and shared (frontend.parse_function)
    plan.body.append(_Replace(me, plan.names).visit(copy.deepcopy(stmt)))
    return None


def _stand_in(plan: Plan, me: str, attr: str, taken: set) -> None:
    local = f"{me}_{attr}"
    while local in taken:
        local += "_"
    taken.add(local)
    plan.names[attr] = local
    plan.fields.append(attr) if attr not in plan.fields else None


def _self_uses(stmt, me: str):
    """(attributes read, attributes set) through self; None for reads when self is used
    any other way."""
    reads, writes, seen = set(), set(), set()
    for node in gast.walk(stmt):
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) \
                and node.value.id == me:
            seen.add(id(node.value))
            is_store = isinstance(node.ctx, gast.Store)
            (writes if is_store else reads).add(node.attr)
            if isinstance(stmt, gast.AugAssign) and is_store:
                reads.add(node.attr)
    for node in gast.walk(stmt):
        if isinstance(node, gast.Name) and node.id == me and id(node) not in seen:
            return None, writes
    return reads, writes


def _object_setattr(stmt, me: str):
    """object.__setattr__(self, 'a', v) -> ('a', v)."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
            and call.func.attr == "__setattr__" and isinstance(call.func.value, gast.Name) \
            and call.func.value.id == "object" and len(call.args) == 3 and not call.keywords \
            and isinstance(call.args[0], gast.Name) and call.args[0].id == me \
            and isinstance(call.args[1], gast.Constant) and isinstance(call.args[1].value, str):
        return call.args[1].value, call.args[2]
    return None


class _Replace(gast.NodeTransformer):
    """self.a (read or set) -> the local name standing for a."""

    def __init__(self, me: str, names: dict):
        self.me, self.names = me, names

    def visit_Attribute(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == self.me:
            return gast.copy_location(gast.Name(id=self.names[node.attr], ctx=node.ctx,
                                                annotation=None, type_comment=None), node)
        return self.generic_visit(node)


def _self_attr(me: str, attr: str, ctx):
    return gast.Attribute(value=gast.Name(id=me, ctx=gast.Load(), annotation=None, type_comment=None),
                          attr=attr, ctx=ctx)


def _arguments(params: list):
    return gast.arguments(args=[gast.Name(id=p, ctx=gast.Param(), annotation=None, type_comment=None)
                                for p in params], posonlyargs=[], vararg=None, kwonlyargs=[],
                          kw_defaults=[], kwarg=None, defaults=[])


def _returned(plan: Plan):
    """return (stand-in of each field, ...), at the method's last line."""
    names = [gast.Name(id=plan.names[f], ctx=gast.Load(), annotation=None, type_comment=None)
             for f in plan.fields]
    last = plan.parsed.node.body[-1]
    return gast.copy_location(gast.Return(value=gast.Tuple(elts=names, ctx=gast.Load())), last)
