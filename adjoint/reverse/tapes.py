"""Tapes: what the forward keeps for the backward, and where.

A mixin of the reverse pass (`reverse._Reverse`). The backward is generated first, with
a pop wherever a statement overwrote a variable; then only the variables the backward
really reads keep their pops, the forward gets the matching pushes, and the function
starts with its empty lists:

    h_tape = []                        (prelude)
    h_tape.append(h); h = ...          (forward, before the overwrite)
    ...; h = h_tape.pop()              (backward, at the mirror point)

Loops that may stop early count their trips (`trips`), and an inner loop's count goes on
a tape of its own. `x[i] = v` keeps the entries it overwrites (`x_overwritten`).
"""
from __future__ import annotations

import operator
from dataclasses import replace

import numpy as np

from .. import ir
from ..runtime.containers import make_dict
from ..runtime.python import with_default
from ..runtime.writes import copied, entry_copy, overwritten_entries, written_through


class TapeBookkeeping:
    def count_trips(self, block: list, nested: bool) -> list:
        """Give each while loop, and each for loop that may break, a trip counter."""
        out = []
        for stmt in block:
            if isinstance(stmt, ir.If):
                out.append(replace(stmt, body=self.count_trips(stmt.body, nested),
                                   orelse=self.count_trips(stmt.orelse, nested)))
                continue
            if not isinstance(stmt, (ir.For, ir.While)):
                out.append(stmt)
                continue
            body = self.count_trips(stmt.body, nested=True)
            if isinstance(stmt, ir.For) and not _breaks(body):
                out.append(replace(stmt, body=body))
                continue
            trips = ir.Var(self.namer.fresh("trips"), ir.Kind.FLAG)
            step = ir.Assign(trips, ir.BinOp(operator.add, trips, ir.Const(1)), stmt.origin)
            loop = replace(stmt, body=[step] + body)
            tape = ir.Var(self.namer.fresh("trips_tape"), ir.Kind.TAPE) if nested else None
            self.counters[id(loop)] = (trips, tape)
            out += [ir.Assign(trips, ir.Const(0), stmt.origin), loop]
            if tape is not None:  # an inner loop's count differs per outer iteration
                out.append(ir.Push(tape, trips, stmt.origin))
        return out

    def slot_tape(self, array: ir.Var) -> ir.Var:
        """The list holding, for each x[i] = v, the entries it overwrote."""
        if array not in self.slot_tapes:
            self.slot_tapes[array] = ir.Var(self.namer.fresh(array.name + "_overwritten"), ir.Kind.TAPE)
        return self.slot_tapes[array]

    def may_add_key(self, stmt: ir.SetItem) -> bool:
        """Whether x[i] = v may write into a dict (a string key, or an index not known to
        be an integer): then the entry is kept as it is, or as ABSENT when the write adds
        the key, and put back by put_back (runtime/writes.py)."""
        index = stmt.index
        if isinstance(index, ir.Const) and isinstance(index.value, int):  # d[2] = v too
            if not hasattr(self, "dicts_made"):
                self.dicts_made = {s.target for s in ir.walk(self.fn.body) if isinstance(s, ir.Assign)
                                   and isinstance(s.value, ir.Call) and s.value.func.value in (make_dict, with_default)}
            return stmt.target in self.fn.params or stmt.target in self.dicts_made
        if isinstance(index, ir.Const):
            return isinstance(index.value, (str, bytes, tuple, frozenset))
        return isinstance(index, ir.Var) and index not in self.integers

    def tape(self, var: ir.Var) -> ir.Var:
        if var not in self.tapes:
            self.tapes[var] = ir.Var(self.namer.fresh(var.name + "_tape"), ir.Kind.TAPE)
        return self.tapes[var]

    def restored_vars(self, backward: list) -> set:
        """Variables whose overwritten values the backward reads: only these get tapes."""
        read = set()
        for stmt in ir.walk(backward):
            if not isinstance(stmt, ir.Pop):
                read.update(ir.reads(stmt))
        read |= {self.prev_of[v] for v in read if v in self.prev_of}
        return {v for v in self.tapes if v in read}

    def add_pushes(self, block: list, kept: set) -> list:
        out = []
        for stmt in block:
            if isinstance(stmt, ir.SetItem) and stmt.writeback:  # memory is unchanged
                out.append(ir.ExprStmt(ir.Call(WRITTEN_THROUGH_REF, (stmt.target, stmt.value, ir.Const(_text(stmt)))),
                                       stmt.origin))
                continue
            if isinstance(stmt, ir.SetItem) and stmt.target in self.slot_tapes \
                    and self.pop_sites.get((id(stmt), stmt.target)) not in self.dropped_sites:
                entries = ir.Call(OVERWRITTEN_REF, (stmt.target, stmt.index)) if self.may_add_key(stmt) \
                    else ir.Call(NP_COPY_REF, (ir.Subscript(stmt.target, stmt.index),))
                out.append(ir.Push(self.slot_tapes[stmt.target], entries, stmt.origin,
                                   site=self.pop_sites[(id(stmt), stmt.target)]))
            if isinstance(stmt, ir.Assign):
                for t in ir.targets(stmt):
                    if t in kept:
                        out.append(ir.Push(self.tapes[t], t, stmt.origin, site=self.pop_sites[(id(stmt), t)]))
                if stmt.target in self.entry_checks:  # read after a write into its array
                    out += [stmt, ir.ExprStmt(ir.Call(ENTRY_COPY_REF, (stmt.target, ir.Const(_text(stmt)))),
                                              stmt.origin)]
                    continue
            elif ir.blocks(stmt):
                stmt = ir.map_blocks(stmt, lambda block, _: self.add_pushes(block, kept))
            out.append(stmt)
        return out

    def prelude(self, forward: list, kept: set) -> list:
        """Empty tapes, and None for values that may be pushed before they are bound."""
        tapes = [t for _, t in self.counters.values() if t is not None]
        tapes += [self.tapes[v] for v in self.tapes if v in kept]
        tapes += list(self.slot_tapes.values())
        out = [ir.Assign(t, ir.TupleExpr((), is_list=True), self.fn.origin) for t in tapes]
        for param in self.copied:  # written into: the caller's value must never change
            out.insert(0, ir.Assign(param, ir.Call(COPIED_REF, (param,)), self.fn.origin))
            self.dynamic.add(param)
        top_level = set()
        for stmt in forward:
            if isinstance(stmt, ir.Assign):  # (its push, before it, reads the value it replaces)
                for v in sorted(set(ir.targets(stmt)) & (kept - top_level - set(self.fn.params)),
                                key=lambda v: v.name):
                    out.append(ir.Assign(v, ir.Const(None), self.fn.origin))
                top_level.update(ir.targets(stmt))
            elif ir.blocks(stmt):
                inside = {t for s in ir.walk([stmt]) for t in ir.targets(s)}
                for v in sorted(kept - top_level - set(self.fn.params), key=lambda v: v.name):
                    if v in inside:
                        out.append(ir.Assign(v, ir.Const(None), self.fn.origin))
                        top_level.add(v)
        return out


