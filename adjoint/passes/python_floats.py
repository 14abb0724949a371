"""A pass: the backward's arithmetic on double-precision scalars runs on Python floats.

numpy scalar arithmetic costs about ten times Python float arithmetic (np.float64 * float
dispatches through numpy), and a gradient of float parameters is mostly such arithmetic:

    L = sigmoid(s3)                        L = sigmoid(s3)
    grad_L = 1.0                           L_float = float(L)
    grad_s3 = grad_L * (1 - L) * L   ->    grad_s3 = (1 - L_float) * L_float
    grad_w1 = grad_s3 * x1                 grad_w1 = grad_s3 * x1
    return (L, (float(grad_w1),))          return (L, (grad_w1,))

Why the values are the same (float_kinds.py gives the facts):
- a value of kind DOUBLE is a Python float or a np.float64 scalar: float() of it is
  exact, and +, - and * (and unary -) of doubles and Python ints give the same IEEE
  result, neither raising, whether the operands are Python floats or numpy's. Only
  those are rewritten (`regions`): every operand of such an expression is of a known
  real kind, so no float32 or array operand meets a Python float where it met a
  np.float64 (that would change the result's precision, NEP 50).
- a variable the rewrite makes a Python float where it was a np.float64 (its `taint`)
  is read only by such expressions, or handed back through float()/np.float64(...):
  never by /, ** or a function, where a Python float raises (ZeroDivisionError) where
  numpy gives inf. A rewritten statement whose value would reach another read keeps
  its numpy arithmetic.
- `1.0 * E` (the seed times the first rule) is E when E is FLOAT or DOUBLE: IEEE 1.0 * x
  is x, of x's type. Not for an int or bool E, which the seed made a float.
- float(g) at the return goes where g is provably a Python float already.
The gradients handed back keep their types: float for float parameters, np.float32 for
np.float32 ones (those conversions stay unless they are float() of a Python float).
One thing differs: numpy's floating-point error handling (np.seterr, np.errstate) does
not see Python float arithmetic, so an overflow to inf in these lines warns no more (nor
raises under np.errstate(over="raise")); the values are numpy's. check_finite=True
still stops at the first gradient holding nan or inf.

What the kinds read from the code of user functions (sigmoid's np.exp) is guarded like
the gradient's own names: `python_floats` returns those functions' lowered code.
"""
from __future__ import annotations

import dataclasses
import operator

import numpy as np

from .. import ir
from ..names import Namer
from .dead_code import remove_dead_code
from .float_kinds import (ANY, ARITHMETIC, DOUBLE, FLOAT, INTEGRAL, REAL, SIGNS, CalleeKinds, expr_kind,
                          infer)

FLOAT_REF = ir.Ref("float", float, (), float)
REGION_TARGETS = (ir.Kind.GRAD, ir.Kind.LOCAL)


def python_floats(fn: ir.Function, number_types: dict, lower=None) -> tuple:
    """(fn rewritten, the lowered user functions whose code the facts came from).
    `number_types`: parameter name -> the type its argument is checked to have;
    `lower(func)`: a user function's lowered code (pipeline.lower_function)."""
    callees = CalleeKinds(lower)
    params = {name: _param_kind(t) for name, t in number_types.items()}
    if not any(kind in REAL for kind in params.values()):
        return fn, []  # no number argument: the scalars that could convert are rare (and
        # this pass costs a tenth of compiling long array code)

    def kinds_of(body):
        return infer(dataclasses.replace(fn, body=body), params, callees)
    kinds = kinds_of(fn.body)
    body = fold_seeds(fn, kinds)
    body = Regions(dataclasses.replace(fn, body=body), kinds).rewritten(kinds_of)
    body = drop_float_calls(body, kinds if body == fn.body else kinds_of(body))
    if body == fn.body:
        return fn, []
    return remove_dead_code(dataclasses.replace(fn, body=body)), list(callees.relied.values())


def _param_kind(number_type) -> str:
    return {float: FLOAT, int: INTEGRAL, np.float64: DOUBLE}.get(number_type, ANY)


