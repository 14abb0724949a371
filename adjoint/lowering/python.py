"""Harmless Python inside a differentiated function: it runs as written.

A mixin of the lowering (`lower.Lowering`). None of these carries a gradient, and each
is lowered to the call it is, so it runs in the forward exactly where it was written:

    k.startswith("W")        ->  str.startswith(k, 'W')       (strings carry no gradient)
    d.get(k, v)              ->  dict_get(d, k, v)             (a read, with its gradient)
    rng.normal(0, 1, n)      ->  Generator.normal(rng, 0, 1, n)  (a draw: a constant)
"""
from __future__ import annotations

import functools
import types

import gast

from .. import ir
from .frontend import MISSING, resolve_free_name
from .local import lambda_as_def
from .partials import PartialLowering, located_at, name_node
from ..runtime.python import (dict_get, enter_context, exit_context, failed, rest_of, transposed,
                              with_default)

DICT_GET = ir.Ref("dict_get", dict_get, (), dict_get)
REST_OF = ir.Ref("rest_of", rest_of, (), rest_of)
TRANSPOSED = ir.Ref("transposed", transposed, (), transposed)
FAILED = ir.Ref("failed", failed, (), failed)
WITH_DEFAULT = ir.Ref("with_default", with_default, (), with_default)
ENTER = ir.Ref("enter_context", enter_context, (), enter_context)
EXIT = ir.Ref("exit_context", exit_context, (), exit_context)
FORMAT = ir.Ref("format", format, (), format)
JOIN = ir.Ref("str", str, ("join",), str.join)
STRING_METHODS = frozenset({
    "startswith", "endswith", "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit",
    "join", "replace", "format", "isdigit", "isalpha", "isalnum", "isspace", "isidentifier",
    "title", "capitalize", "casefold", "zfill", "center", "ljust", "rjust", "partition",
    "rpartition", "splitlines", "removeprefix", "removesuffix", "encode", "isupper", "islower"})


