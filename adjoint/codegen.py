"""Code generation: `ir.Function` -> Python source text, plus the names it needs bound.

Statements become gast nodes (all node construction lives here, so a gast layout
change touches one module), are converted with `gast.gast_to_ast` and printed by the
standard library's `ast.unparse`, which prints the minimal parentheses and valid slices.
Backward blocks get a comment quoting the user's line they come from:

    # L = sigmoid(s3)  [neuron.py:7]
    grad_s3 = grad_L * (1 - L) * L

With `check_finite`, each backward assignment is followed, on the same line (so line
numbers do not move), by a check that what it assigned holds no nan or inf:

    grad_s3 = grad_L * (1 - L) * L; check_finite(grad_s3)

Every generated line that comes from a statement is mapped to the statement's origin
(`Generated.origins`), which adjoint/debug.py uses to say where an error comes from.
Outside references (`Ref`s) are bound to names in a namespace: a module keeps its own
name (np), a clash with a different object gets name_1. Output is deterministic.
"""
from __future__ import annotations

import ast
import math
import operator
import os
from dataclasses import dataclass, field

import gast

from . import ir
from .runtime.containers import make_dict
from .runtime.pytrees import getfield, getsetting
from .runtime.debug import check_finite as finite_checker
from .syntax import BINARY, COMPARE, UNARY

_BINARY_NODES = {op: node for node, op in BINARY.items()}
_UNARY_NODES = {op: node for node, op in UNARY.items()}
_COMPARE_NODES = {op: node for node, op in COMPARE.items()}


@dataclass
class Generated:
    source: str
    namespace: dict  # name -> object the source needs bound
    # 1-based line -> (origin Location, backward?) for every line a statement printed
    origins: dict = field(default_factory=dict)


def generate(functions, header: str = "", check_finite: bool = False) -> Generated:
    """Source for one function, or for several sharing one namespace."""
    functions = functions if isinstance(functions, list) else [functions]
    names = _bind_refs(functions)
    printer = _Printer(names)
    lines = [line for line in header.splitlines()]
    check = _check_name(functions, names) if check_finite else None
    origins: dict = {}
    for k, fn in enumerate(functions):
        if k:
            lines.append("")
        lines.append(f"def {fn.name}({_signature(fn)}):")
        _Writer(printer, lines, origins, check).block(fn.body, 1)
    namespace = {name: obj for obj_id, (name, obj) in names.items() if not _is_pending(obj)}
    if check:
        namespace[check] = finite_checker
    return Generated("\n".join(lines) + "\n", namespace, origins)


def _check_name(functions, names: dict) -> str:
    """`check_finite`, or check_finite_1, ... if the code already uses that name."""
    used = {name for name, _ in names.values()}
    for fn in functions:
        used |= {fn.name} | {p.name for p in fn.params}
        used |= {v.name for stmt in ir.walk(fn.body) for v in ir.targets(stmt)}
    name, k = "check_finite", 0
    while name in used:
        k += 1
        name = f"check_finite_{k}"
    return name


class Pending:
    """A function the module being generated defines itself (the halves of a recursive
    function, named by its own recursive calls): bound by its def, not the namespace."""

    def __init__(self, name: str):
        self.name = name


def _is_pending(obj) -> bool:
    return isinstance(obj, Pending)


