"""`row = A[i]; row += v` (or `h(row)` where h updates its parameter by op=): an update of
an entry that may be a row of A.

`A[i]` with integer indices is a copy of one entry when the indices reach every axis of
A (a number: `row += v` rebinds it, A is unchanged) and a view of a row otherwise (numpy
writes v into A). Only the run can tell which, so where it matters (a name sharing A's
memory is read after the update) the update is compiled both ways and decided there:

    row_is_view = is_view(row)
    if row_is_view:                    else:
        row_updated = row + v              row_1 = row + v
        row[...] = row_updated
        row_1 = row

The write then is followed like any other (refresh.py adds `A[i] = row`, the write-back
telling A's gradient that its row is row, and makes views of A read after it again); a
helper's update becomes the caller's write (callwrites.py). Where nothing sharing A's
memory is read after, the update stays a number's update, and the run checks that row
is not a view (runtime.writes.entry_copy), as before.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from .. import ir
from ..runtime.writes import is_view
from .aliases import staleness
from .callwrites import returned_writes
from .memory import Memory, Write, callee_arguments, updated_operand

IS_VIEW = ir.Ref("is_view", is_view, (), is_view)
EVERYTHING = ir.Const(Ellipsis)


@dataclass
class RowPlan:
    instead: dict = field(default_factory=dict)  # id(update) -> the statements replacing it
    dynamic: set = field(default_factory=set)  # names both branches set
    numbers: set = field(default_factory=set)  # (id(call), parameter): a number's update


def row_updates(fn: ir.Function, memory: Memory, namer) -> RowPlan:
    probes = [w for s in ir.walk(fn.body) for w in _as_writes(s, memory)]
    plan = RowPlan()
    if not probes:
        return plan
    probe = copy.copy(memory)  # the updates as writes: is anything stale after them?
    probe.writes = memory.writes + probes
    flow = staleness(fn, probe)
    first = len(memory.writes)
    matters = {id(probe.writes[k].stmt) for _, _, ks, _ in flow.stale.values() for k in ks if k >= first}
    for stmt in {id(w.stmt): w.stmt for w in probes if id(w.stmt) in matters}.values():
        if isinstance(stmt.value, ir.BinOp):
            _update_both_ways(stmt, namer, plan)
        else:
            _call_both_ways(stmt, [w for w in probes if w.stmt is stmt], memory, namer, plan)
    return plan


def _as_writes(stmt, memory: Memory) -> list:
    """The entry updates a statement makes, as writes (for the probe)."""
    if isinstance(stmt, ir.Assign) and stmt.may_alias and isinstance(stmt.value, ir.BinOp) \
            and isinstance(stmt.target, ir.Var) and updated_operand(stmt.value) in memory.entries:
        row = updated_operand(stmt.value)
        return [Write(stmt, row, frozenset({row, stmt.target}), f"{stmt.may_alias} op= ...", kind="op")]
    if not isinstance(stmt, (ir.Assign, ir.ExprStmt)) or not isinstance(stmt.value, ir.Call):
        return []
    effects = memory.effects_of(stmt.value.func.value)
    arguments = callee_arguments(stmt.value)
    return [Write(stmt, arguments[name], frozenset(), f"a call updating {name}", by_call=True,
                  kind="call", param=name, by_op=True)
            for name, _, by_op in (effects.written if effects else ())
            if by_op and arguments.get(name) in memory.entries and (id(stmt), name) not in memory.numbers]


def _update_both_ways(stmt: ir.Assign, namer, plan: RowPlan) -> None:
    row, origin = updated_operand(stmt.value), stmt.origin
    updated = ir.Var(namer.fresh(row.name + "_updated"), ir.Kind.TEMP)
    as_view = [ir.Assign(updated, stmt.value, origin), ir.SetItem(row, EVERYTHING, updated, origin)]
    if stmt.target != row:
        as_view.append(ir.Assign(stmt.target, row, origin))
    as_copy = [replace(stmt, may_alias="")]  # a number: rebound, nothing written
    plan.instead[id(stmt)] = _decided(row, as_view, as_copy, namer, origin)
    plan.dynamic.add(stmt.target)


def _call_both_ways(stmt, writes: list, memory: Memory, namer, plan: RowPlan) -> None:
    as_view = returned_writes(stmt, writes, memory, namer)
    if as_view is None:
        return
    as_copy = replace(stmt)  # (a statement of its own: its updates are a number's)
    plan.numbers |= {(id(as_copy), w.param) for w in writes}
    plan.instead[id(stmt)] = _decided(writes[0].var, as_view, [as_copy], namer, stmt.origin)
    plan.dynamic |= {t for s in ir.walk(as_view + [as_copy]) for t in ir.targets(s)}


def _decided(row, as_view: list, as_copy: list, namer, origin) -> list:
    flag = ir.Var(namer.fresh(row.name + "_is_view"), ir.Kind.TEMP)
    return [ir.Assign(flag, ir.Call(IS_VIEW, (row,)), origin), ir.If(flag, as_view, as_copy, origin)]
