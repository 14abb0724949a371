"""What several passes ask of a statement: the variables it touches or assigns (nested
blocks included), and the statement with variables replaced by others.

    touched(grad_x = grad_x + grad_s0 * y)      -> {grad_x, grad_s0, y}
    substitute_stmt(grad_w = grad_s2 * x, {grad_s2: grad_s3}) -> grad_w = grad_s3 * x
"""
from __future__ import annotations

import dataclasses

from .. import ir


def touched(stmt) -> set:
    """Every variable a statement reads or writes, nested blocks included."""
    if type(stmt) is ir.Assign:  # (no nested blocks: the commonest case, straight)
        out = set(ir.vars_in(stmt.value))
        out.update(ir.targets(stmt))
        return out
    out = set()
    for s in ir.walk([stmt]):
        out.update(ir.reads(s))
        out.update(ir.targets(s))
    return out


def use_counts(fn: ir.Function) -> dict:
    """var -> how many statements read it, and ("def", var) -> how many assign it, in the
    whole function (what the inlining passes ask before moving a value to its reader)."""
    counts: dict = {}
    for stmt in ir.walk(fn.body):
        for var in ir.reads(stmt):
            counts[var] = counts.get(var, 0) + 1
        for var in ir.targets(stmt):
            counts[("def", var)] = counts.get(("def", var), 0) + 1
    return counts


def assigned_in(stmt) -> set:
    if type(stmt) is ir.Assign:  # (no nested blocks)
        return set(ir.targets(stmt))
    return {t for s in ir.walk([stmt]) for t in ir.targets(s)}


def substitute_stmt(stmt, mapping):
    if isinstance(stmt, (ir.Assign, ir.ExprStmt, ir.Return, ir.SetItem)):
        return ir.with_value(stmt, mapping)
    if isinstance(stmt, ir.Push):
        return dataclasses.replace(stmt, value=ir.substitute(stmt.value, mapping))
    if isinstance(stmt, (ir.If, ir.While)):
        return dataclasses.replace(stmt, test=ir.substitute(stmt.test, mapping))
    if isinstance(stmt, ir.For):
        return dataclasses.replace(stmt, start=ir.substitute(stmt.start, mapping),
                                   stop=ir.substitute(stmt.stop, mapping),
                                   step=ir.substitute(stmt.step, mapping),
                                   trips=None if stmt.trips is None else ir.substitute(stmt.trips, mapping))
    return stmt
