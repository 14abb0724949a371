"""Lowering of control flow: if, for, while, and/or, conditional expressions.

A mixin of the lowering (`lower._Lowering`), kept apart so each file has one job:

    for x in xs:               ->   s0 = len(xs)
        body                        for i in range(s0):
                                        x = xs[i]
                                        body
    a and b                    ->   s = a; if s: s = b      (b evaluated only if needed)
    while t < 10.0 and n < 100 ->   stays one condition (comparisons of names/numbers)

Python evaluates a loop's iterable and range bounds once, so names the body may rebind
are copied to a temporary first; a loop variable the body reassigns gets a separate
index. Names assigned inside a branch or loop keep one variable (not SSA versions);
they are recorded in `self.dynamic` for the reverse pass.
"""
from __future__ import annotations

import builtins
import operator

import gast

from .. import ir
from ..syntax import COMPARE
from ..runtime.containers import iterated
from .frontend import MISSING, resolve_free_name
from .local import renamed

_ITERATED = ir.Ref("iterated", iterated, (), iterated)



class ControlFlowLowering:
    def test(self, node):
        """A branch or loop condition: a comparison of atoms stays inline (if x > 0:),
        and so does and/or over such comparisons (while t < 10.0 and n < 100:)."""
        if isinstance(node, gast.BoolOp):
            logic = self.simple_logic(node)
            if logic is not None:
                return logic
        value = self.value(node)
        if isinstance(value, (ir.Compare, ir.UnaryOp)) or is_atom(value):
            return value
        return self.atom_of(value, node)

    def for_loop(self, node: gast.For) -> None:
        if node.orelse:
            raise self.unsupported(node, "for ... else", "set a flag before break instead")
        iterable = node.iter
        func = self.static_callee(iterable)
        # Python evaluates the iterable and range bounds once: take them before the body
        # can rebind the names they came from
        if func is range and isinstance(node.target, gast.Name) and not iterable.keywords:
            args = [self.snapshot(self.operand(a)) for a in iterable.args]
            start, stop, step = _range_args(args)
            if _assigns(node.body, node.target.id):  # the body changes the loop variable
                self.loop(node, self.index_var, start, stop, step,
                          prefix=lambda i: [(node.target, i)])
            else:
                self.loop(node, lambda: self.define(node.target.id), start, stop, step, prefix=None)
            return
        if func is enumerate and _is_pair(node.target) and _enumerate_start(iterable) is not None:
            seq = self.snapshot(self.operand(iterable.args[0]))
            start = self.snapshot(self.operand(_enumerate_start(iterable)))
            index, element = node.target.elts
            if self.sequence_of(seq) is not MISSING:  # enumerate(self.layers): sequences.py
                self.sequence_loop(node, [(element, seq)], (index, start))
            elif _assigns(node.body, index.id) or start != ir.Const(0):
                self.loop(node, self.index_var, ir.Const(0), self.length(seq), ir.Const(1),
                          prefix=lambda i: [(index, i if start == ir.Const(0) else ir.BinOp(operator.add, i, start)),
                                           (element, ir.Subscript(seq, i))])
            else:
                self.loop(node, lambda: self.define(index.id), ir.Const(0), self.length(seq),
                          ir.Const(1), prefix=lambda i: [(element, ir.Subscript(seq, i))])
            return
        if func is zip and isinstance(node.target, gast.Tuple) and not iterable.keywords \
                and len(node.target.elts) == len(iterable.args):
            seqs = [self.snapshot(self.operand(a)) for a in iterable.args]
            if any(self.sequence_of(seq) is not MISSING for seq in seqs):  # (sequences.py)
                self.sequence_loop(node, list(zip(node.target.elts, seqs)))
                return
            stop = self.length(seqs[0])
            for seq in seqs[1:]:
                stop = self.atom_of(ir.Call(_builtin("min"), (stop, self.length(seq))), node)
            self.loop(node, self.index_var, ir.Const(0), stop, ir.Const(1),
                      prefix=lambda i: [(t, ir.Subscript(q, i)) for t, q in zip(node.target.elts, seqs)])
            return
        if func is reversed and len(iterable.args) == 1 and not iterable.keywords:
            seq = self.subscript(node, self.operand(iterable.args[0]), ir.Slice(None, None, ir.Const(-1)))
            seq = self.atom_of(seq, node)
        else:  # arrays, lists and tuples are indexed as they are; a dict yields its keys
            seq = self.operand(iterable)
            if self.sequence_of(seq) is MISSING:
                seq = self.atom_of(ir.Call(_ITERATED, (self.snapshot(seq),)), node)
        if self.sequence_of(seq) is not MISSING:  # objects or functions (sequences.py)
            self.sequence_loop(node, [(node.target, seq)])
            return
        self.loop(node, self.index_var, ir.Const(0), self.length(seq), ir.Const(1),
                  prefix=lambda i: [(node.target, ir.Subscript(seq, i))])

    def loop(self, node, make_target, start, stop, step, prefix) -> None:
        """Lower a for loop over range(start, stop, step); `prefix(i)` gives the
        (target, value) pairs assigned first in each iteration."""
        self.loop_depth += 1
        target = make_target()
        self.dynamic.add(target)
        saved, self.body = self.body, []
        for sub_target, value in (prefix(target) if prefix else []):
            if isinstance(sub_target, ir.Var):  # a loop variable of its own (sequences.py)
                self.bind_known(sub_target, value)
                continue
            self.bind_atom(sub_target, self.atom_of(value, node) if isinstance(sub_target, gast.Tuple)
                           else value)
        head = self.body
        self.body = saved
        body = head + self.block(node.body)
        self.loop_depth -= 1
        self.body.append(ir.For(target, start, stop, step, body, self.origin))

    def snapshot(self, value, force: bool = False):
        """A name the code may rebind later, copied to a temporary (an atom otherwise
        stays as it is)."""
        if not force and not (isinstance(value, ir.Var) and value in self.dynamic):
            return value
        temp = ir.Var(self.namer.temp(), ir.Kind.TEMP)
        self.emit(ir.Assign(temp, value, self.origin))
        return temp

    def index_var(self) -> ir.Var:
        return ir.Var(self.namer.fresh("i"), ir.Kind.TEMP)

    def length(self, seq):
        return self.atom_of(ir.Call(_builtin("len"), (seq,)), None)

    def while_loop(self, node: gast.While) -> None:
        if node.orelse:
            raise self.unsupported(node, "while ... else", "set a flag before break instead")
        self.loop_depth += 1
        saved, self.body = self.body, []
        test = self.test(node.test)
        test_statements, self.body = self.body, saved
        body = self.block(node.body)
        self.loop_depth -= 1
        if test_statements:  # the test needs statements of its own: evaluate it in the body
            body = test_statements + [ir.If(test, body, [ir.Break(self.origin)], self.origin)]
            test = ir.Const(True)
        self.body.append(ir.While(test, body, self.origin))

    def static_callee(self, node):
        """The object a call's function names, if it is a plain global or builtin."""
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and node.func.id not in self.current and node.func.id not in self.assigned:
            return resolve_free_name(self.parsed, node.func.id)
        return None

    def merged_temp(self) -> ir.Var:
        var = ir.Var(self.namer.temp(), ir.Kind.TEMP)
        self.dynamic.add(var)
        return var

    def comprehension(self, node):
        """[f(x) for x in xs if c] -> items = []; for x in xs: if c: items.append(f(x)).
        A generator expression is made a list the same way (sum(x * x for x in xs))."""
        result = self.merged_name("items")
        self.emit(ir.Assign(self.current[result], ir.TupleExpr((), is_list=True), self.at(node)))
        element = node.elt
        renames = {}
        for generator in node.generators:  # comprehension variables are the comprehension's own
            if generator.is_async:
                raise self.unsupported(node, "an async comprehension")
            for target in gast.walk(generator.target):
                if isinstance(target, gast.Name):
                    renames[target.id] = self.merged_name(target.id)
        append = gast.Expr(value=gast.Call(
            func=gast.Attribute(value=_name(result), attr="append", ctx=gast.Load()),
            args=[element], keywords=[]))
        body = [append]
        for generator in reversed(node.generators):
            for condition in reversed(generator.ifs):
                body = [gast.If(test=condition, body=body, orelse=[])]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body, orelse=[],
                             type_comment=None)]
        statement = renamed(body[0], renames)
        for sub in gast.walk(statement):
            if hasattr(sub, "lineno") or isinstance(sub, (gast.stmt, gast.expr)):
                gast.copy_location(sub, node) if getattr(sub, "lineno", None) is None else None
        self.statement(statement)
        return self.current[result]

    def merged_name(self, preferred: str) -> str:
        """A fresh name that, like a name assigned in a loop, keeps one variable."""
        name = self.namer.fresh(preferred)
        self.merged.add(name)
        self.assigned.add(name)
        self.current[name] = ir.Var(name, ir.Kind.USER)
        self.dynamic.add(self.current[name])
        return name

    def simple_logic(self, node):
        """and/or of comparisons between names and constants, or None."""
        saved, self.body = self.body, []
        values = []
        for value in node.values:
            if isinstance(value, gast.BoolOp):
                lowered = self.simple_logic(value)
            elif isinstance(value, gast.Compare) and len(value.ops) == 1 and all(
                    _is_plain(v) for v in (value.left, value.comparators[0])):
                lowered = self.value(value)
            else:
                lowered = None
            if lowered is None:
                break
            values.append(lowered)
        emitted, self.body = self.body, saved
        if len(values) != len(node.values) or emitted:
            return None
        return ir.Logic("and" if isinstance(node.op, gast.And) else "or", tuple(values))

    def boolop(self, node: gast.BoolOp):
        """a and b -> s = a; if s: s = b   (b is evaluated only when needed)."""
        result = self.merged_temp()
        self.emit(ir.Assign(result, self.value(node.values[0]), self.at(node)))
        outer = self.body
        for value in node.values[1:]:
            saved, self.body = self.body, []
            self.emit(ir.Assign(result, self.value(value), self.at(value)))
            inner = self.body
            test = result if isinstance(node.op, gast.And) else ir.UnaryOp(operator.not_, result)
            saved.append(ir.If(test, inner, [], self.at(node)))
            self.body = inner
        self.body = outer
        return result

    def ifexp(self, node: gast.IfExp):
        result = self.merged_temp()
        test = self.test(node.test)
        branches = []
        for value in (node.body, node.orelse):
            saved, self.body = self.body, []
            self.emit(ir.Assign(result, self.value(value), self.at(value)))
            branches.append(self.body)
            self.body = saved
        self.body.append(ir.If(test, branches[0], branches[1], self.at(node)))
        return result

    def chained_compare(self, node: gast.Compare):
        """a < b < c -> s = a < b; if s: s = b < c   (b evaluated once, c only if needed)."""
        result = self.merged_temp()
        left = self.operand(node.left)
        right = self.operand(node.comparators[0])
        self.emit(ir.Assign(result, ir.Compare(COMPARE[type(node.ops[0])], left, right), self.at(node)))
        outer = self.body
        for op, comparator in zip(node.ops[1:], node.comparators[1:]):
            holder, self.body = self.body, []
            left, right = right, self.operand(comparator)
            self.emit(ir.Assign(result, ir.Compare(COMPARE[type(op)], left, right), self.at(node)))
            holder.append(ir.If(result, self.body, [], self.at(node)))
        self.body = outer
        return result



