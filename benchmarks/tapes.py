"""What adjoint's generated code keeps on its tapes (`run.py --tapes`).

adjoint compiles a loop into a forward loop that pushes values onto plainly named
`<name>_tape` lists and a backward loop that pops them in reverse (or walks one:
`for x in reversed(x_tape):`). This module reads the
tapes off the generated source (which variable each one holds, the statement that
computes it, the backward statements that read it), then runs that source once more
with every tape replaced by a recording list, and reports what was pushed at each step:
type, dtype, shape, and the bytes the tapes held at their fullest.

It reaches the generated function's globals through adjoint's private `_specializer`
(as overhead.py does), falling back to adjoint.runtime plus the workload's module.
"""
from __future__ import annotations

import ast
import sys

import numpy as np

from adjoint import runtime


class Recorder(list):
    """A tape that logs what is pushed and keeps count of the bytes it holds."""

    def __init__(self, name, book):
        super().__init__()
        self.name, self.book = name, book

    def append(self, value):
        self.book.push(self.name, value)
        super().append(value)

    def pop(self, *index):
        value = super().pop(*index)
        self.book.drop(value)
        return value


class Book:
    def __init__(self):
        self.pushed = {}   # tape name -> [description per push]
        self.values = {}   # tape name -> [every value pushed]
        self.live = {}     # id -> [count, bytes, object] of objects now on some tape
        self.bytes = 0
        self.peak = 0
        self.peak_objects = 0

    def push(self, tape, value):
        self.pushed.setdefault(tape, []).append(describe(value))
        self.values.setdefault(tape, []).append(value)
        if value is None:
            return
        entry = self.live.get(id(value))
        if entry is None:
            size = owned_bytes(value)
            self.live[id(value)] = [1, size, value]
            self.bytes += size
        else:
            entry[0] += 1
        if self.bytes > self.peak:
            self.peak, self.peak_objects = self.bytes, len(self.live)

    def drop(self, value):
        if value is None:
            return
        entry = self.live[id(value)]
        entry[0] -= 1
        if not entry[0]:
            self.bytes -= entry[1]
            del self.live[id(value)]


def owned_bytes(value) -> int:
    """Memory a tape entry keeps alive: an array's buffer unless it is a view (its base is
    held elsewhere anyway); None is free; other objects their Python size."""
    if value is None:
        return 0
    if isinstance(value, np.ndarray):
        return value.nbytes if value.base is None else 0
    return sys.getsizeof(value)


def describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"ndarray {value.dtype} {value.shape}" + (" (view)" if value.base is not None else "")
    return type(value).__name__


def runs(descriptions) -> str:
    """'step 0: None; steps 1-49: ndarray float64 (16, 64)'."""
    out, start = [], 0
    for k in range(1, len(descriptions) + 1):
        if k == len(descriptions) or descriptions[k] != descriptions[start]:
            steps = f"step {start}" if k - 1 == start else f"steps {start}-{k - 1}"
            out.append(f"{steps}: {descriptions[start]}")
            start = k
    return "; ".join(out)


def kib(n) -> str:
    return f"{n / 1024:.1f} KiB"


def _calls(node, method):
    """(tape name, argument) of every `<tape>.<method>(...)` under node."""
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == method and isinstance(sub.func.value, ast.Name)):
            yield sub.func.value.id, (sub.args[0] if sub.args else None)


def _walks(loop, tapes) -> bool:
    """`for x in reversed(<tape>):` (a backward loop walking its tape instead of popping)."""
    it = getattr(loop, "iter", None)
    return (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed"
            and len(it.args) == 1 and isinstance(it.args[0], ast.Name) and it.args[0].id in tapes)


def _reads(stmt, name) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
               for n in ast.walk(stmt))


# runtime helpers that read only np.shape / np.ndim of this argument (see adjoint/runtime.py)
SHAPE_ONLY = {("unbroadcast", 1), ("expand_to", 1), ("zero_grad", 0)}


def _shape_only(stmt, name) -> bool:
    """Whether every read of `name` in stmt is as an argument whose shape alone is used."""
    shape_args = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            for k, arg in enumerate(node.args):
                if (node.func.id, k) in SHAPE_ONLY and isinstance(arg, ast.Name) and arg.id == name:
                    shape_args.add(id(arg))
    loads = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name
             and isinstance(n.ctx, ast.Load)]
    return bool(loads) and all(id(n) in shape_args for n in loads)


def _loop_statements(loops):
    """Simple statements inside the given loops, nested loops included, in order."""
    for loop in loops:
        for node in ast.walk(loop):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.Expr)):
                yield node