def without_pops(block: list, kept: set, tapes: dict) -> list:
    """Drop the pops of variables that got no tape."""
    out = []
    for stmt in block:
        if isinstance(stmt, ir.Pop) and stmt.tape in tapes and tapes[stmt.tape] not in kept:
            continue
        stmt = ir.map_blocks(stmt, lambda block, _: without_pops(block, kept, tapes))
        out.append(stmt)
    return out


def _breaks(body: list) -> bool:
    """Does a loop body break (not counting breaks of loops nested in it)?"""
    for stmt in body:
        if isinstance(stmt, ir.Break):
            return True
        if isinstance(stmt, ir.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False


NP_COPY_REF = ir.Ref("np", np, ("copy",), np.copy)
COPIED_REF = ir.Ref("copied", copied, (), copied)
WRITTEN_THROUGH_REF = ir.Ref("written_through", written_through, (), written_through)
ENTRY_COPY_REF = ir.Ref("entry_copy", entry_copy, (), entry_copy)
OVERWRITTEN_REF = ir.Ref("overwritten_entries", overwritten_entries, (), overwritten_entries)


def _text(stmt) -> str:
    """The user's line, for a check that fails at run time."""
    return f"{stmt.origin}: {stmt.origin.text.strip()}" if stmt.origin else ""
