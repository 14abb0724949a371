"""Passes over the differentiated function: each makes the code shorter, never different.

- `fold_zero_starts`: a gradient set to zero and then only added to gets the addition
  directly:   grad_h = zero_grad(h); ...; grad_h = grad_h + e   ->   grad_h = e
- `propagate_copies`: a gradient that is a plain copy of another is replaced by it,
      grad_s2 = grad_s3; grad_w1 = grad_s2 * x1   ->   grad_w1 = grad_s3 * x1
  except for the gradients the function returns (grad_w2 = grad_s3 stays, named).
- `remove_dead_code`: drops assignments nothing reads (liveness through branches and
  loops), as long as computing them has no effect (calls without a rule or a nondiff
  declaration are kept: they may print). A tape pop nothing reads goes together with
  the push it undoes.

The pipeline is the explicit list `OPTIMIZATIONS`; `--no-optimize` skips it all.
"""
from __future__ import annotations

import dataclasses
import operator

from .. import ir
from ..rules.registry import is_impure, is_nondiff, lookup
from ..runtime.core import zero_grad
from .shape_tapes import tape_shapes_only


# zero starts ----------------------------------------------------------------------
def fold_zero_starts(fn: ir.Function) -> ir.Function:
    return dataclasses.replace(fn, body=_fold_block(fn.body))


def _fold_block(block: list) -> list:
    block = [ir.map_blocks(s, lambda b, _: _fold_block(b)) for s in block]
    out = list(block)
    for i, stmt in enumerate(block):
        if not (_is_zero_start(stmt) and out[i] is stmt):
            continue
        g = stmt.target
        for j in range(i + 1, len(out)):
            later = out[j]
            if later is None:
                continue
            if isinstance(later, ir.Assign) and later.target == g and isinstance(later.value, ir.BinOp) \
                    and later.value.op is operator.add and later.value.left == g \
                    and g not in ir.vars_in(later.value.right):
                out[j] = dataclasses.replace(later, value=later.value.right)
                out[i] = None
                break
            if g in _touched(later):
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


def _touched(stmt) -> set:
    """Every variable a statement reads or writes, nested blocks included."""
    out = set()
    for s in ir.walk([stmt]):
        out.update(ir.reads(s))
        out.update(ir.targets(s))
    return out


# copies ---------------------------------------------------------------------------
def propagate_copies(fn: ir.Function) -> ir.Function:
    returned = set(ir.vars_in(fn.body[-1].value))
    order = list(ir.walk(fn.body))
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
        out.append(_substitute_stmt(stmt, mapping))
    return out


def _substitute_stmt(stmt, mapping):
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


# local copies --------------------------------------------------------------------
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
            inside = _assigned_in(stmt)  # the back edge: nothing assigned in the loop holds
            for var in list(copies):
                if var in inside or copies[var] in inside:
                    del copies[var]
        if not isinstance(stmt, ir.Return):  # returned gradients keep their own names
            stmt = _substitute_stmt(stmt, copies)
        stmt = ir.map_blocks(stmt, lambda block, _: _local_block(block, copies))
        if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Var) and stmt.value == stmt.target:
            continue  # a = a
        changed = _assigned_in(stmt)
        for var in list(copies):
            if var in changed or copies[var] in changed:
                del copies[var]
        if isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var) \
                and isinstance(stmt.value, ir.Var) and stmt.target.kind in (ir.Kind.GRAD, ir.Kind.LOCAL):
            copies[stmt.target] = stmt.value
        out.append(stmt)
    return out


def _assigned_in(stmt) -> set:
    return {t for s in ir.walk([stmt]) for t in ir.targets(s)}


# inlining in loops --------------------------------------------------------------
def inline_in_loops(fn: ir.Function) -> ir.Function:
    """Inside loop bodies, where every line costs each iteration, a gradient of a
    compiler temporary that is read once, later in the same block, is written into
    that reader:  grad_s0 = grad_s1 * 0.01; grad_x = grad_x + grad_s0 * math.cos(x)
               -> grad_x = grad_x + grad_s1 * 0.01 * math.cos(x)
    Outside loops the backward keeps one line per operation, as in the lecture."""
    counts: dict = {}
    for stmt in ir.walk(fn.body):
        for var in ir.reads(stmt):
            counts[var] = counts.get(var, 0) + 1
        for var in ir.targets(stmt):
            counts[("def", var)] = counts.get(("def", var), 0) + 1
    returned = set(ir.vars_in(fn.body[-1].value))
    return dataclasses.replace(fn, body=_inline_blocks(fn.body, counts, returned, in_loop=False))


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
            if var in _touched(later) or operands & _assigned_in(later):
                break
    return [s for s in out if s is not None]


