"""IR expressions and simple statements -> Python text, spelled as `ast.unparse` spells them.

codegen.py used to build the standard library's `ast` nodes for every statement and print
them with `ast.unparse`: a sixth of compiling a long function, most of it the unparser's
generic dispatch. This prints the same text straight from the IR, by the same rules:

- a subexpression gets parentheses only where its operator binds less tightly than its
  place asks (the precedence levels below are `ast`'s, weakest first); `**` groups to the
  right, the operands of a comparison rank one above it, and the operands of `and`/`or`
  rank one higher each, as `ast.unparse` ranks them (so it prints `a and b and (c < d)`);
- calls, attributes, subscripts, names and constants never get parentheses; a tuple gets
  them unless it stands alone on the right of `=` (or is an index: `x[i, j]`);
- constants print as their repr, infinities as 1e309, nan as float('nan'), negative
  numbers as a unary minus; `(1).real` is written `1 .real`.

tests/test_printer.py checks the text against `ast.unparse` on every kind of expression.
"""
from __future__ import annotations

import ast
import functools
import inspect
import math
import sys

from . import ir
from .runtime.containers import make_dict
from .runtime.pytrees import getfield, getsetting
from .syntax import BINARY, COMPARE, UNARY

# ast's precedence levels, weakest first (NAMED_EXPR, the weakest, is never printed here)
(TUPLE, YIELD, TEST, OR, AND, NOT, CMP, EXPR, BXOR, BAND, SHIFT, ARITH, TERM, FACTOR, POWER,
 AWAIT, ATOM) = range(2, 19)
INFINITY = "1e" + repr(sys.float_info.max_10_exp + 1)  # what ast prints for inf

_SYMBOLS = {"Add": ("+", ARITH), "Sub": ("-", ARITH), "Mult": ("*", TERM), "MatMult": ("@", TERM),
            "Div": ("/", TERM), "Mod": ("%", TERM), "FloorDiv": ("//", TERM), "Pow": ("**", POWER),
            "LShift": ("<<", SHIFT), "RShift": (">>", SHIFT), "BitOr": ("|", EXPR),
            "BitXor": ("^", BXOR), "BitAnd": ("&", BAND),
            "USub": ("-", FACTOR), "UAdd": ("+", FACTOR), "Invert": ("~", FACTOR), "Not": ("not ", NOT),
            "Eq": ("==", CMP), "NotEq": ("!=", CMP), "Lt": ("<", CMP), "LtE": ("<=", CMP),
            "Gt": (">", CMP), "GtE": (">=", CMP), "Is": ("is", CMP), "IsNot": ("is not", CMP),
            "In": ("in", CMP), "NotIn": ("not in", CMP)}
# operator -> (its text, its precedence)
BINARY_TEXT = {op: _SYMBOLS[node.__name__] for node, op in BINARY.items()}
UNARY_TEXT = {op: _SYMBOLS[node.__name__] for node, op in UNARY.items()}
COMPARE_TEXT = {op: _SYMBOLS[node.__name__][0] for node, op in COMPARE.items()}


def _parenthesized(text: str, precedence: int, level: int) -> str:
    return f"({text})" if level > precedence else text


def _items(texts: list) -> str:
    """a, b  or  a,  (one item keeps its comma)."""
    return texts[0] + "," if len(texts) == 1 else ", ".join(texts)


def constant_text(value) -> str:
    """A constant that prints as one literal (never parenthesized)."""
    if isinstance(value, tuple):
        return "(" + _items([_literal(v) for v in value]) + ")" if value else "()"
    if value is ...:
        return "..."
    return _literal(value)


def _literal(value) -> str:
    if isinstance(value, (float, complex)):
        return repr(value).replace("inf", INFINITY).replace("nan", f"({INFINITY}-{INFINITY})")
    return repr(value)


def _is_negative_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0


def _is_int_literal(expr) -> bool:
    """Prints as an int literal, which `.attr` may not follow directly (1.real is a syntax
    error; ast writes 1 .real)."""
    return type(expr) is ir.Const and isinstance(expr.value, int) and not _is_negative_number(expr.value)


