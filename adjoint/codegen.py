"""Code generation: `ir.Function` -> Python source text, plus the names it needs bound.

Expressions and simple statements are printed by printer.py, which spells them as
`ast.unparse` does (minimal parentheses, valid slices) without building `ast` nodes.
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

import operator
import os
from dataclasses import dataclass, field

from . import ir
from .printer import Printer, as_bound
from .runtime.debug import check_finite as finite_checker


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
            self.emit(p.statement(stmt) + self._checked(stmt), depth)

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
    return Printer(names or {}).text(expr)


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
            for ref in map(as_bound, ir.refs_in(expr)):
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


class _Printer(Printer):
    """Prints expressions, statements and loop headers."""

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


def _is_const(expr, value) -> bool:
    return isinstance(expr, ir.Const) and type(expr.value) is int and expr.value == value