def analyse(source: str):
    """(function, tape names, {tape: pushed expression}, defining statements, backward reads)."""
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    tapes = [s.targets[0].id for s in fn.body
             if isinstance(s, ast.Assign) and isinstance(s.value, ast.List) and not s.value.elts
             and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
             and "_tape" in s.targets[0].id]
    loops = [n for n in ast.walk(fn) if isinstance(n, (ast.For, ast.While))]
    forward = [l for l in loops if any(t in tapes for t, _ in _calls(l, "append"))]
    backward = [l for l in loops if any(t in tapes for t, _ in _calls(l, "pop")) or _walks(l, tapes)]
    pushed = {}
    for loop in forward:
        for tape, arg in _calls(loop, "append"):
            if tape in tapes and arg is not None:
                pushed.setdefault(tape, ast.unparse(arg))
    defined, read = {}, {}
    for tape, expr in pushed.items():
        defined[tape] = [ast.unparse(s) for s in _loop_statements(forward)
                         if isinstance(s, ast.Assign) and any(
                             isinstance(t, ast.Name) and t.id == expr for t in s.targets)]
        read[tape] = [(ast.unparse(s), _shape_only(s, expr)) for s in _loop_statements(backward)
                      if _reads(s, expr) and not any(True for _ in _calls(s, "pop"))]
    return tree, fn, tapes, pushed, defined, read


def generated_globals(df, args, module) -> dict:
    try:
        spec = df._specializer
        return dict(spec.compiled[spec.key_of(args)].function.__globals__)
    except Exception:  # adjoint's internals moved: the helpers and the workload's names
        return dict(vars(runtime), **vars(module))


def peak_bytes(call, args) -> int:
    """The most memory one call had allocated at once, above what was allocated before it
    (tracemalloc sees Python objects and numpy's buffers): tapes, temporaries, results."""
    import tracemalloc
    call(*args)  # compiled and cached before measuring
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        call(*args)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def memory_line(df, hand, args) -> str:
    ours, theirs = peak_bytes(df, args), peak_bytes(hand, args)
    return (f"  peak memory of one call (tracemalloc): adjoint {kib(ours)}, hand-written "
            f"{kib(theirs)}: {ours / max(theirs, 1):.2f}x")


def report(label, df, args, module, hand=None) -> list:
    """Lines describing the tapes of the code adjoint generated for df(*args), and, given
    the hand-written version, both one's peak memory."""
    df(*args)
    source = df.source
    tree, fn, tapes, pushed, defined, read = analyse(source)
    lines = [f"[{label}] tapes in adjoint's generated {fn.name}"]
    if hand is not None:
        lines.append(memory_line(df, hand, args))
    if not tapes:
        return lines + ["  none (no loop, or nothing in it the backward needs)"]
    book = Book()
    for stmt in fn.body:  # `x_tape = []` -> `x_tape = _recorder('x_tape', _book)`
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id in tapes:
            stmt.value = ast.Call(ast.Name("_recorder", ast.Load()),
                                  [ast.Constant(stmt.targets[0].id), ast.Name("_book", ast.Load())], [])
    scope = generated_globals(df, args, module)
    scope.update(_recorder=Recorder, _book=book)
    exec(compile(ast.fix_missing_locations(tree), f"<recorded {fn.name}>", "exec"), scope)
    recorded = scope[fn.name](*args)
    value, expected = recorded[0], df(*args)[0]
    if not np.array_equal(np.asarray(value), np.asarray(expected)):
        lines.append(f"  warning: the recorded run's value {value!r} differs from {expected!r}")
    shape_only_tapes = []
    for tape in tapes:
        got = book.pushed.get(tape, [])
        expr = pushed.get(tape, "?")
        lines.append(f"  {tape}: pushes the value of `{expr}` about to be overwritten, "
                     f"{len(got)} times")
        if got:
            lines.append(f"      {runs(got)}")
        for stmt in defined.get(tape, []):
            lines.append(f"      computed by   {stmt}")
        uses = read.get(tape, [])
        for stmt, shape_only in uses:
            lines.append(f"      backward uses {stmt}" + ("   <- its shape only" if shape_only else ""))
        if uses and all(shape_only for _, shape_only in uses):
            shape_only_tapes.append(tape)
    steps = max((len(v) for v in book.pushed.values()), default=0)
    per_step = "; ".join(f"{pushed.get(t, '?')}: {_shape(book.pushed.get(t, []))}" for t in tapes)
    lines.append(f"  per step: {per_step}")
    lines.append(f"  pushes in all: {sum(len(v) for v in book.pushed.values())} over {steps} "
                 f"steps; at their fullest the tapes held {book.peak_objects} distinct objects, "
                 f"{kib(book.peak)} (views and None count 0; an input pushed counts too)")
    if shape_only_tapes:
        held = sum(owned_bytes(v) for t in shape_only_tapes for v in book.values[t])
        lines.append(f"  of these, {', '.join(shape_only_tapes)} are read by the backward only for "
                     f"their shapes: {kib(held)} kept alive for shape information")
    return lines


def _shape(descriptions) -> str:
    kinds = [d for d in dict.fromkeys(descriptions) if d != "None"]
    text = " / ".join(kinds) or "None"
    if "None" in descriptions:
        text += f" (None at {descriptions.count('None')} step(s))"
    return text