def _inlinable(stmt, counts, returned) -> bool:
    if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)):
        return False
    var = stmt.target
    return var.kind is ir.Kind.GRAD and var.of is ir.Kind.TEMP and var not in returned \
        and counts.get(var, 0) == 1 and counts.get(("def", var), 0) == 1 \
        and not isinstance(stmt.value, (ir.Const, ir.Var))


# dead code ------------------------------------------------------------------------
def remove_dead_code(fn: ir.Function) -> ir.Function:
    body = fn.body
    for _ in range(10):
        dead_sites: set = set()
        new_body, _ = _Liveness(dead_sites).block(body, set(), None, None)
        if dead_sites:
            new_body = _drop_pushes(new_body, dead_sites)
        if new_body == body:
            break
        body = new_body
    return dataclasses.replace(fn, body=body)


class _Liveness:
    """Backward liveness over structured code; drops statements whose results are dead."""

    def __init__(self, dead_sites: set):
        self.dead_sites = dead_sites
        self.recording = True  # off while a loop's live set is still being found

    def block(self, block: list, live_out: set, exit_live, head_live):
        live = set(live_out)
        kept = []
        for stmt in reversed(block):
            stmt, live = self.statement(stmt, live, exit_live, head_live)
            if stmt is not None:
                kept.append(stmt)
        return list(reversed(kept)), live

    def statement(self, stmt, live: set, exit_live, head_live):
        if isinstance(stmt, ir.Break):
            return stmt, set(exit_live or ())
        if isinstance(stmt, ir.Continue):
            return stmt, set(head_live or ())
        if isinstance(stmt, ir.If):
            body, live_body = self.block(stmt.body, live, exit_live, head_live)
            orelse, live_else = self.block(stmt.orelse, live, exit_live, head_live)
            if not body and not orelse:
                return None, live
            return dataclasses.replace(stmt, body=body, orelse=orelse), \
                live_body | live_else | set(ir.reads(stmt))
        if isinstance(stmt, (ir.For, ir.While)):
            header = set(ir.reads(stmt))
            head = live | header
            recording, self.recording = self.recording, False
            for _ in range(50):
                body, body_live = self.block(stmt.body, head, live, head)
                new_head = live | header | body_live
                if new_head == head:
                    break
                head = new_head
            self.recording = recording
            body, body_live = self.block(stmt.body, head, live, head)
            return dataclasses.replace(stmt, body=body), head - set(ir.targets(stmt)) | header
        defines = set(ir.targets(stmt))
        if isinstance(stmt, ir.Pop) and stmt.target not in live:
            if self.recording:
                self.dead_sites.add(stmt.site)
            return None, live
        if isinstance(stmt, ir.Assign) and not (defines & live) and _pure(stmt.value):
            return None, live
        return stmt, (live - defines) | set(ir.reads(stmt))


def _drop_pushes(block: list, sites: set) -> list:
    out = []
    for stmt in block:
        if isinstance(stmt, ir.Push) and stmt.site in sites:
            continue
        out.append(ir.map_blocks(stmt, lambda b, _: _drop_pushes(b, sites)))
    return out


def _pure(expr) -> bool:
    if isinstance(expr, ir.Call):
        func = expr.func.value
        if is_impure(func):  # a random draw runs as written, used or not
            return False
        if lookup(func) is None and not is_nondiff(func) and not _side_effect_free(func):
            return False
    return all(_pure(c) for c in ir.children(expr))


def _side_effect_free(func) -> bool:
    """numpy, math and adjoint's own helpers have no side effects worth keeping (unlike
    random draws or print, whose calls stay even when their result is unused)."""
    module = getattr(func, "__module__", "") or ""
    return module.split(".")[0] in ("numpy", "math", "adjoint", "builtins") \
        and getattr(func, "__name__", "") not in ("print", "input", "exec", "eval", "setattr")




OPTIMIZATIONS = [fold_zero_starts, propagate_copies, propagate_local_copies, remove_dead_code,
                 inline_in_loops]


def optimize(fn: ir.Function) -> ir.Function:
    """Run the passes until the code stops changing (dead code can unblock a copy); then
    keep only shapes on tapes the backward reads only for shapes."""
    for _ in range(4):
        before = fn.body
        for optimization in OPTIMIZATIONS:
            fn = optimization(fn)
        if fn.body == before:
            break
    return remove_dead_code(tape_shapes_only(fn))
