"""Code generation: `ir.Function` -> Python source text, plus the names it needs bound.

Statements become the standard library's `ast` nodes (all node construction lives here)
and are printed by `ast.unparse`, which prints the minimal parentheses and valid slices.
They are built as `ast` directly, not as gast then converted: the conversion (a deep
copy of every node) took a third of the time of printing.
Backward blocks get a comment quoting the user's line they come from:

    # L = sigmoid(s3)  [neuron.py:7]
    grad_s3 = grad_L * (1 - L) * L

With `check_finite`, each backward assignment is followed, on the same line (so line
numbers do not move), by a check that what it assigned holds no nan or inf:

    grad_s3 = grad_L * (1 - L) * L; check_finite(grad_s3)

Every generated line that comes from a statement is mapped to the statement's origin
(`Generated.origins`), which adjoint/debug.py uses to say where an error comes from.
Outside references (`Ref`s) are bound to names in a namespace: a module keeps its own
name (np), a clash with a different object gets name_1. A module attribute rebound since
the code was made for it (`math.sin = math.cos` before the rule for cos, which reads
math.sin, was pasted) is bound as the object itself (`sin`), never printed as the path
that now holds another. Output is deterministic.
"""
from __future__ import annotations

import ast
import functools
import inspect
import math
import operator
import os
from dataclasses import dataclass, field


from . import ir
from .runtime.containers import make_dict
from .runtime.pytrees import getfield, getsetting
from .runtime.debug import check_finite as finite_checker
from .syntax import BINARY, COMPARE, UNARY

# operator -> the standard library's ast node class (gast's share its names)
_BINARY_NODES = {op: getattr(ast, node.__name__) for node, op in BINARY.items()}
_UNARY_NODES = {op: getattr(ast, node.__name__) for node, op in UNARY.items()}
_COMPARE_NODES = {op: getattr(ast, node.__name__) for node, op in COMPARE.items()}


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
    return ast.unparse(_Printer(names or {}).expr(expr))


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
            for ref in map(_as_bound, ir.refs_in(expr)):
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


def _as_bound(ref: ir.Ref) -> ir.Ref:
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


class _Printer:
    def __init__(self, names: dict):
        self.names = names

    def text(self, expr) -> str:
        return ast.unparse(self.expr(expr))

    def loop_range(self, loop: ir.For) -> str:
        """range(n) rather than range(0, n, 1); reversed(...) in the backward."""
        if loop.over is not None:  # a tape walked from its last value to its first
            return f"reversed({loop.over.name})"
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
            node = ast.Assign(targets=[self.target(stmt.target)], value=self.expr(stmt.value),
                               type_comment=None)
        elif isinstance(stmt, ir.SetItem):
            target = ast.Subscript(value=self.expr(stmt.target), slice=self.index(stmt.index),
                                    ctx=ast.Store())
            node = ast.Assign(targets=[target], value=self.expr(stmt.value), type_comment=None)
        elif isinstance(stmt, ir.ExprStmt):
            node = ast.Expr(value=self.expr(stmt.value))
        else:
            node = ast.Return(value=self.expr(stmt.value))
        node.lineno = 1  # unparse looks up type comments by line; nothing else needs one
        return ast.Module(body=[node], type_ignores=[])

    def target(self, target):
        if isinstance(target, tuple):
            return ast.Tuple(elts=[_name(v.name, ast.Store()) for v in target], ctx=ast.Store())
        return _name(target.name, ast.Store())

    def expr(self, expr):
        if isinstance(expr, ir.Var):
            return _name(expr.name)
        if isinstance(expr, ir.Const):
            return _constant(expr.value)
        if isinstance(expr, ir.Ref):
            expr = _as_bound(expr)
            name = self.names.get(id(expr.root), (expr.root_name, None))[0]
            node = _name(name)
            for attr in expr.path:
                node = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
            return node
        if isinstance(expr, ir.BinOp):
            return ast.BinOp(left=self.expr(expr.left), op=_BINARY_NODES[expr.op](),
                              right=self.expr(expr.right))
        if isinstance(expr, ir.UnaryOp):
            return ast.UnaryOp(op=_UNARY_NODES[expr.op](), operand=self.expr(expr.operand))
        if isinstance(expr, ir.Logic):
            op = ast.And() if expr.op == "and" else ast.Or()
            return ast.BoolOp(op=op, values=[self.expr(v) for v in expr.values])
        if isinstance(expr, ir.Compare):
            return ast.Compare(left=self.expr(expr.left), ops=[_COMPARE_NODES[expr.op]()],
                                comparators=[self.expr(expr.right)])
        if isinstance(expr, ir.Call) and _is_dict_display(expr):
            keys, values = expr.args
            return ast.Dict(keys=[self.expr(k) for k in keys.elts],
                             values=[self.expr(v) for v in values.elts])
        if isinstance(expr, ir.Call) and _is_field_read(expr):  # getfield(self, 'W') -> self.W
            return ast.Attribute(value=self.expr(expr.args[0]), attr=expr.args[1].value, ctx=ast.Load())
        if isinstance(expr, ir.Call):
            return ast.Call(func=self.expr(expr.func), args=[self.expr(a) for a in expr.args],
                             keywords=[ast.keyword(arg=k, value=self.expr(v)) for k, v in expr.kwargs])
        if isinstance(expr, ir.Attr):
            return ast.Attribute(value=self.expr(expr.value), attr=expr.name, ctx=ast.Load())
        if isinstance(expr, ir.Subscript):
            return ast.Subscript(value=self.expr(expr.value), slice=self.index(expr.index),
                                  ctx=ast.Load())
        if isinstance(expr, ir.Slice):  # a slice used as a value: slice(a, b, c)
            parts = [expr.lower, expr.upper, expr.step]
            while parts[-1] is None and len(parts) > 2:  # slice(2) would mean :2, not 2:
                parts.pop()
            return ast.Call(func=_name("slice"), keywords=[],
                             args=[_constant(None) if p is None else self.expr(p) for p in parts])
        if isinstance(expr, ir.TupleExpr):
            node = ast.List if expr.is_list else ast.Tuple
            return node(elts=[self.expr(e) for e in expr.elts], ctx=ast.Load())
        if isinstance(expr, ir.Starred):
            return ast.Starred(value=self.expr(expr.value), ctx=ast.Load())
        raise TypeError(f"cannot print {expr!r}")

    def index(self, index):
        """An index inside [...]: slices print as a:b."""
        if isinstance(index, ir.Slice):
            return ast.Slice(*(None if p is None else self.expr(p)
                                for p in (index.lower, index.upper, index.step)))
        if isinstance(index, ir.TupleExpr) and not index.is_list:
            return ast.Tuple(elts=[self.index(e) for e in index.elts], ctx=ast.Load())
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
    return ast.Name(id=name, ctx=ctx or ast.Load())


def _constant(value):
    if isinstance(value, float) and math.isnan(value):
        return ast.Call(func=_name("float"), args=[ast.Constant(value="nan", kind=None)], keywords=[])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value, kind=None))
    return ast.Constant(value=value, kind=None)