# 1.0 * E -> E -------------------------------------------------------------------------------
def fold_seeds(fn: ir.Function, kinds: dict) -> list:
    """Backward statements with `one * E` read as E, for each `one` assigned 1.0 once at
    the top level (the seed), where E is FLOAT or DOUBLE."""
    counts: dict = {}
    for stmt in ir.walk(fn.body):
        for var in ir.targets(stmt):
            counts[var] = counts.get(var, 0) + 1
    ones = {s.target for s in fn.body if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
            and isinstance(s.value, ir.Const) and type(s.value.value) is float and s.value.value == 1.0
            and counts[s.target] == 1 and s.target not in fn.dynamic
            and s.target.kind is not ir.Kind.PARAM}
    if not ones:
        return fn.body

    def fold(expr):
        if isinstance(expr, ir.BinOp):
            left, right = fold(expr.left), fold(expr.right)
            if expr.op is operator.mul:
                for one, other in ((left, right), (right, left)):
                    if isinstance(one, ir.Var) and one in ones \
                            and expr_kind(other, kinds) in (FLOAT, DOUBLE):
                        return other
            return ir.BinOp(expr.op, left, right)
        if isinstance(expr, ir.UnaryOp):
            return ir.UnaryOp(expr.op, fold(expr.operand))
        return expr  # (calls and the rest keep their arguments as written)

    def block(stmts, _in_loop=False):
        out = []
        for stmt in stmts:
            stmt = ir.map_blocks(stmt, block)
            if isinstance(stmt, ir.Assign) and stmt.backward:
                value = fold(stmt.value)
                stmt = stmt if value == stmt.value else dataclasses.replace(stmt, value=value)
            out.append(stmt)
        return out
    return block(fn.body)


# regions: arithmetic on doubles ---------------------------------------------------------------
def leaves(expr, kinds: dict):
    """The operands of expr as a tree of +, -, * and unary -/+ (what is not such an
    operation is a leaf), or None when one of them is not of a known real kind."""
    if isinstance(expr, ir.BinOp) and expr.op in ARITHMETIC:
        left, right = leaves(expr.left, kinds), leaves(expr.right, kinds)
        return None if left is None or right is None else left + right
    if isinstance(expr, ir.UnaryOp) and expr.op in SIGNS:
        return leaves(expr.operand, kinds)
    return [expr] if expr_kind(expr, kinds) in REAL else None


def rebuilt(expr, leaf):
    """expr with each leaf (as `leaves` splits it) replaced by leaf(it)."""
    if isinstance(expr, ir.BinOp) and expr.op in ARITHMETIC:
        return ir.BinOp(expr.op, rebuilt(expr.left, leaf), rebuilt(expr.right, leaf))
    if isinstance(expr, ir.UnaryOp) and expr.op in SIGNS:
        return ir.UnaryOp(expr.op, rebuilt(expr.operand, leaf))
    return leaf(expr)


class Regions:
    """The backward statements that may compute on Python floats: assignments to a
    gradient or a rule's local of +, -, * of values of known real kinds (`leaves`),
    whose value reaches nothing but such statements and the return's conversions."""

    def __init__(self, fn: ir.Function, kinds: dict):
        self.fn, self.kinds = fn, kinds
        self.leaves = {}  # id(statement) -> its leaves
        for stmt in ir.walk(fn.body):
            if isinstance(stmt, ir.Assign) and stmt.backward and isinstance(stmt.target, ir.Var) \
                    and stmt.target.kind in REGION_TARGETS:
                found = leaves(stmt.value, kinds)
                if found is not None:
                    self.leaves[id(stmt)] = found
        self.convertible = self._convertible()

    def unsafe_reads(self) -> set:
        """Variables read where a Python float in place of a np.float64 could act
        differently: anywhere but as a leaf of a region statement or inside float() or
        np.float64() at the return."""
        unsafe = set()
        ret = self.fn.body[-1]
        for stmt in ir.walk(self.fn.body):
            if id(stmt) in self.leaves:
                for leaf in self.leaves[id(stmt)]:
                    if not isinstance(leaf, ir.Var):
                        unsafe.update(ir.vars_in(leaf))
            elif stmt is ret:
                unsafe.update(_unconverted_reads(ret.value))
            else:
                unsafe.update(ir.reads(stmt))
        return unsafe

    def _convertible(self) -> set:
        """ids of the region statements whose value reaches no unsafe read, following
        region statements (around loops too)."""
        flows: dict = {}  # variable -> targets of the region statements it is a leaf of
        for stmt in ir.walk(self.fn.body):
            for leaf in self.leaves.get(id(stmt), ()):
                if isinstance(leaf, ir.Var):
                    flows.setdefault(leaf, set()).add(stmt.target)
        unsafe = self.unsafe_reads()
        reaches: dict = {}  # variable -> does it reach an unsafe read

        def reaches_unsafe(var) -> bool:
            if var not in reaches:
                seen, stack = {var}, [var]
                while stack:
                    for t in flows.get(stack.pop(), ()):
                        if t not in seen:
                            seen.add(t)
                            stack.append(t)
                reaches[var] = bool(seen & unsafe)
            return reaches[var]
        return {id(s) for s in ir.walk(self.fn.body)
                if id(s) in self.leaves and not reaches_unsafe(s.target)}

    def rewritten(self, infer_kinds) -> list:
        """The body with float() around the DOUBLE leaves of convertible statements that
        are not Python floats already once the others are converted; a variable
        converted at several leaves is converted once, before its first use."""
        everything = self.rewrite(lambda leaf: expr_kind(leaf, self.kinds) == DOUBLE)[0]
        if everything == self.fn.body:
            return self.fn.body  # no double to convert (array code): no second inference
        after = infer_kinds(everything)
        return self.hoisted(*self.rewrite(lambda leaf: expr_kind(leaf, after) == DOUBLE))

    def rewrite(self, converts) -> tuple:
        """(body with float(leaf) wherever converts(leaf), [(top-level index, leaf)] of
        each converted variable leaf, ids of the statements rewritten)."""
        converted, rewritten = [], set()

        def block(stmts, _in_loop=False, top=None):
            out = []
            for k, stmt in enumerate(stmts):
                where = k if top is None else top
                new = ir.map_blocks(stmt, lambda b, loop: block(b, loop, where))
                if id(stmt) in self.convertible and not isinstance(stmt.value, ir.Var):
                    def leaf(expr):
                        if not converts(expr):
                            return expr
                        if isinstance(expr, ir.Var):
                            converted.append((where, expr))
                        return ir.Call(FLOAT_REF, (expr,))
                    new = dataclasses.replace(stmt, value=rebuilt(stmt.value, leaf))
                    rewritten.add(id(new))
                out.append(new)
            return out
        return block(self.fn.body), converted, rewritten

    def hoisted(self, body: list, converted: list, rewritten: set) -> list:
        """float(v) of a variable converted at several leaves becomes one v_float =
        float(v), before the top-level statement of its first use, where v has its one
        value there: a parameter never reassigned, or a variable assigned once at the
        top level."""
        counts: dict = {}
        for _, var in converted:
            counts[var] = counts.get(var, 0) + 1
        once = _assigned_once_at_top(self.fn)
        names = Namer(_names(self.fn))
        views, first = {}, {}
        for where, var in converted:
            if counts[var] > 1 and var in once and var not in views:
                views[var] = ir.Var(names.fresh(var.name + "_float"), ir.Kind.LOCAL)
                first.setdefault(where, []).append(var)
        if not views:
            return body
        out = []
        for k, stmt in enumerate(body):
            for var in first.get(k, ()):
                out.append(ir.Assign(views[var], ir.Call(FLOAT_REF, (var,)), None))
            out.append(_replace_calls(stmt, views, rewritten))
        return out


