"""A pass: a gradient that is a plain copy of another is replaced by it everywhere.

    grad_s2 = grad_s3
    grad_w1 = grad_s2 * x1     ->    grad_w1 = grad_s3 * x1

Only when the copy is the variable's one assignment, the original does not change after
it and nothing reads the copy before it (a loop-carried read); the gradients the
function returns keep their names (grad_w2 = grad_s3 stays).
"""
from __future__ import annotations

import dataclasses

from .. import ir
from .common import substitute_stmt


def propagate_copies(fn: ir.Function) -> ir.Function:
    returned = set(ir.vars_in(fn.body[-1].value))
    order = list(ir.walk(fn.body))
    if not any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Var) for s in order):
        return fn  # no copy to propagate
    position = {id(s): k for k, s in enumerate(order)}
    assignments: dict = {}
    reads_at: dict = {}
    for k, stmt in enumerate(order):
        for var in ir.targets(stmt):
            assignments.setdefault(var, []).append(k)
        for var in ir.reads(stmt):
            reads_at.setdefault(var, []).append(k)
    mapping: dict = {}
    for stmt in order:
        if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)
                and isinstance(stmt.value, ir.Var)):
            continue
        a, b = stmt.target, stmt.value
        k = position[id(stmt)]
        if a.kind not in (ir.Kind.GRAD, ir.Kind.LOCAL) or a in returned or a in fn.dynamic \
                or len(assignments.get(a, [])) != 1:
            continue
        if any(j > k for j in assignments.get(b, [])) or any(j < k for j in reads_at.get(a, [])):
            continue  # b changes later, or a is read before this copy (a loop-carried read)
        mapping[a] = mapping.get(b, b)
    if not mapping:
        return fn
    return dataclasses.replace(fn, body=_substitute_block(fn.body, mapping))


def _substitute_block(block: list, mapping: dict) -> list:
    out = []
    for stmt in block:
        if isinstance(stmt, ir.Assign) and stmt.target in mapping and isinstance(stmt.value, ir.Var):
            continue
        stmt = ir.map_blocks(stmt, lambda b, _: _substitute_block(b, mapping))
        out.append(substitute_stmt(stmt, mapping))
    return out
