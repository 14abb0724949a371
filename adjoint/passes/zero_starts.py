"""A pass: a gradient set to zero and then only added to gets the addition directly.

    grad_h = zero_grad(h)
    ...                              (nothing reads or writes grad_h)
    grad_h = grad_h + grad_s1   ->   grad_h = grad_s1

Only the next statement of the same block that touches the gradient is looked at: if it
is not `g = g + e` (e free of g), the zero start stays.
"""
from __future__ import annotations

import bisect
import dataclasses
import operator

from .. import ir
from ..runtime.core import zero_grad
from .common import touched


def fold_zero_starts(fn: ir.Function) -> ir.Function:
    return dataclasses.replace(fn, body=_fold_block(fn.body))


def _fold_block(block: list) -> list:
    block = [ir.map_blocks(s, lambda b, _: _fold_block(b)) for s in block]
    starts = {s.target for s in block if _is_zero_start(s)}
    if not starts:
        return block
    out = list(block)
    touching: dict = {}  # zero-started var -> positions of the statements reading or writing it
    for j, stmt in enumerate(block):
        for var in touched(stmt) & starts:
            touching.setdefault(var, []).append(j)
    for i, stmt in enumerate(block):
        if not (_is_zero_start(stmt) and out[i] is stmt):
            continue
        g = stmt.target
        positions = touching[g]
        for j in positions[bisect.bisect_right(positions, i):]:  # the next statements touching g
            later = out[j]
            if later is None:
                continue
            if isinstance(later, ir.Assign) and later.target == g and isinstance(later.value, ir.BinOp) \
                    and later.value.op is operator.add and later.value.left == g \
                    and g not in ir.vars_in(later.value.right):
                out[j] = dataclasses.replace(later, value=later.value.right)
                out[i] = None
            break
    return [s for s in out if s is not None]


def _is_zero_start(stmt) -> bool:
    if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)
            and stmt.target.kind is ir.Kind.GRAD):
        return False
    value = stmt.value
    if isinstance(value, ir.Const):
        return value.value == 0.0 and not isinstance(value.value, bool)
    return isinstance(value, ir.Call) and value.func.value is zero_grad