def _assigned_once_at_top(fn: ir.Function) -> set:
    """Parameters never assigned, and variables assigned once, by a top-level assignment
    (not a loop's variable, which takes a value per iteration)."""
    counts: dict = {}
    for stmt in ir.walk(fn.body):
        for var in ir.targets(stmt):
            counts[var] = counts.get(var, 0) + 1
    top = {s.target for s in fn.body if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
           and counts[s.target] == 1}
    params = {p for p in fn.params if p not in counts}
    return (top | params) - set(fn.dynamic)


def _names(fn: ir.Function) -> set:
    names = {p.name for p in fn.params} | {fn.name}
    for stmt in ir.walk(fn.body):
        names.update(v.name for v in ir.targets(stmt))
        names.update(v.name for v in ir.reads(stmt))
    return names


def _replace_calls(stmt, views: dict, rewritten: set):
    """stmt (nested blocks too) with float(v) read as views[v], in the statements the
    rewrite made."""
    if id(stmt) in rewritten:
        return dataclasses.replace(stmt, value=rebuilt(stmt.value, lambda leaf: _view(leaf, views)))
    return ir.map_blocks(stmt, lambda b, _: [_replace_calls(s, views, rewritten) for s in b])


def _view(leaf, views: dict):
    if isinstance(leaf, ir.Call) and leaf.func is FLOAT_REF and isinstance(leaf.args[0], ir.Var):
        return views.get(leaf.args[0], leaf)
    return leaf


# the return ---------------------------------------------------------------------------------
def _is_conversion(expr) -> bool:
    """float(v), np.float64(v), np.float32(v): what handback.py converts a gradient by."""
    if not (isinstance(expr, ir.Call) and len(expr.args) == 1 and not expr.kwargs
            and isinstance(expr.args[0], ir.Var)):
        return False
    func = expr.func.value
    return func is float or isinstance(func, type) and issubclass(func, np.floating)


def _unconverted_reads(expr) -> list:
    if isinstance(expr, ir.TupleExpr):
        return [v for e in expr.elts for v in _unconverted_reads(e)]
    return [] if _is_conversion(expr) else ir.vars_in(expr)


def drop_float_calls(body: list, kinds: dict) -> list:
    """The return without float(g) for each gradient g that is a Python float already."""
    *rest, ret = body

    def dropped(expr):
        if isinstance(expr, ir.TupleExpr):
            return ir.TupleExpr(tuple(dropped(e) for e in expr.elts), expr.is_list)
        if _is_conversion(expr) and expr.func.value is float and kinds.get(expr.args[0]) == FLOAT:
            return expr.args[0]
        return expr
    value = dropped(ret.value)
    return body if value == ret.value else rest + [dataclasses.replace(ret, value=value)]
