"""Which variables provably hold Python floats, Python ints, or double-precision scalars.

A small type fact for the pass python_floats.py. Each variable gets one kind:

    FLOAT     exactly a Python float             x: float, 2.0 * x, math.sqrt(v), float(v)
    INTEGRAL  exactly a Python int or bool       n: int, len-free int arithmetic, x > y of floats
    DOUBLE    a Python float or a np.float64 scalar (IEEE double either way)
                                                 np.exp(x) of a float, x * y with y np.float64
    ANY       nothing known (arrays, float32, complex, objects, ...)
    NONE      no value yet (the start of the fixed point: "not assigned so far")

Parameters start from the types their arguments were checked to have (the dispatch key:
`type(x) is float` holds whenever the code runs). Every assignment of a variable joins
into its kind, iterated to the least fixed point, so loops and branches are covered:
a kind holds for every value any assignment can give (a flow-insensitive fact).

    +, -, *          FLOAT op FLOAT|INTEGRAL -> FLOAT; DOUBLE op FLOAT|INTEGRAL|DOUBLE -> DOUBLE;
                     INTEGRAL op INTEGRAL -> INTEGRAL
    /                the same, but INTEGRAL / INTEGRAL -> FLOAT
    **               FLOAT|DOUBLE ** INTEGRAL -> the base's kind (a float exponent may
                     make a Python float complex: (-8.0) ** (1 / 3))
    unary -, +       the operand's kind
    <, <=, ==, ...   of FLOAT|INTEGRAL operands: a Python bool (INTEGRAL)
    float(v), math.sin(v), ...   FLOAT;  int(v) INTEGRAL;  abs, min, max: their operands'
    numpy ufuncs     of FLOAT|DOUBLE operands: DOUBLE when numpy's own type resolution
                     gives float64 for them
    user functions   the kind of what the function returns, from its code (`call_kind`)

A kind is true of the values whenever they are computed; whether computing them raises
(ZeroDivisionError, OverflowError) is the program's business, and stays what it was.
"""
from __future__ import annotations

import math
import operator
import types

import numpy as np

from .. import ir
from ..origin import is_user_code

NONE, FLOAT, INTEGRAL, DOUBLE, ANY = "none", "float", "integral", "double", "any"
REAL = (FLOAT, INTEGRAL, DOUBLE)  # the kinds whose arithmetic is plain IEEE double or int

# math functions that always return a Python float (not floor, ceil, trunc, isnan, ...)
MATH_FLOATS = frozenset(getattr(math, name) for name in (
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "copysign", "cos",
    "cosh", "degrees", "dist", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "fmod", "fsum",
    "gamma", "hypot", "ldexp", "lgamma", "log", "log10", "log1p", "log2", "nextafter", "pow",
    "radians", "remainder", "sin", "sinh", "sqrt", "tan", "tanh", "ulp") if hasattr(math, name))
ARITHMETIC = (operator.add, operator.sub, operator.mul)
COMPARISONS = (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne)
SIGNS = (operator.neg, operator.pos)


def join(a: str, b: str) -> str:
    """The kind of a variable that may hold a value of kind a or one of kind b."""
    if a == b or b == NONE:
        return a
    if a == NONE:
        return b
    return DOUBLE if {a, b} == {FLOAT, DOUBLE} else ANY


def value_kind(value) -> str:
    """The kind of a constant (exact types: a float subclass may redefine arithmetic)."""
    kind = type(value)
    if kind is float:
        return FLOAT
    if kind in (int, bool):
        return INTEGRAL
    return DOUBLE if kind is np.float64 else ANY


def infer(fn: ir.Function, param_kinds: dict, call_kind=None) -> dict:
    """Var -> kind for every variable of `fn`. `param_kinds`: parameter name -> kind (ANY
    when absent); `call_kind(func, arg_kinds)`: the kind a user function returns."""
    kinds = {p: param_kinds.get(p.name, ANY) for p in fn.params}
    statements = list(ir.walk(fn.body))
    pushed: dict = {}  # tape -> the expressions pushed onto it (what its pops give back)
    for stmt in statements:
        if isinstance(stmt, ir.Push):
            pushed.setdefault(stmt.tape, []).append(stmt.value)
    for _ in range(4 * len(statements) + 4):  # each variable's kind rises at most 3 times
        changed = False
        for stmt in statements:
            for var, kind in _assigned_kinds(stmt, kinds, pushed, call_kind):
                new = join(kinds.get(var, NONE), kind)
                if new != kinds.get(var, NONE):
                    kinds[var] = new
                    changed = True
        if not changed:
            return kinds
    return {p: kinds[p] for p in fn.params}  # (never reached: nothing known is sound)


def _assigned_kinds(stmt, kinds: dict, pushed: dict, call_kind):
    if isinstance(stmt, ir.Assign):
        if isinstance(stmt.target, tuple):
            return [(t, ANY) for t in stmt.target]  # unpacked: nothing known
        return [(stmt.target, expr_kind(stmt.value, kinds, call_kind))]
    if isinstance(stmt, ir.For) and stmt.target is not None and stmt.over is None:
        return [(stmt.target, INTEGRAL)]  # for t in range(...)
    tape = stmt.over if isinstance(stmt, ir.For) and stmt.target is not None else \
        stmt.tape if isinstance(stmt, ir.Pop) else None
    if tape is None:
        return []
    kind = NONE  # x = x_tape.pop(), for x in reversed(x_tape): what was pushed
    for value in pushed.get(tape, ()):
        kind = join(kind, expr_kind(value, kinds, call_kind))
    return [(stmt.target, kind)]


