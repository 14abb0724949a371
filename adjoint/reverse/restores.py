"""Restores nothing reads: a write's overwritten entries are kept only when the backward
reads values of that memory after putting them back.

The backward puts back what each write `x[i] = v` overwrote (writes.py), so every line
after it in the backward sees the arrays as its forward line did. Where no line that runs
after the restore reads values of memory the write changed, the restore changes nothing
anyone sees, and it goes, with the list keeping those entries. The heat stencil's backward
reads u only for its shape (`unindex(g, u, slice(1, -1))`), so it keeps no slices at all.

"Reads values" is found on the generated code: a name may share the written memory when
memory.py says so, or when it is made from such a name by anything but arithmetic or a
function known to return a new array; a statement reads it when the name appears anywhere
but as the array a write goes into or as an argument read only for its shape, dtype or
length. "Runs after" is everything after the restore in its block and the blocks around
it, and the whole of any backward loop around it (its later trips). Gradients are taken
to be arrays of their own (every rule builds new ones), so a gradient is never a name
that shares the written memory.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import ir
from ..runtime.core import expand_to, separate, unbroadcast, unindex, writeable, zero_grad
from ..runtime.containers import grads_of
from .memory import SHAPE_ATTRIBUTES, Memory, fresh_callable

# function -> positions (and keywords) of arguments read only for shape, dtype or length
SHAPE_ARGUMENTS = {np.shape: (0,), np.ndim: (0,), np.size: (0,), builtins.len: (0,),
                   unindex: (1,), unbroadcast: (1,), expand_to: (1,), zero_grad: (0,),
                   writeable: (1, "like"), separate: ("like",), grads_of: ("like",)}


def drop_unread_restores(rev, forward: list, backward: list) -> list:
    """The backward without the restores nothing reads; rev forgets their lists' pushes
    (rev.dropped_sites) and the lists left with nothing to keep."""
    rev.dropped_sites = unread_restores(forward, backward, rev.memory, rev.slot_tapes, rev.tapes)
    if not rev.dropped_sites:
        return backward
    backward = without_restores(backward, rev.dropped_sites)
    used = {s.tape for s in ir.walk(backward) if isinstance(s, ir.Pop)}
    rev.slot_tapes = {array: tape for array, tape in rev.slot_tapes.items() if tape in used}
    return backward


def unread_restores(forward: list, backward: list, memory: Memory, slot_tapes: dict, tapes: dict) -> set:
    """The sites (ir.Pop.site) of restores no later backward line reads."""
    slot_lists = set(slot_tapes.values())
    restores = _restores(backward, slot_lists)
    if not restores:
        return set()
    body = forward + backward
    named = {tape: var for var, tape in tapes.items()}
    dropped = set()
    for restore, pop, after in restores:
        shared = _sharing(body, memory, restore.target, slot_lists, named)
        if not any(_reads(stmt, shared) for stmt in ir.walk(after)):
            dropped.add(pop.site)
    return dropped


def without_restores(block: list, sites: set) -> list:
    """The backward without the dropped restores (their pop and their write)."""
    out, skip = [], set()
    for k, stmt in enumerate(block):
        if id(stmt) in skip:
            continue
        if isinstance(stmt, ir.Pop) and stmt.site in sites and k + 1 < len(block):
            skip.add(id(block[k + 1]))  # the write putting the popped entries back
            continue
        out.append(ir.map_blocks(stmt, lambda b, _: without_restores(b, sites)))
    return out


def _restores(block: list, slot_lists: set, following=()) -> list:
    """(restore write, its pop, the statements running after it) for each restore."""
    found = []

    def rest():  # what runs after block[k]: listed only where needed (long blocks made
        return list(block[k + 1:]) + list(following)  # a list per statement quadratic)

    for k, stmt in enumerate(block):
        if isinstance(stmt, ir.SetItem) and k and isinstance(block[k - 1], ir.Pop) \
                and block[k - 1].tape in slot_lists and stmt.value == block[k - 1].target:
            found.append((stmt, block[k - 1], rest()))
        elif isinstance(stmt, (ir.For, ir.While)):  # later trips run the whole body again
            found += _restores(stmt.body, slot_lists, [stmt] + rest())
        elif isinstance(stmt, ir.If):
            found += _restores(stmt.body, slot_lists, rest()) + _restores(stmt.orelse, slot_lists, rest())
    return found


def _sharing(body: list, memory: Memory, array: ir.Var, slot_lists: set, named: dict) -> set:
    """Names that may share memory with `array`: memory.py's, and what is made from them."""
    roots = memory.owned(array)
    shared = {v for v in memory.reach if memory.of(v) & roots} | {array}
    statements = list(ir.walk(body))
    changed = True
    while changed:
        changed = False
        for stmt in statements:
            for target in _tainted_targets(stmt, shared, slot_lists, named):
                if target not in shared:
                    shared.add(target)
                    changed = True
    return shared


def _tainted_targets(stmt, shared: set, slot_lists: set, named: dict) -> list:
    if isinstance(stmt, ir.Pop):  # a slot list holds copies; a name's list, that name's values
        if stmt.tape not in slot_lists and named.get(stmt.tape) in shared:
            return [stmt.target]
        return []
    if isinstance(stmt, ir.Assign) and _may_share(stmt.value, shared):
        return list(ir.targets(stmt))
    return []


def _may_share(expr, shared: set) -> bool:
    """The value may be (or hold, or view) memory of a shared name."""
    if isinstance(expr, ir.Var):
        return expr in shared
    if isinstance(expr, (ir.Const, ir.Ref, ir.BinOp, ir.UnaryOp, ir.Compare)):
        return False  # (arithmetic makes a new array)
    if isinstance(expr, ir.Call):
        if fresh_callable(expr.func.value) and not expr.kwargs:
            return False
        return any(v in shared for v in _value_vars(expr))  # (expand_to(g, x) may be g's)
    return any(v in shared for v in ir.vars_in(expr))


def _reads(stmt, shared: set) -> bool:
    return any(v in shared for expr in ir.expressions(stmt) for v in _value_vars(expr))


def _value_vars(expr) -> list:
    """Vars whose values the expression reads (not those read for shape alone)."""
    if isinstance(expr, ir.Var):
        return [expr]
    if isinstance(expr, ir.Attr) and expr.name in SHAPE_ATTRIBUTES:
        return []
    if isinstance(expr, ir.Call):
        positions = _shape_only(expr.func.value) or ()
        args = [a for k, a in enumerate(expr.args) if k not in positions]
        kwargs = [v for name, v in expr.kwargs if name not in positions]
        return [v for a in args + kwargs for v in _value_vars(a)]
    return [v for child in ir.children(expr) for v in _value_vars(child)]


def _shape_only(func):
    try:
        return SHAPE_ARGUMENTS.get(func)
    except TypeError:
        return None