class _Writer:
    """Writes statements as indented lines; backward lines get provenance comments."""

    def __init__(self, printer, lines, origins=None, check=None):
        self.printer = printer
        self.lines = lines
        self.last_line = None
        self.origins = {} if origins is None else origins  # line -> (origin, backward)
        self.here = None  # the (origin, backward) of the statement being written
        self.check = check  # name of the finite check to call after backward assignments

    def block(self, stmts, depth: int) -> None:
        outer = self.here
        if not stmts:
            self.emit("pass", depth)
        for stmt in stmts:
            self.statement(stmt, depth)
        self.here = outer

    def emit(self, text: str, depth: int) -> None:
        for line in text.splitlines():
            self.lines.append("    " * depth + line)
            if self.here is not None:
                self.origins[len(self.lines)] = self.here

    def statement(self, stmt, depth: int) -> None:
        backward = getattr(stmt, "backward", False)
        origin = getattr(stmt, "origin", None)
        line = (origin.filename, origin.line) if origin else None
        self.here = None
        if backward and line is not None and line != self.last_line:
            self.emit(_provenance(origin), depth)
        self.last_line = line if backward else None
        self.here = (origin, backward) if origin is not None else None
        p = self.printer
        if isinstance(stmt, ir.If):
            if not stmt.body:  # if c: pass else: x  ->  if not c: x
                self.emit(f"if {p.text(ir.UnaryOp(operator.not_, stmt.test))}:", depth)
                self.block(stmt.orelse, depth + 1)
                return
            self.emit(f"if {p.text(stmt.test)}:", depth)
            self.block(stmt.body, depth + 1)
            if stmt.orelse:
                self.emit("else:", depth)
                self.block(stmt.orelse, depth + 1)
        elif isinstance(stmt, ir.For):
            target = stmt.target.name if stmt.target is not None else "_"
            self.emit(f"for {target} in {p.loop_range(stmt)}:", depth)
            self.block(stmt.body, depth + 1)
        elif isinstance(stmt, ir.While):
            self.emit(f"while {p.text(stmt.test)}:", depth)
            self.block(stmt.body, depth + 1)
        elif isinstance(stmt, ir.Break):
            self.emit("break", depth)
        elif isinstance(stmt, ir.Continue):
            self.emit("continue", depth)
        elif isinstance(stmt, ir.Push):
            self.emit(f"{stmt.tape.name}.append({p.text(stmt.value)})", depth)
        elif isinstance(stmt, ir.Pop):
            self.emit(f"{stmt.target.name} = {stmt.tape.name}.pop()", depth)
        elif isinstance(stmt, ir.Assign) and isinstance(stmt.target, tuple) and stmt.target:
            # a, b = ...: written out here, as ast.unparse spells it differently on 3.10
            names = ", ".join(v.name for v in stmt.target)
            names = f"({names},)" if len(stmt.target) == 1 else names
            self.emit(f"{names} = {p.text(stmt.value)}" + self._checked(stmt), depth)
        else:
            self.emit(ast.unparse(p.statement(stmt)) + self._checked(stmt), depth)

    def _checked(self, stmt) -> str:
        """`; check_finite(grad_x)` after a backward assignment, when checks are on."""
        if not (self.check and isinstance(stmt, ir.Assign) and stmt.backward) \
                or isinstance(stmt.value, ir.Const):  # the seed 1.0 needs no check
            return ""
        targets = stmt.target if isinstance(stmt.target, tuple) else (stmt.target,)
        return f"; {self.check}({', '.join(v.name for v in targets)})"


def function_source(fn: ir.Function) -> str:
    """Readable text of any IR function (used to print IR between stages)."""
    return generate(fn).source


def expression_source(expr, names=None) -> str:
    return ast.unparse(gast.gast_to_ast(_Printer(names or {}).expr(expr)))


def _signature(fn: ir.Function) -> str:
    names = [p.name for p in fn.params]
    names = ["*" * (name == fn.vararg) + "**" * (name == fn.kwarg) + name for name in names]
    if fn.kwonly and fn.vararg is None:
        split = len(names) - fn.kwonly - (fn.kwarg is not None)
        names = names[:split] + ["*"] + names[split:]
    if fn.posonly:
        names = names[:fn.posonly] + ["/"] + names[fn.posonly:]
    return ", ".join(names)


def _provenance(origin) -> str:
    return f"# {origin.text.strip()}  [{os.path.basename(origin.filename)}:{origin.line}]"


def _bind_refs(functions: list) -> dict:
    """id(root object) -> (name, object) for every outside object the code reads."""
    taken = set()
    for fn in functions:
        taken |= {fn.name} | {p.name for p in fn.params}
        for stmt in ir.walk(fn.body):
            taken.update(v.name for v in ir.targets(stmt))
            if isinstance(stmt, (ir.Push, ir.Pop)):
                taken.add(stmt.tape.name)
    names: dict = {}
    used: set = set(taken)
    statements = [s for fn in functions for s in ir.walk(fn.body)]
    for stmt in statements:
        for expr in ir.expressions(stmt):
            for ref in ir.refs_in(expr):
                if id(ref.root) in names:
                    continue
                if _is_pending(ref.root):  # defined by this very module: its own name
                    names[id(ref.root)] = (ref.root.name, ref.root)
                    continue
                name, k = ref.root_name, 0
                while name in used:
                    k += 1
                    name = f"{ref.root_name}_{k}"
                used.add(name)
                names[id(ref.root)] = (name, ref.root)
    return names