class PythonLowering(PartialLowering):
    def python_method(self, node: gast.Call, base, name: str):
        """A str or dict method call, or None when `name` is neither's."""
        if name in STRING_METHODS:
            args, kwargs = self.call_arguments(node)
            ref = ir.Ref("str", str, (name,), getattr(str, name))
            return ir.Call(ref, (base,) + tuple(args), tuple(kwargs))
        if name == "setdefault" and isinstance(node.func.value, gast.Name) and \
                1 <= len(node.args) <= 2 and not node.keywords:
            return self.set_default(node, base)
        if name == "get" and 1 <= len(node.args) <= 2 and not node.keywords:
            args, _ = self.call_arguments(node)
            default = args[1] if len(args) == 2 else ir.Const(None)
            return ir.Call(DICT_GET, (base, args[0], default))
        return None

    def set_default(self, node: gast.Call, base):
        """v = d.setdefault(k, x) -> d = with_default(d, k, x); v = d[k]: a new version of
        d, refused (like x += v) where d may be shared with the caller (aliases.py)."""
        args, _ = self.call_arguments(node)
        default = args[1] if len(args) == 2 else ir.Const(None)
        name = node.func.value.id
        self.assign_name(name, ir.Call(WITH_DEFAULT, (base, args[0], default)), self.at(node))
        self.body[-1].may_alias = name
        return ir.Subscript(self.current[name], args[0])

    def random_draw(self, node: gast.Call, base, example, name: str):
        """rng.normal(...) on a generator passed in: the method of its class, called on it."""
        cls = type(example)
        if not hasattr(cls, name):
            raise self.unsupported(node, f"{cls.__name__} has no method {name}")
        args, kwargs = self.call_arguments(node)
        ref = ir.Ref(cls.__name__, cls, (name,), getattr(cls, name))
        return ir.Call(ref, (base,) + tuple(args), tuple(kwargs))

    def items(self, nodes, nested: bool = False) -> list:
        """The lowered elements of a call's arguments or a display: *xs of a literal is
        spliced in, *xs of any other value stays starred (f(*xs), (*shape, 2)). In a
        display (nested=True) an inner list holding variables becomes its own value, so
        every level's parts get their gradients ([[x, x], [x, 2 * x]])."""
        out = []
        for node in nodes:
            if isinstance(node, gast.Starred) and isinstance(node.value, (gast.Tuple, gast.List)):
                out += self.items(node.value.elts, nested)
            elif isinstance(node, gast.Starred):
                out.append(ir.Starred(self.operand(node.value)))
            else:
                value = self.operand(node)
                if nested and isinstance(value, ir.TupleExpr) and ir.vars_in(value):
                    value = self.atom_of(value, node)
                out.append(value)
        return out

    def unpack_into(self, target, value) -> None:
        """a, *rest, z = xs  ->  a = xs[0]; rest = rest_of(xs, 1, 1); z = xs[-1]
        (rest_of raises, as Python does, when xs is too short); (a, b), c = t likewise."""
        elts = target.elts
        stars = [k for k, t in enumerate(elts) if isinstance(t, gast.Starred)]
        if len(stars) > 1:
            raise self.unsupported(target, "two starred names in one assignment")
        star = stars[0] if stars else None
        for k, sub in enumerate(elts):
            if k == star:
                rest = ir.Call(REST_OF, (value, ir.Const(k), ir.Const(len(elts) - k - 1)))
                self.bind_atom(sub.value, self.atom_of(rest, target))
                continue
            index = k if star is None or k < star else k - len(elts)
            self.bind_atom(sub, self.atom_of(ir.Subscript(value, ir.Const(index)), target))

    # statements -----------------------------------------------------------------------
    def assertion(self, stmt: gast.Assert) -> None:
        """assert test, message -> if not test: failed(message) (the message is evaluated
        only when the test fails, as Python does)."""
        test = self.test(stmt.test)
        saved, self.body = self.body, []
        message = ir.Const(None) if stmt.msg is None else self.operand(stmt.msg)
        self.emit(ir.ExprStmt(ir.Call(FAILED, (message,)), self.origin))
        failing, self.body = self.body, saved
        self.body.append(ir.If(test, [], failing, self.origin))

    def with_block(self, stmt: gast.With) -> None:
        """with m as v: body -> s = m; v = enter_context(s); body; exit_context(s). The
        block runs in the forward (the backward runs after it); an exception leaving the
        gradient leaves the block too (the dispatcher calls left_open)."""
        jumps = [n for s in stmt.body for n in gast.walk(s) if isinstance(n, (gast.Return, gast.Break,
                                                                             gast.Continue))]
        last = stmt.body[-1]
        if any(j is not last for j in jumps) or isinstance(last, (gast.Break, gast.Continue)):
            raise self.unsupported(jumps[0], "leaving a with block early (return, break or "
                                   "continue inside it)", "assign the result and return after the block")
        managers = []
        for item in stmt.items:
            manager = self.atom_of(self.value(item.context_expr), item.context_expr)
            entered = ir.Call(ENTER, (manager,))
            if item.optional_vars is None:
                self.emit(ir.ExprStmt(entered, self.origin))
            else:
                self.bind_atom(item.optional_vars, self.atom_of(entered, item.context_expr))
            managers.append(manager)
        body = stmt.body[:-1] if isinstance(last, gast.Return) else stmt.body
        for inner in body:
            saved_origin, self.origin = self.origin, self.parsed.location(inner)
            self.statement(inner)
            self.origin = saved_origin
        value = None
        if isinstance(last, gast.Return):  # with ...: return f(x)  -> value, leave, return
            value = ir.Const(None) if last.value is None else self.operand(last.value)
        for manager in reversed(managers):
            self.emit(ir.ExprStmt(ir.Call(EXIT, (manager,)), self.origin))
        if value is not None:
            self.body.append(ir.Return(value, self.parsed.location(last)))

    def fstring(self, node: gast.JoinedStr):
        """f"loss {x:.3f}" -> ''.join(('loss ', format(x, '.3f'))) (a string: no gradient)."""
        parts = []
        for value in node.values:
            if isinstance(value, gast.FormattedValue):
                inner = self.operand(value.value)
                convert = {115: str, 114: repr, 97: ascii}.get(value.conversion)
                if convert is not None:
                    inner = self.atom_of(ir.Call(ir.Ref(convert.__name__, convert, (), convert), (inner,)))
                spec = ir.Const("") if value.format_spec is None else self.operand(value.format_spec)
                parts.append(self.atom_of(ir.Call(FORMAT, (inner, spec)), node))
            else:
                parts.append(self.operand(value))
        return ir.Call(JOIN, (ir.Const(""), ir.TupleExpr(tuple(parts))))

    # map and functools.reduce over a function --------------------------------------
    def python_call(self, node: gast.Call):
        """map(f, xs) and functools.reduce(f, xs, init) as the loops they are; None for
        any other call."""
        if self.is_partial(node.func):
            return self.partial_call(node)
        callee = self.known_callee(node.func)
        converted = self.display_conversion(node, callee)
        if converted is None:
            converted = self.random_generator(node, callee)
        if converted is not None:
            return converted
        if callee is map and len(node.args) >= 2 and not node.keywords:
            return self.mapped(node)
        if callee is functools.reduce and 2 <= len(node.args) <= 3 and not node.keywords:
            return self.reduced(node)
        if callee is zip and node.args and not node.keywords:
            return self.zipped(node)
        return None

    def zipped(self, node: gast.Call):
        """zip(a, b) -> transposed((a, b)); zip(*pairs) -> transposed(pairs): a list of
        tuples, which for loops, unpacking and list() read as they read zip's iterator."""
        items = self.items(node.args, nested=True)
        if len(items) == 1 and isinstance(items[0], ir.Starred):
            return ir.Call(TRANSPOSED, (items[0].value,))
        if any(isinstance(i, ir.Starred) for i in items):
            raise self.unsupported(node, "zip of starred and plain arguments together")
        return ir.Call(TRANSPOSED, (ir.TupleExpr(tuple(items)),))

    def known_callee(self, func):
        """The object a call's function names when it is a global, a builtin or a module's
        attribute (map, functools.reduce), else None."""
        if isinstance(func, gast.Name) and func.id not in self.current and func.id not in self.assigned \
                and func.id not in self.local_functions:
            value = resolve_free_name(self.parsed, func.id)
            return None if value is MISSING else value
        if isinstance(func, gast.Attribute):
            owner = self.known_callee(func.value)
            if isinstance(owner, types.ModuleType):
                return getattr(owner, func.attr, None)
        return None

    def function_node(self, node, func, arity: int):
        """The function argument of map/reduce, as something a call can name (a lambda
        or a partial becomes a local function, inlined where called)."""
        if self.is_partial(func):
            return self.partial_function(node, func, arity)
        if isinstance(func, gast.Lambda):
            name = self.namer.fresh("function")
            self.define_local_function(lambda_as_def(name, func))
            return located_at(gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None), node)
        return func

    def mapped(self, node: gast.Call):
        """map(f, xs, ys) -> [f(x, y) for x, y in zip(xs, ys)]"""
        func = self.function_node(node, node.args[0], len(node.args) - 1)
        names = [self.namer.fresh("item") for _ in node.args[1:]]
        loads = [located_at(name_node(n), node) for n in names]
        target = located_at(gast.Tuple(elts=[name_node(n, gast.Store()) for n in names], ctx=gast.Store()), node) \
            if len(names) > 1 else located_at(name_node(names[0], gast.Store()), node)
        iterable = node.args[1] if len(names) == 1 else located_at(
            gast.Call(func=name_node("zip"), args=list(node.args[1:]), keywords=[]), node)
        element = located_at(gast.Call(func=func, args=loads, keywords=[]), node)
        generator = gast.comprehension(target=target, iter=iterable, ifs=[], is_async=0)
        return self.comprehension(located_at(gast.ListComp(elt=element, generators=[generator]), node))

    def reduced(self, node: gast.Call):
        """functools.reduce(f, xs, init) -> acc = init; for item in xs: acc = f(acc, item)"""
        func = self.function_node(node, node.args[0], 2)
        sequence = self.merged_name("sequence")
        self.assign_name(sequence, self.operand(node.args[1]), self.at(node))
        acc, item = self.merged_name("acc"), self.merged_name("item")
        if len(node.args) == 3:
            self.assign_name(acc, self.operand(node.args[2]), self.at(node))
            items = located_at(name_node(sequence), node)
        else:  # no initial value: start from the first item
            self.assign_name(acc, self.atom_of(ir.Subscript(self.current[sequence], ir.Const(0)), node),
                             self.at(node))
            items = located_at(gast.Subscript(value=name_node(sequence), slice=gast.Slice(
                lower=gast.Constant(value=1, kind=None), upper=None, step=None), ctx=gast.Load()), node)
        step = gast.Assign(targets=[name_node(acc, gast.Store())], value=gast.Call(
            func=func, args=[name_node(acc), name_node(item)], keywords=[]), type_comment=None)
        loop = gast.For(target=name_node(item, gast.Store()), iter=items, body=[step], orelse=[],
                        type_comment=None)
        self.statement(located_at(loop, node))
        return self.current[acc]
