"""A pass: inside loop bodies, a forward temporary read once is written into its reader.

    for i in range(n):                           for i in range(n):
        s0 = math.sin(x)                             x_tape.append(x)
        s1 = 0.01 * s0                     ->        x = x - 0.01 * math.sin(x) * y
        s2 = s1 * y
        x_tape.append(x)
        x = x - s2

Every line in a loop costs each iteration; outside loops the forward keeps one line per
operation, to be read next to the backward. Only a compiler temporary (kind TEMP)
assigned once and read once in the whole function (so neither taped, returned nor read by
the backward), whose value is pure: operators, and calls of numpy or math functions with
a rule (not the user's functions, not calls without a rule, no `out=`). It moves to its
reader, later in the same block, past nothing but pushes of plain variables onto tapes
and other such temporaries (none of which writes a variable it reads), and only into a
reader from the same source line (an error still names the line it did before).

Order of evaluation is kept: the temporaries written into one reader are the last ones
waiting, in the order the reader evaluates them, so every operation runs in the order it
did, only later than the pushes it moved past (which cannot fail and touch no variable).
"""
from __future__ import annotations

import dataclasses

from .. import ir
from ..rules.registry import is_impure, lookup
from .common import use_counts

PURE_OPERATIONS = (ir.BinOp, ir.UnaryOp, ir.Compare, ir.Logic, ir.Attr, ir.Subscript, ir.Slice,
                   ir.TupleExpr, ir.Var, ir.Const, ir.Ref)


def inline_forward_in_loops(fn: ir.Function) -> ir.Function:
    if not any(isinstance(s, (ir.For, ir.While)) for s in ir.walk(fn.body)):
        return fn  # (straight-line code keeps one line per operation)
    return dataclasses.replace(fn, body=_fold_blocks(fn.body, use_counts(fn), in_loop=False))


def _fold_blocks(block: list, counts: dict, in_loop: bool) -> list:
    block = [ir.map_blocks(s, lambda inner, loop: _fold_blocks(inner, counts, in_loop or loop))
             for s in block]
    return _fold(block, counts) if in_loop else block


def _fold(block: list, counts: dict) -> list:
    out: list = []
    waiting: dict = {}  # temporary -> its assignment, not yet written out (in block order)
    for stmt in block:
        if isinstance(stmt, ir.Push) and isinstance(stmt.value, (ir.Var, ir.Const)) \
                and stmt.value not in waiting:  # (a push of a copy computes: it stays put)
            out.append(stmt)
            continue
        taken = [v for v in ir.vars_in(stmt.value) if v in waiting] \
            if isinstance(stmt, ir.Assign) else []
        candidate = _candidate(stmt, counts)
        if taken and _takes_last(taken, waiting, stmt):
            stmt = ir.with_value(stmt, {v: waiting.pop(v).value for v in taken})
        if not candidate or _writes_operand(stmt, waiting):
            out.extend(waiting.values())  # what waits before the reader runs first, as it did
            waiting.clear()
        if candidate:
            waiting[stmt.target] = stmt
        else:
            out.append(stmt)
    out.extend(waiting.values())
    return out


def _takes_last(taken: list, waiting: dict, reader) -> bool:
    """The reader takes the last temporaries waiting, in their order, all from its line."""
    last = list(waiting)[len(waiting) - len(taken):]
    return taken == last and all(_same_line(waiting[v].origin, reader.origin) for v in taken)


def _writes_operand(stmt, waiting: dict) -> bool:
    written = set(ir.targets(stmt))
    return any(written & set(ir.vars_in(w.value)) for w in waiting.values())


def _same_line(a, b) -> bool:
    return a is not None and b is not None and (a.filename, a.line) == (b.filename, b.line)


def _candidate(stmt, counts: dict) -> bool:
    if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)) or stmt.backward:
        return False
    var = stmt.target
    return var.kind is ir.Kind.TEMP and counts.get(var, 0) == 1 and counts.get(("def", var), 0) == 1 \
        and _pure(stmt.value)


def _pure(expr) -> bool:
    if isinstance(expr, ir.Call):
        func = expr.func.value
        module = (getattr(func, "__module__", None) or "").split(".")[0]
        if module not in ("numpy", "math") or lookup(func) is None or is_impure(func) \
                or any(name == "out" for name, _ in expr.kwargs):
            return False
    elif not isinstance(expr, PURE_OPERATIONS):
        return False
    return all(_pure(c) for c in ir.children(expr) if not isinstance(c, ir.Ref))
