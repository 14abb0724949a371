"""printer.py prints IR as `ast.unparse` prints the same code.

The reference: each IR expression converted to the standard library's `ast` nodes (the
way codegen.py built them before printer.py) and printed by `ast.unparse`. Random
expressions (seeded) mix every operator, nesting that needs and does not need
parentheses, negative, infinite and nan constants, tuples, slices, calls, attributes and
and/or chains; the text must match byte for byte and parse back to the same tree.
"""
import ast
import math
import operator
import random

import numpy as np
import pytest

from adjoint import ir
from adjoint.codegen import expression_source
from adjoint.printer import Printer
from adjoint.runtime.containers import make_dict
from adjoint.runtime.pytrees import getfield
from adjoint.syntax import BINARY, COMPARE, UNARY

_BINARY = {op: getattr(ast, node.__name__) for node, op in BINARY.items()}
_UNARY = {op: getattr(ast, node.__name__) for node, op in UNARY.items()}
_COMPARE = {op: getattr(ast, node.__name__) for node, op in COMPARE.items()}
NP = ir.Ref("np", np, (), np)
SIN = ir.Ref("np", np, ("sin",), np.sin)


def reference(expr):
    """The ast codegen built for an IR expression (before printer.py)."""
    if isinstance(expr, ir.Var):
        return ast.Name(id=expr.name, ctx=ast.Load())
    if isinstance(expr, ir.Const):
        value = expr.value
        if isinstance(value, float) and math.isnan(value):
            return ast.Call(func=ast.Name(id="float", ctx=ast.Load()),
                            args=[ast.Constant(value="nan", kind=None)], keywords=[])
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value, kind=None))
        return ast.Constant(value=value, kind=None)
    if isinstance(expr, ir.Ref):
        node = ast.Name(id=expr.root_name, ctx=ast.Load())
        for attr in expr.path:
            node = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
        return node
    if isinstance(expr, ir.BinOp):
        return ast.BinOp(left=reference(expr.left), op=_BINARY[expr.op](), right=reference(expr.right))
    if isinstance(expr, ir.UnaryOp):
        return ast.UnaryOp(op=_UNARY[expr.op](), operand=reference(expr.operand))
    if isinstance(expr, ir.Compare):
        return ast.Compare(left=reference(expr.left), ops=[_COMPARE[expr.op]()],
                           comparators=[reference(expr.right)])
    if isinstance(expr, ir.Logic):
        op = ast.And() if expr.op == "and" else ast.Or()
        return ast.BoolOp(op=op, values=[reference(v) for v in expr.values])
    if isinstance(expr, ir.Call) and expr.func.value is make_dict:
        keys, values = expr.args
        return ast.Dict(keys=[reference(k) for k in keys.elts], values=[reference(v) for v in values.elts])
    if isinstance(expr, ir.Call) and expr.func.value is getfield:
        return ast.Attribute(value=reference(expr.args[0]), attr=expr.args[1].value, ctx=ast.Load())
    if isinstance(expr, ir.Call):
        return ast.Call(func=reference(expr.func), args=[reference(a) for a in expr.args],
                        keywords=[ast.keyword(arg=k, value=reference(v)) for k, v in expr.kwargs])
    if isinstance(expr, ir.Attr):
        return ast.Attribute(value=reference(expr.value), attr=expr.name, ctx=ast.Load())
    if isinstance(expr, ir.Subscript):
        return ast.Subscript(value=reference(expr.value), slice=reference_index(expr.index), ctx=ast.Load())
    if isinstance(expr, ir.Slice):
        parts = [expr.lower, expr.upper, expr.step]
        while parts[-1] is None and len(parts) > 2:
            parts.pop()
        return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), keywords=[],
                        args=[reference(ir.Const(None)) if p is None else reference(p) for p in parts])
    if isinstance(expr, ir.TupleExpr):
        node = ast.List if expr.is_list else ast.Tuple
        return node(elts=[reference(e) for e in expr.elts], ctx=ast.Load())
    if isinstance(expr, ir.Starred):
        return ast.Starred(value=reference(expr.value), ctx=ast.Load())
    raise TypeError(expr)


def reference_index(index):
    if isinstance(index, ir.Slice):
        return ast.Slice(*(None if p is None else reference(p) for p in (index.lower, index.upper, index.step)))
    if isinstance(index, ir.TupleExpr) and not index.is_list:
        return ast.Tuple(elts=[reference_index(e) for e in index.elts], ctx=ast.Load())
    return reference(index)


CONSTANTS = [0, 1, 2, -1, -3, 0.5, -0.25, -0.0, 1e300, math.inf, -math.inf, math.nan, 1j, True,
             None, "a", "it's", 'say "hi"', (), (1,), (1, 2.5), ..., np.float64(-2.5), 10 ** 20]