def expr_kind(expr, kinds: dict, call_kind=None) -> str:
    if isinstance(expr, ir.Var):
        return kinds.get(expr, NONE)
    if isinstance(expr, (ir.Const, ir.Ref)):
        return value_kind(expr.value)
    if isinstance(expr, ir.BinOp):
        return binary_kind(expr.op, expr_kind(expr.left, kinds, call_kind),
                           expr_kind(expr.right, kinds, call_kind))
    if isinstance(expr, ir.UnaryOp):
        return expr_kind(expr.operand, kinds, call_kind) if expr.op in SIGNS else ANY
    if isinstance(expr, ir.Compare) and expr.op in COMPARISONS:
        operands = (expr_kind(expr.left, kinds, call_kind), expr_kind(expr.right, kinds, call_kind))
        if NONE in operands:
            return NONE
        return INTEGRAL if all(k in (FLOAT, INTEGRAL) for k in operands) else ANY
    if isinstance(expr, ir.Call) and not expr.kwargs \
            and not any(isinstance(a, ir.Starred) for a in expr.args):
        return call_result_kind(expr.func.value, [expr_kind(a, kinds, call_kind) for a in expr.args],
                                call_kind)
    return ANY


def binary_kind(op, left: str, right: str) -> str:
    if NONE in (left, right):
        return NONE
    if left not in REAL or right not in REAL:
        return ANY
    if op is operator.pow:  # a float to an int power stays a float; a float power may not
        return left if left != INTEGRAL and right == INTEGRAL else ANY
    if op not in ARITHMETIC and op is not operator.truediv:
        return ANY
    if DOUBLE in (left, right):
        return DOUBLE
    if left == right == INTEGRAL:
        return FLOAT if op is operator.truediv else INTEGRAL
    return FLOAT


def call_result_kind(func, args: list, call_kind=None) -> str:
    if func is float or func in MATH_FLOATS:
        return FLOAT  # whatever the argument: a Python float, or an exception
    if func is int:
        return INTEGRAL
    if NONE in args:
        return NONE
    if func is abs and len(args) == 1:
        return args[0] if args[0] in REAL else ANY
    if func in (min, max) and len(args) >= 2:  # returns one of its arguments
        kind = NONE
        for a in args:
            kind = join(kind, a)
        return kind if kind in REAL else ANY
    if isinstance(func, np.ufunc):
        return _ufunc_kind(func, args)
    if call_kind is not None and not all(a == ANY for a in args):
        return call_kind(func, tuple(args))
    return ANY


def _ufunc_kind(func: np.ufunc, args: list) -> str:
    """A numpy ufunc of Python floats or float64 scalars returns a numpy scalar of the
    type numpy's own resolution gives (np.exp(2.0): float64; np.greater: bool). Not of
    ints: a Python bool is numpy's bool there (np.exp(True) is a float16)."""
    if func.nout != 1 or func.nin != len(args) or not all(a in (FLOAT, DOUBLE) for a in args):
        return ANY
    operand = {FLOAT: float, DOUBLE: np.dtype(np.float64)}
    try:
        resolved = func.resolve_dtypes(tuple(operand[a] for a in args) + (None,))
    except (TypeError, ValueError):  # no loop for these operands
        return ANY
    return DOUBLE if resolved[-1] == np.dtype(np.float64) else ANY


class CalleeKinds:
    """`call_kind` for `infer`: the kind a user function returns for arguments of given
    kinds, inferred from its lowered code (`lower(func)`, pipeline.lower_function).
    `relied`: func -> its lowered code, for each function whose answer was a fact: the
    compiled gradient is guarded on their code and names like on its own."""

    def __init__(self, lower=None, depth: int = 3):
        self.lower, self.depth = lower, depth
        self.results: dict = {}  # (func, argument kinds) -> kind
        self.lowered: dict = {}  # func -> its lowered code, or None when it has none
        self.relied: dict = {}
        self.active: list = []  # the functions being inferred (a call of one of them: ANY)

    def __call__(self, func, args: tuple) -> str:
        if self.lower is None or not isinstance(func, types.FunctionType) or not is_user_code(func) \
                or func.__code__.co_filename.startswith("<adjoint"):  # (code adjoint made)
            return ANY
        key = (func, args)
        if key not in self.results:
            if func in self.active or len(self.active) >= self.depth:
                return ANY
            self.active.append(func)
            try:
                self.results[key] = self.returned(func, args)
            finally:
                self.active.pop()
        return self.results[key]

    def returned(self, func, args: tuple) -> str:
        lowered = self.lowered_code(func)
        fn = lowered.fn if lowered is not None else None
        if fn is None or len(fn.params) != len(args) or fn.vararg or fn.kwarg or fn.kwonly \
                or fn.statics:
            return ANY
        kinds = infer(fn, {p.name: kind for p, kind in zip(fn.params, args)}, self)
        kind = expr_kind(fn.body[-1].value, kinds, self)
        if kind not in REAL:
            return ANY
        self.relied[func] = lowered
        return kind

    def lowered_code(self, func):
        if func not in self.lowered:
            try:
                self.lowered[func] = self.lower(func)
            except Exception:  # noqa: BLE001 -- code adjoint cannot read gives no facts, only
                self.lowered[func] = None  # slower arithmetic: never an error for the user
        return self.lowered[func]