class _Printer:
    def __init__(self, names: dict):
        self.names = names

    def text(self, expr) -> str:
        return ast.unparse(gast.gast_to_ast(self.expr(expr)))

    def loop_range(self, loop: ir.For) -> str:
        """range(n) rather than range(0, n, 1); reversed(...) in the backward."""
        start, stop, step = loop.start, loop.stop, loop.step
        args = [start, stop, step]
        if _is_const(step, 1):
            args = [start, stop]
            if _is_const(start, 0):
                args = [stop]
        text = f"range({', '.join(self.text(a) for a in args)})"
        if loop.trips is not None:
            text += f"[:{self.text(loop.trips)}]"
        return f"reversed({text})" if loop.reverse else text

    def statement(self, stmt):
        if isinstance(stmt, ir.Assign):
            node = gast.Assign(targets=[self.target(stmt.target)], value=self.expr(stmt.value),
                               type_comment=None)
        elif isinstance(stmt, ir.SetItem):
            target = gast.Subscript(value=self.expr(stmt.target), slice=self.index(stmt.index),
                                    ctx=gast.Store())
            node = gast.Assign(targets=[target], value=self.expr(stmt.value), type_comment=None)
        elif isinstance(stmt, ir.ExprStmt):
            node = gast.Expr(value=self.expr(stmt.value))
        else:
            node = gast.Return(value=self.expr(stmt.value))
        module = gast.Module(body=[node], type_ignores=[])
        return ast.fix_missing_locations(gast.gast_to_ast(module))

    def target(self, target):
        if isinstance(target, tuple):
            return gast.Tuple(elts=[_name(v.name, gast.Store()) for v in target], ctx=gast.Store())
        return _name(target.name, gast.Store())

    def expr(self, expr):
        if isinstance(expr, ir.Var):
            return _name(expr.name)
        if isinstance(expr, ir.Const):
            return _constant(expr.value)
        if isinstance(expr, ir.Ref):
            name = self.names.get(id(expr.root), (expr.root_name, None))[0]
            node = _name(name)
            for attr in expr.path:
                node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
            return node
        if isinstance(expr, ir.BinOp):
            return gast.BinOp(left=self.expr(expr.left), op=_BINARY_NODES[expr.op](),
                              right=self.expr(expr.right))
        if isinstance(expr, ir.UnaryOp):
            return gast.UnaryOp(op=_UNARY_NODES[expr.op](), operand=self.expr(expr.operand))
        if isinstance(expr, ir.Logic):
            op = gast.And() if expr.op == "and" else gast.Or()
            return gast.BoolOp(op=op, values=[self.expr(v) for v in expr.values])
        if isinstance(expr, ir.Compare):
            return gast.Compare(left=self.expr(expr.left), ops=[_COMPARE_NODES[expr.op]()],
                                comparators=[self.expr(expr.right)])
        if isinstance(expr, ir.Call) and _is_dict_display(expr):
            keys, values = expr.args
            return gast.Dict(keys=[self.expr(k) for k in keys.elts],
                             values=[self.expr(v) for v in values.elts])
        if isinstance(expr, ir.Call) and _is_field_read(expr):  # getfield(self, 'W') -> self.W
            return gast.Attribute(value=self.expr(expr.args[0]), attr=expr.args[1].value, ctx=gast.Load())
        if isinstance(expr, ir.Call):
            return gast.Call(func=self.expr(expr.func), args=[self.expr(a) for a in expr.args],
                             keywords=[gast.keyword(arg=k, value=self.expr(v)) for k, v in expr.kwargs])
        if isinstance(expr, ir.Attr):
            return gast.Attribute(value=self.expr(expr.value), attr=expr.name, ctx=gast.Load())
        if isinstance(expr, ir.Subscript):
            return gast.Subscript(value=self.expr(expr.value), slice=self.index(expr.index),
                                  ctx=gast.Load())
        if isinstance(expr, ir.Slice):  # a slice used as a value: slice(a, b, c)
            parts = [expr.lower, expr.upper, expr.step]
            while parts[-1] is None and len(parts) > 2:  # slice(2) would mean :2, not 2:
                parts.pop()
            return gast.Call(func=_name("slice"), keywords=[],
                             args=[_constant(None) if p is None else self.expr(p) for p in parts])
        if isinstance(expr, ir.TupleExpr):
            node = gast.List if expr.is_list else gast.Tuple
            return node(elts=[self.expr(e) for e in expr.elts], ctx=gast.Load())
        if isinstance(expr, ir.Starred):
            return gast.Starred(value=self.expr(expr.value), ctx=gast.Load())
        raise TypeError(f"cannot print {expr!r}")

    def index(self, index):
        """An index inside [...]: slices print as a:b."""
        if isinstance(index, ir.Slice):
            return gast.Slice(*(None if p is None else self.expr(p)
                                for p in (index.lower, index.upper, index.step)))
        if isinstance(index, ir.TupleExpr) and not index.is_list:
            return gast.Tuple(elts=[self.index(e) for e in index.elts], ctx=gast.Load())
        return self.expr(index)


def _is_field_read(call: ir.Call) -> bool:
    """pytrees.getfield/getsetting(obj, 'name') print as the obj.name they were written as."""
    return call.func.value in (getfield, getsetting) and len(call.args) == 2 \
        and isinstance(call.args[1], ir.Const) and isinstance(call.args[1].value, str) \
        and call.args[1].value.isidentifier()


def _is_dict_display(call: ir.Call) -> bool:
    """containers.make_dict((k, ...), (v, ...)) prints as the {k: v, ...} it came from."""
    return call.func.value is make_dict and len(call.args) == 2


def _is_const(expr, value) -> bool:
    return isinstance(expr, ir.Const) and type(expr.value) is int and expr.value == value


def _name(name: str, ctx=None):
    return gast.Name(id=name, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def _constant(value):
    if isinstance(value, float) and math.isnan(value):
        return gast.Call(func=_name("float"), args=[gast.Constant(value="nan", kind=None)], keywords=[])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-value, kind=None))
    return gast.Constant(value=value, kind=None)
