"""A pass: drop assignments nothing reads (liveness through branches and loops).

    s1 = x * 2.0                       (s1 is read by nothing below)
    t_tape.append(t)                   (gone with the pop that undoes it)
    ...                          ->    ...
    t = t_tape.pop()                   (t is read by nothing below)
    grad_y = grad_out * x              grad_y = grad_out * x

An assignment goes only when computing it has no effect: calls without a rule or a
nondiff declaration are kept (they may print); numpy, math and adjoint's helpers are
free of effects. A tape pop nothing reads goes together with the push it undoes.
"""
from __future__ import annotations

import dataclasses

from .. import ir
from ..rules.registry import is_impure, is_nondiff, lookup


def remove_dead_code(fn: ir.Function) -> ir.Function:
    body = fn.body
    for _ in range(10):
        dead_sites: set = set()
        new_body = _Liveness.kept(body, dead_sites)
        if not dead_sites:  # what is kept keeps all of itself (see _Liveness): done
            return dataclasses.replace(fn, body=body if new_body == body else new_body)
        new_body = _drop_pushes(new_body, dead_sites)
        if new_body == body:
            break
        body = new_body
    return dataclasses.replace(fn, body=body)


class _Liveness:
    """Backward liveness over structured code; drops statements whose results are dead.

    A loop's live set at its head is a fixed point (what the body reads flows around the
    back edge). Solving it per loop, inside the solving of each enclosing loop, costs
    passes^depth; instead the heads are kept per loop across passes over the whole
    function and only grow, until a pass changes none (one pass for code without loops,
    about depth + 2 with them). Live sets are updated in place: copying them at every
    statement made long functions quadratic.

    Whether a statement is kept, and what is live before it, only grow with what is live
    after it, and the passes start from nothing: every live set stays below the final
    one, so a statement dropped by the final pass was dropped by every pass. Run again on
    what it kept, the passes therefore compute the same live sets and keep everything
    (but a pop whose push went too, which can unblock more): remove_dead_code stops after
    one run when no push went."""

    def __init__(self, heads: dict, reads: dict):
        self.heads = heads  # id(loop) -> live at the loop's head, grown across passes
        self.reads = reads  # id(statement) -> (it, what it reads itself), across passes
        self.grown = False  # did a head grow during this pass?
        self.dead_sites: set = set()

    @classmethod
    def kept(cls, body: list, dead_sites: set) -> list:
        """The statements of body that something live reads; dead pops' sites go to
        dead_sites."""
        heads: dict = {}
        reads: dict = {}
        while True:
            liveness = cls(heads, reads)
            kept = liveness.block(body, set(), None, None)
            if not liveness.grown:  # every head was already its fixed point: final
                dead_sites |= liveness.dead_sites
                return kept

    def block(self, block: list, live: set, exit_live, head_live) -> list:
        """The kept statements of block; `live` (live after it) becomes live before it."""
        kept = []
        for stmt in reversed(block):
            stmt = self.statement(stmt, live, exit_live, head_live)
            if stmt is not None:
                kept.append(stmt)
        kept.reverse()
        return kept

    def statement(self, stmt, live: set, exit_live, head_live):
        if type(stmt) is ir.Assign and type(stmt.target) is ir.Var:  # (the commonest: as below)
            if stmt.target not in live and _pure(stmt.value):
                return None
            live.discard(stmt.target)
            live.update(self.reads_of(stmt))
            return stmt
        if isinstance(stmt, (ir.Break, ir.Continue)):
            live.clear()
            live.update((exit_live if isinstance(stmt, ir.Break) else head_live) or ())
            return stmt
        if isinstance(stmt, ir.If):
            live_else = set(live)
            orelse = self.block(stmt.orelse, live_else, exit_live, head_live)
            before = set(live)
            body = self.block(stmt.body, live, exit_live, head_live)
            if not body and not orelse:
                live.clear()
                live.update(before)
                return None
            live |= live_else
            live.update(ir.reads(stmt))
            return dataclasses.replace(stmt, body=body, orelse=orelse)
        if isinstance(stmt, (ir.For, ir.While)):
            return self.loop(stmt, live)
        defines = ir.targets(stmt)
        if isinstance(stmt, ir.Pop) and stmt.target not in live:
            self.dead_sites.add(stmt.site)
            return None
        if isinstance(stmt, ir.Assign) and not any(t in live for t in defines) and _pure(stmt.value):
            return None
        live.difference_update(defines)
        live.update(self.reads_of(stmt))
        return stmt

    def reads_of(self, stmt) -> tuple:
        found = self.reads.get(id(stmt))
        if found is None or found[0] is not stmt:
            found = self.reads[id(stmt)] = (stmt, tuple(ir.reads(stmt)))
        return found[1]

    def loop(self, loop, live: set):
        header = set(ir.reads(loop))
        head = self.heads.setdefault(id(loop), set())
        head_in = head | live | header
        body_live = set(head_in)
        body = self.block(loop.body, body_live, set(live), head_in)
        body_live |= live
        body_live |= header
        if not body_live <= head:
            head |= body_live
            self.grown = True
        live.clear()
        live |= head
        if not (isinstance(loop, ir.For) and loop.over is not None):
            # (a walk over a tape that may be empty leaves its variable as it was: live on)
            live.difference_update(ir.targets(loop))
        live |= header
        return dataclasses.replace(loop, body=body)


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
