"""A pass: within straight runs of statements, read b where a = b was copied.

    grad_s3 = grad_x                      grad_s3 = grad_x
    x = x_tape.pop()                ->    x = x_tape.pop()
    grad_x = grad_s3                      grad_s2 = -grad_x
    grad_s2 = -grad_s3

A copy holds until either side is assigned again, and not across a loop's back edge for
what the loop assigns; a = a is dropped, and the copies left unread go with dead code.
"""
from __future__ import annotations

import dataclasses

from .. import ir
from .common import assigned_in, substitute_stmt


def propagate_local_copies(fn: ir.Function) -> ir.Function:
    """Within straight runs of statements, read b where a = b was copied:

        grad_s3 = grad_x; x = x_tape.pop(); grad_x = grad_s3; grad_s2 = -grad_s3
     -> grad_s3 = grad_x; x = x_tape.pop(); grad_s2 = -grad_x

    (a = a is dropped; the copies left unread go with dead code.)"""
    return dataclasses.replace(fn, body=_local_block(fn.body, {}))


def _local_block(block: list, copies: dict) -> list:
    copies = dict(copies)
    out = []
    for stmt in block:
        if isinstance(stmt, (ir.For, ir.While)):
            inside = assigned_in(stmt)  # the back edge: nothing assigned in the loop holds
            for var in list(copies):
                if var in inside or copies[var] in inside:
                    del copies[var]
        if not isinstance(stmt, ir.Return):  # returned gradients keep their own names
            stmt = substitute_stmt(stmt, copies)
        stmt = ir.map_blocks(stmt, lambda block, _: _local_block(block, copies))
        if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Var) and stmt.value == stmt.target:
            continue  # a = a
        changed = assigned_in(stmt)
        for var in list(copies):
            if var in changed or copies[var] in changed:
                del copies[var]
        if isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var) \
                and isinstance(stmt.value, ir.Var) and stmt.target.kind in (ir.Kind.GRAD, ir.Kind.LOCAL):
            copies[stmt.target] = stmt.value
        out.append(stmt)
    return out