class RandomExpressions:
    def __init__(self, seed: int):
        self.random = random.Random(seed)

    def atom(self):
        r = self.random.random()
        if r < 0.5:
            return ir.Var(self.random.choice("xyzw"), ir.Kind.USER)
        if r < 0.9:
            return ir.Const(self.random.choice(CONSTANTS))
        return self.random.choice([NP, SIN])

    def expr(self, depth: int):
        if depth == 0:
            return self.atom()
        kind = self.random.randrange(12)
        sub = lambda: self.expr(depth - 1)  # noqa: E731
        if kind < 3:
            return ir.BinOp(self.random.choice(list(BINARY.values())), sub(), sub())
        if kind == 3:
            return ir.UnaryOp(self.random.choice(list(UNARY.values())), sub())
        if kind == 4:
            return ir.Compare(self.random.choice(list(COMPARE.values())), sub(), sub())
        if kind == 5:
            return ir.Logic(self.random.choice(["and", "or"]),
                            tuple(sub() for _ in range(self.random.randrange(2, 5))))
        if kind == 6:
            kwargs = (("axis", sub()),) if self.random.random() < 0.3 else ()
            args = tuple(sub() for _ in range(self.random.randrange(0, 3)))
            if self.random.random() < 0.2:
                args += (ir.Starred(sub()),)
            return ir.Call(self.random.choice([SIN, NP]), args, kwargs)
        if kind == 7:
            return ir.Attr(sub(), self.random.choice(["T", "real", "shape"]))
        if kind == 8:
            return ir.Subscript(sub(), self.index(depth - 1))
        if kind == 9:
            return ir.TupleExpr(tuple(sub() for _ in range(self.random.randrange(0, 4))),
                                is_list=self.random.random() < 0.3)
        if kind == 10:
            return ir.Slice(*(None if self.random.random() < 0.4 else sub() for _ in range(3)))
        if self.random.random() < 0.5:
            keys = ir.TupleExpr(tuple(ir.Const(k) for k in "ab"))
            return ir.Call(ir.Ref("make_dict", make_dict, (), make_dict), (keys, ir.TupleExpr((sub(), sub()))))
        return ir.Call(ir.Ref("getfield", getfield, (), getfield), (sub(), ir.Const("W")))

    def index(self, depth: int):
        r = self.random.random()
        part = lambda: ir.Slice(*(None if self.random.random() < 0.5 else self.expr(depth)  # noqa: E731
                                  for _ in range(3))) if self.random.random() < 0.5 else self.expr(depth)
        if r < 0.4:
            return ir.TupleExpr(tuple(part() for _ in range(self.random.randrange(0, 4))))
        return part()


@pytest.mark.parametrize("seed", range(8))
def test_random_expressions_print_as_ast_unparse_prints_them(seed):
    source = RandomExpressions(seed)
    for _ in range(400):
        expr = source.expr(source.random.randrange(1, 5))
        expected = ast.unparse(reference(expr))
        assert expression_source(expr) == expected


@pytest.mark.parametrize("seed", range(4))
def test_statements_print_as_ast_unparse_prints_them(seed):
    source = RandomExpressions(100 + seed)
    printer = Printer({})
    x = ir.Var("x", ir.Kind.USER)
    for _ in range(300):
        value = source.expr(source.random.randrange(0, 4))
        index = source.index(1)
        cases = [
            (ir.Assign(x, value), ast.Assign(targets=[ast.Name(id="x", ctx=ast.Store())],
                                             value=reference(value), type_comment=None)),
            (ir.SetItem(x, index, value), ast.Assign(
                targets=[ast.Subscript(value=reference(x), slice=reference_index(index), ctx=ast.Store())],
                value=reference(value), type_comment=None)),
            (ir.ExprStmt(value), ast.Expr(value=reference(value))),
            (ir.Return(value), ast.Return(value=reference(value))),
        ]
        for stmt, node in cases:
            node.lineno = 1
            assert printer.statement(stmt) == ast.unparse(ast.Module(body=[node], type_ignores=[]))


def test_hand_picked_cases():
    x, y, z = (ir.Var(n, ir.Kind.USER) for n in "xyz")
    cases = [
        ir.BinOp(operator.sub, x, ir.BinOp(operator.sub, y, z)),  # x - (y - z)
        ir.BinOp(operator.pow, ir.BinOp(operator.pow, x, y), z),  # (x ** y) ** z
        ir.BinOp(operator.pow, ir.Const(-2.0), x),  # (-2.0) ** x
        ir.BinOp(operator.pow, x, ir.UnaryOp(operator.neg, y)),  # x ** -y
        ir.UnaryOp(operator.not_, ir.Compare(operator.lt, x, y)),  # not x < y
        ir.Logic("and", (ir.Compare(operator.lt, x, y), ir.Compare(operator.lt, y, z),
                         ir.Compare(operator.lt, z, x))),  # ... and (z < x)
        ir.Attr(ir.Const(1), "real"), ir.Attr(ir.Const(-1), "real"),  # 1 .real, (-1).real
        ir.Subscript(x, ir.TupleExpr(())), ir.Subscript(x, ir.TupleExpr((y,))),  # x[()], x[y,]
        ir.TupleExpr((x,)), ir.TupleExpr(()), ir.Const(math.nan), ir.Const(-math.inf),
    ]
    for expr in cases:
        text = expression_source(expr)
        assert text == ast.unparse(reference(expr))
        if not isinstance(expr, ir.Const):  # (nan prints as a call; -inf as -1e309)
            assert ast.dump(ast.parse(text, mode="eval").body) == ast.dump(reference(expr))


def test_a_string_statement_prints_as_a_docstring_as_ast_does():
    stmt = ir.ExprStmt(ir.Const("line one\nit's"))
    node = ast.Expr(value=ast.Constant(value="line one\nit's", kind=None))
    assert Printer({}).statement(stmt) == ast.unparse(ast.Module(body=[node], type_ignores=[]))