def _name(identifier: str, ctx=None):
    return gast.Name(id=identifier, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def is_atom(value) -> bool:
    return isinstance(value, (ir.Var, ir.Const, ir.Ref))


def _assigns(statements, name: str) -> bool:
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for s in statements for n in gast.walk(s))


def _is_plain(node) -> bool:
    """A name or a number (-1 included): evaluating it cannot fail or cost anything."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return is_number(node.operand)
    return isinstance(node, (gast.Name, gast.Constant))


def _enumerate_start(call):
    """The start of enumerate(xs), enumerate(xs, k), enumerate(xs, start=k) (a node), or
    None for another call."""
    if len(call.args) == 1 and not call.keywords:
        return gast.Constant(value=0, kind=None)
    if len(call.args) == 2 and not call.keywords:
        return call.args[1]
    if len(call.args) == 1 and len(call.keywords) == 1 and call.keywords[0].arg == "start":
        return call.keywords[0].value
    return None


def _is_pair(target) -> bool:
    return isinstance(target, gast.Tuple) and len(target.elts) == 2 \
        and isinstance(target.elts[0], gast.Name)


def _range_args(args):
    if len(args) == 1:
        return ir.Const(0), args[0], ir.Const(1)
    if len(args) == 2:
        return args[0], args[1], ir.Const(1)
    return args[0], args[1], args[2]


def _builtin(name: str) -> ir.Ref:
    obj = getattr(builtins, name)
    return ir.Ref(name, obj, (), obj)


def is_number(node) -> bool:
    return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)
