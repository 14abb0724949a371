"""A pass: inside loop bodies, a temporary's gradient read once is written into its reader.

    for i in reversed(range(n)):                 for i in reversed(range(n)):
        grad_s0 = grad_s1 * 0.01           ->        grad_x = grad_x + grad_s1 * 0.01 * math.cos(x)
        grad_x = grad_x + grad_s0 * math.cos(x)

Every line in a loop costs each iteration; outside loops the backward keeps one line per
operation, to be read next to the forward. Only a gradient of a compiler temporary,
assigned once, read once later in the same block with nothing in between touching it or
its operands.
"""
from __future__ import annotations

import dataclasses

from .. import ir
from .common import assigned_in, touched, use_counts


def inline_in_loops(fn: ir.Function) -> ir.Function:
    """Inside loop bodies, where every line costs each iteration, a gradient of a
    compiler temporary that is read once, later in the same block, is written into
    that reader:  grad_s0 = grad_s1 * 0.01; grad_x = grad_x + grad_s0 * math.cos(x)
               -> grad_x = grad_x + grad_s1 * 0.01 * math.cos(x)
    Outside loops the backward keeps one line per operation, as in the lecture."""
    if not any(isinstance(s, (ir.For, ir.While)) for s in ir.walk(fn.body)):
        return fn  # nothing is in a loop
    returned = set(ir.vars_in(fn.body[-1].value))
    return dataclasses.replace(fn, body=_inline_blocks(fn.body, use_counts(fn), returned, in_loop=False))


def _inline_blocks(block: list, counts, returned, in_loop: bool) -> list:
    block = [ir.map_blocks(s, lambda b, loop: _inline_blocks(b, counts, returned, in_loop or loop))
             for s in block]
    if not in_loop:
        return block
    out = list(block)
    for i, stmt in enumerate(out):
        if not _inlinable(stmt, counts, returned):
            continue
        var = stmt.target
        operands = set(ir.vars_in(stmt.value))
        for j in range(i + 1, len(out)):
            later = out[j]
            if later is None:
                continue
            if var in ir.reads(later) and not ir.blocks(later) and isinstance(later, ir.Assign):
                out[j] = ir.with_value(later, {var: stmt.value})
                out[i] = None
                break
            if var in touched(later) or operands & assigned_in(later):
                break
    return [s for s in out if s is not None]


def _inlinable(stmt, counts, returned) -> bool:
    if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)):
        return False
    var = stmt.target
    return var.kind is ir.Kind.GRAD and var.of is ir.Kind.TEMP and var not in returned \
        and counts.get(var, 0) == 1 and counts.get(("def", var), 0) == 1 \
        and not isinstance(stmt.value, (ir.Const, ir.Var))