class Printer:
    """Prints expressions; `names`: id(root object) -> (its name in the code, the object)."""

    def __init__(self, names: dict):
        self.names = names

    def text(self, expr, level: int = TEST) -> str:
        """expr's text where its place ranks `level` (TEST: a whole right-hand side)."""
        printer = _PRINTERS.get(type(expr))
        if printer is None:
            raise TypeError(f"cannot print {expr!r}")
        return printer(self, expr, level)

    def var(self, expr, level):
        return expr.name

    def const(self, expr, level):
        value = expr.value
        if isinstance(value, float) and math.isnan(value):
            return "float('nan')"
        if _is_negative_number(value):
            return _parenthesized("-" + constant_text(-value), FACTOR, level)
        return constant_text(value)

    def ref(self, expr, level):
        expr = as_bound(expr)
        name = self.names.get(id(expr.root), (expr.root_name, None))[0]
        return ".".join((name,) + tuple(expr.path)) if expr.path else name

    def binop(self, expr, level):
        symbol, precedence = BINARY_TEXT[expr.op]
        right_first = precedence == POWER  # a ** b ** c is a ** (b ** c)
        left = self.text(expr.left, precedence + right_first)
        right = self.text(expr.right, precedence + (not right_first))
        return _parenthesized(f"{left} {symbol} {right}", precedence, level)

    def unaryop(self, expr, level):
        symbol, precedence = UNARY_TEXT[expr.op]
        return _parenthesized(symbol + self.text(expr.operand, precedence), precedence, level)

    def compare(self, expr, level):
        text = f"{self.text(expr.left, EXPR)} {COMPARE_TEXT[expr.op]} {self.text(expr.right, EXPR)}"
        return _parenthesized(text, CMP, level)

    def logic(self, expr, level):
        precedence = AND if expr.op == "and" else OR
        values = [self.text(v, min(precedence + k, ATOM)) for k, v in enumerate(expr.values, 1)]
        return _parenthesized(f" {'and' if precedence == AND else 'or'} ".join(values), precedence, level)

    def call(self, expr, level):
        func = expr.func.value
        if func is make_dict and len(expr.args) == 2:  # make_dict((k, ...), (v, ...)): {k: v, ...}
            keys, values = expr.args
            return "{" + ", ".join(f"{self.text(k)}: {self.text(v)}"
                                   for k, v in zip(keys.elts, values.elts)) + "}"
        if _is_field_read(expr, func):  # getfield(self, 'W') -> self.W
            return self.attribute(expr.args[0], expr.args[1].value)
        parts = [self.text(a) for a in expr.args]
        parts += [("**" if k is None else k + "=") + self.text(v) for k, v in expr.kwargs]
        return f"{self.text(expr.func, ATOM)}({', '.join(parts)})"

    def attr(self, expr, level):
        return self.attribute(expr.value, expr.name)

    def attribute(self, value, name: str) -> str:
        return self.text(value, ATOM) + (" ." if _is_int_literal(value) else ".") + name

    def subscript(self, expr, level):
        return f"{self.text(expr.value, ATOM)}[{self.index(expr.index, True)}]"

    def index(self, index, whole: bool = False) -> str:
        """An index inside [...]: slices print as a:b; the whole index, a tuple, bare."""
        if type(index) is ir.Slice:
            lower, upper, step = (p if p is None else self.text(p) for p in (index.lower, index.upper,
                                                                           index.step))
            return f"{lower or ''}:{upper or ''}" + (f":{step}" if step is not None else "")
        if type(index) is ir.TupleExpr and not index.is_list:
            parts = [self.index(e) for e in index.elts]
            return _items(parts) if whole and parts else "(" + _items(parts) + ")" if parts else "()"
        return self.text(index)

    def slice_value(self, expr, level):  # a slice used as a value: slice(a, b, c)
        parts = [expr.lower, expr.upper, expr.step]
        while parts[-1] is None and len(parts) > 2:  # slice(2) would mean :2, not 2:
            parts.pop()
        return f"slice({', '.join('None' if p is None else self.text(p) for p in parts)})"

    def tuple_display(self, expr, level):
        parts = [self.text(e) for e in expr.elts]
        if expr.is_list:
            return "[" + ", ".join(parts) + "]"
        if not parts:
            return "()"
        return _parenthesized(_items(parts), TUPLE, level)

    def starred(self, expr, level):
        return "*" + self.text(expr.value, EXPR)

    # statements ------------------------------------------------------------------------
    def statement(self, stmt) -> str:
        """An assignment, x[i] = v, an expression statement or a return, as one line."""
        if isinstance(stmt, ir.Assign):
            target = stmt.target
            if isinstance(target, tuple):  # (codegen writes a, b = ... itself: this is () = ...)
                target = _items([v.name for v in target]) if target else "()"
            else:
                target = target.name
            return f"{target} = {self.text(stmt.value)}"
        if isinstance(stmt, ir.SetItem):
            return f"{self.text(stmt.target, ATOM)}[{self.index(stmt.index, True)}] = {self.text(stmt.value)}"
        if isinstance(stmt, ir.ExprStmt):
            if isinstance(stmt.value, ir.Const) and isinstance(stmt.value.value, str):
                # alone in a module, ast prints a string statement as a docstring
                module = ast.Module(body=[ast.Expr(ast.Constant(stmt.value.value, kind=None))], type_ignores=[])
                return ast.unparse(module)
            return self.text(stmt.value, YIELD)
        return f"return {self.text(stmt.value)}"


_PRINTERS = {ir.Var: Printer.var, ir.Const: Printer.const, ir.Ref: Printer.ref, ir.BinOp: Printer.binop,
             ir.UnaryOp: Printer.unaryop, ir.Compare: Printer.compare, ir.Logic: Printer.logic,
             ir.Call: Printer.call, ir.Attr: Printer.attr, ir.Subscript: Printer.subscript,
             ir.Slice: Printer.slice_value, ir.TupleExpr: Printer.tuple_display, ir.Starred: Printer.starred}


def _is_field_read(call: ir.Call, func) -> bool:
    """pytrees.getfield/getsetting(obj, 'name') print as the obj.name they were written as."""
    return func in (getfield, getsetting) and len(call.args) == 2 \
        and isinstance(call.args[1], ir.Const) and isinstance(call.args[1].value, str) \
        and call.args[1].value.isidentifier()


def as_bound(ref: ir.Ref) -> ir.Ref:
    """ref as the code names it: root.path while that still holds ref's object, else the
    object itself under its last name."""
    if not ref.path:
        return ref
    try:
        current = functools.reduce(getattr, ref.path, ref.root)
    except AttributeError:  # deleted since
        current = None
    if current is ref.value or inspect.ismethod(current) and current == ref.value:
        return ref  # (a bound method is a new object on each read: equal, not identical)
    return ir.Ref(ref.path[-1], ref.value, (), ref.value)
