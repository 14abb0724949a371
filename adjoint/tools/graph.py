"""Graph: the computational graph of a function at given inputs, as in the backprop
lectures: one node per operation of the forward, and on each edge the value flowing
forward (green) and the gradient of the output with respect to it (red).

    adjoint graph examples/add_mul.py:f --at "x=-2,y=5,z=-4"            DOT text
    adjoint graph examples/add_mul.py:f --at "x=-2,y=5,z=-4" -o f.svg   via Graphviz

    "x" -> "#0" [label=<x<br/><font color="darkgreen">-2.00</font><br/>
                          <font color="red">-4.00</font>>]

How: the value-and-gradient code is generated as `show --no-optimize` would (one
backward line per forward operation, so every intermediate keeps its gradient) and an
instrumented copy of it returns `locals()` instead of its result: one run at the --at
inputs gives every forward value and every (fully accumulated) gradient by name. The
nodes and edges come from the forward statements of that same IR, so what is drawn is
what runs. Straight-line functions only: a function with a loop or a branch is refused
(a name's final value would not say which iteration or path it came from). Calls of
functions differentiated through are one node each.
"""
from __future__ import annotations

import html
import operator
import os
import shutil
import subprocess
from dataclasses import replace

import numpy as np

from .. import codegen, ir, loader
from ..display import Graph
from ..dispatch import SCALAR_TYPES, normalize_wrt, parameters
from ..errors import AdjointError, UnsupportedSyntax
from ..pipeline import callee_compiler, lower_function
from ..reverse.sweep import ReverseSweep
from .targets import UsageError, add_target_arguments, resolve_target

_SYMBOLS = {op: sym for sym, op in [
    ("+", operator.add), ("-", operator.sub), ("*", operator.mul), ("/", operator.truediv),
    ("//", operator.floordiv), ("%", operator.mod), ("**", operator.pow), ("@", operator.matmul),
]}
_UNARY_SYMBOLS = {operator.neg: "-", operator.pos: "+", operator.not_: "not", operator.invert: "~"}
RENDERED = (".svg", ".png", ".pdf")


def add_graph(commands) -> None:
    graph = commands.add_parser("graph", help="draw the computational graph with the values "
                                "and gradients at the --at inputs (Graphviz DOT)")
    add_target_arguments(graph)
    graph.add_argument("-o", "--output", metavar="FILE",
                       help="write .dot, or .svg/.png/.pdf rendered with Graphviz's dot "
                            "(default: print the DOT text)")
    graph.add_argument("--digits", type=int, default=2, help="decimals shown (default 2)")


def run_graph(args) -> str:
    if not args.at:
        raise UsageError("graph needs the inputs to evaluate at: --at \"x=-2,y=5,...\"")
    func, wrt, examples = resolve_target(args)
    dot = graph(func, *examples, wrt=wrt, digits=args.digits)
    if not args.output:
        return dot
    return write(dot, args.output)


def write(dot: str, path: str) -> str:
    """Write DOT text to path (.dot), or render it with Graphviz (.svg, .png, .pdf). Without
    the dot program, writes the .dot file next to where the picture would go."""
    stem, ext = os.path.splitext(path)
    if ext.lower() not in RENDERED:
        _write_text(path, dot)
        return f"wrote {path}\n"
    program = shutil.which("dot")
    if program is None:
        _write_text(stem + ".dot", dot)
        return (f"Graphviz's dot program was not found, so {path} was not drawn; wrote "
                f"{stem}.dot instead (render it with: dot -T{ext[1:].lower()} {stem}.dot -o {path})\n")
    done = subprocess.run([program, f"-T{ext[1:].lower()}", "-o", path], input=dot.encode(),
                          capture_output=True, check=False)
    if done.returncode:
        raise AdjointError(f"dot failed to draw {path}: {done.stderr.decode(errors='replace').strip()}")
    return f"wrote {path}\n"


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


# recording ---------------------------------------------------------------------------

def record(func, *args, wrt=None):
    """(value-and-gradient IR function, {name: value after one run at args}, {primal
    name: name of its gradient}, callees)."""
    lowered = lower_function(func)
    fn = lowered.fn
    _refuse_control_flow(fn)
    params = parameters(func)
    if wrt is None:
        wrt = tuple(params)  # every input gets its gradient drawn
    wrt_names, _ = normalize_wrt(func, params, wrt)
    args = tuple(float(a) if isinstance(a, int) and not isinstance(a, bool) else a for a in args)
    scalars = frozenset(p for p, a in zip(params, args)
                        if isinstance(a, SCALAR_TYPES) and not isinstance(a, (bool, np.bool_)))
    wrt_vars = [next(p for p in fn.params if p.name == name) for name in wrt_names]
    rev = ReverseSweep(fn, wrt_vars, scalars, lowered.namer(), callee_compiler(optimize=False))
    grad_fn = rev.run(True, False, None, False)
    spy = ir.Ref("locals", locals, (), locals)
    body = grad_fn.body[:-1] + [ir.Return(ir.Call(spy, ()), grad_fn.body[-1].origin)]
    instrumented = replace(grad_fn, name=f"recorded_{fn.name}", body=body)
    generated = codegen.generate(instrumented, f"# {fn.name}, recording every value for adjoint graph")
    run = loader.load(generated.source, instrumented.name, generated.namespace)
    values = dict(run(*args))
    grads = {primal.name: grad.name for primal, grad in rev.grads.items()}
    return grad_fn, values, grads, rev.callees


def _refuse_control_flow(fn: ir.Function) -> None:
    for stmt in fn.body:
        if isinstance(stmt, (ir.If, ir.For, ir.While)):
            kind = "a branch" if isinstance(stmt, ir.If) else "a loop"
            raise UnsupportedSyntax.at(stmt.origin, f"adjoint graph draws straight-line functions; "
                                       f"{fn.name} has {kind} here",
                                       "draw a straight-line part of it (move the loop or branch "
                                       "into a helper function, which is drawn as one node), or "
                                       "use `adjoint show` to read its gradient code")


# the graph -----------------------------------------------------------------------------

def graph(func, *args, wrt=None, digits: int = 2) -> Graph:
    """Graphviz DOT text of func's computational graph at args, with values and gradients."""
    grad_fn, values, grads, callees = record(func, *args, wrt=wrt)
    names = {id(c.fwd_ref.value): c.name for c in callees}

    def fmt(value) -> str:
        return _format(value, digits)

    lines = [f"digraph {_quote(grad_fn.name)} {{",
             "  rankdir=LR;",
             '  graph [fontname="Helvetica", fontsize=11];',
             '  node [fontname="Helvetica", fontsize=12];',
             '  edge [fontname="Helvetica", fontsize=10];']
    producer = {}  # variable name -> node id
    for p in grad_fn.params:
        producer[p.name] = _quote(p.name)
        lines.append(f"  {_quote(p.name)} [label={_quote(p.name)}, shape=box, style=rounded];")

    def edge(var: str, target: str) -> str:
        label = f"{html.escape(var)}<br/><font color=\"darkgreen\">{fmt(values.get(var))}</font>"
        grad = grads.get(var)
        if grad in values:
            label += f"<br/><font color=\"red\">{fmt(values[grad])}</font>"
        return f"  {producer[var]} -> {target} [label=<{label}>];"

    forward = [s for s in grad_fn.body[:-1] if not getattr(s, "backward", False)]
    count = 0
    for stmt in forward:
        if not isinstance(stmt, ir.Assign):
            continue
        node = _quote(f"#{count}")
        count += 1
        text = _label(stmt.value, names)
        where = f"{os.path.basename(stmt.origin.filename)}:{stmt.origin.line}" if stmt.origin else ""
        shape = "circle" if len(text) <= 3 else "ellipse"
        lines.append(f"  {node} [label={_quote(text)}, shape={shape}, "
                     f"tooltip={_quote(_statement_text(stmt) + ('  [' + where + ']' if where else ''))}];")
        seen = []
        for var in ir.vars_in(stmt.value):
            if var.name not in seen and var.name in producer:
                seen.append(var.name)
                lines.append(edge(var.name, node))
        for target in ir.targets(stmt):
            producer[target.name] = node
    result = grad_fn.body[-1].value.elts[0]  # return (value, grads)
    lines.append(f'  "#out" [label={_quote(grad_fn.name)}, shape=plaintext];')
    if isinstance(result, ir.Var) and result.name in producer:
        lines.append(edge(result.name, '"#out"'))
    at = ", ".join(f"{p.name}={fmt(a)}" for p, a in zip(grad_fn.params, args))
    lines.append(f"  label={_quote(f'{grad_fn.name} at {at}: value (green), gradient of {grad_fn.name} (red)')};")
    lines.append("}")
    return Graph("\n".join(lines) + "\n")


def _label(expr, callee_names: dict) -> str:
    """What a node says: the operation, with its constant operands (`* 2.0`, `np.exp`)."""
    if isinstance(expr, ir.BinOp) and expr.op in _SYMBOLS:
        sym = _SYMBOLS[expr.op]
        left, right = (isinstance(e, ir.Var) for e in (expr.left, expr.right))
        if left and right:
            return sym
        if left:
            return f"{sym} {_text(expr.right)}"
        if right:
            return f"{_text(expr.left)} {sym}"
    if isinstance(expr, ir.UnaryOp) and isinstance(expr.operand, ir.Var) and expr.op in _UNARY_SYMBOLS:
        return _UNARY_SYMBOLS[expr.op]
    if isinstance(expr, ir.Call):
        name = callee_names.get(id(expr.func.value)) or callee_names.get(id(expr.func.root)) \
            or _text(expr.func)
        if not expr.kwargs and all(isinstance(a, ir.Var) for a in expr.args):
            return name
        parts = [_text(a) for a in expr.args] + [f"{k}={_text(v)}" for k, v in expr.kwargs]
        return f"{name}({', '.join(parts)})"
    return _text(expr)


def _text(expr) -> str:
    """Source text of an expression, with its variables written as a dot."""
    mapping = {v: ir.Var("·", v.kind) for v in ir.vars_in(expr)}
    return codegen.expression_source(ir.substitute(expr, mapping) if mapping else expr)


def _statement_text(stmt) -> str:
    target = ", ".join(v.name for v in ir.targets(stmt))
    return f"{target} = {codegen.expression_source(stmt.value)}"


def _format(value, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if np.ndim(value) == 0 and np.isrealobj(value):
        try:
            return f"{float(value):.{digits}f}"
        except (TypeError, ValueError):
            return html.escape(type(value).__name__)
    if isinstance(value, np.ndarray) and value.size <= 4:
        text = np.array2string(value, precision=digits, floatmode="fixed", separator=", ")
        return html.escape(" ".join(text.split()))
    shape = np.shape(value) if isinstance(value, np.ndarray) else None
    return html.escape(f"array of shape {shape}" if shape is not None else type(value).__name__)


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


__all__ = ["add_graph", "graph", "record", "run_graph", "write"]
