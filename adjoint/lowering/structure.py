"""Structuring: every break, continue and return moves to the end of a path.

Input: a lowered `ir.Function` whose blocks may hold returns anywhere and break or
continue in the middle of a loop body. Output: the same function where

- there is one `return`, the last statement; other returns assign the result (`out`)
  and, inside loops, set a `returned` flag and break;
- after an `if` whose branch may leave (break, continue, return), the statements that
  follow are moved into the paths that do not leave;
- a `continue` at the end of a path is dropped (it does nothing there).

Then a loop iteration is a tree of branches with at most one jump at each leaf, so the
backward replays an iteration by replaying its recorded branch decisions:

    for i in range(n):                 for i in range(n):
        a = f(x)                           a = f(x)
        if a > 3:                  ->      if a > 3:
            break                              break
        x = g(x)                           else:
                                               x = g(x)

Statements after a branch that only sometimes leaves are copied into both paths.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..errors import NonScalarOutput


class _Exit:
    """Marker: the function returns here (its result is already assigned)."""

    origin = None
    backward = False


def structure(fn: ir.Function, namer) -> ir.Function:
    fn = _structure_jumps(fn, namer.fresh)
    snapshots = _TestSnapshots(namer, set(fn.dynamic))
    body = snapshots.block(fn.body, in_loop=False)
    return replace(fn, body=body, dynamic=frozenset(snapshots.dynamic))


class _TestSnapshots:
    """An if whose branches change what its test reads gets the decision in a
    temporary first (s4 = acc < 0.5; if s4: ...), so that the backward, which replays
    the decision after undoing the branch, sees the decision the forward made."""

    def __init__(self, namer, dynamic: set):
        self.namer = namer
        self.dynamic = dynamic

    def block(self, block: list, in_loop: bool) -> list:
        out = []
        for stmt in block:
            if isinstance(stmt, ir.If):
                stmt = replace(stmt, body=self.block(stmt.body, in_loop),
                               orelse=self.block(stmt.orelse, in_loop))
                changed = {t for s in ir.walk(stmt.body + stmt.orelse) for t in ir.targets(s)}
                if set(ir.vars_in(stmt.test)) & changed:
                    decision = ir.Var(self.namer.temp(), ir.Kind.TEMP)
                    if in_loop:
                        self.dynamic.add(decision)
                    out.append(ir.Assign(decision, stmt.test, stmt.origin))
                    stmt = replace(stmt, test=decision)
            elif isinstance(stmt, (ir.For, ir.While)):
                stmt = replace(stmt, body=self.block(stmt.body, in_loop=True))
            out.append(stmt)
        return out


def _structure_jumps(fn: ir.Function, fresh_name) -> ir.Function:
    *body, last = fn.body
    returns = [s for s in ir.walk(body) if isinstance(s, ir.Return)]
    if not returns:
        return replace(fn, body=_tail(body) + [last])
    sizes = {len(r.value.elts) if isinstance(r.value, ir.TupleExpr) else None
             for r in returns + [last]}
    if len(sizes) != 1:
        raise NonScalarOutput.at(last.origin, f"{fn.name} returns a tuple on some paths and "
                                 "not on others", "return the same kind of value everywhere")
    size = sizes.pop()
    outs = [ir.Var(fresh_name("out"), ir.Kind.TEMP) for _ in range(size or 1)]
    out = outs[0] if size is None else ir.TupleExpr(tuple(outs))
    flag = ir.Var(fresh_name("returned"), ir.Kind.TEMP)
    converter = _Returns(out, flag)
    body = converter.block(body + [last], in_loop=False)
    prelude = [ir.Assign(flag, ir.Const(False), fn.origin)] if converter.used_flag else []
    body = prelude + _tail(body)
    body = _drop_exits(body)
    dynamic = set(fn.dynamic) | set(outs) | ({flag} if converter.used_flag else set())
    return replace(fn, body=body + [ir.Return(out, last.origin)], dynamic=frozenset(dynamic))


class _Returns:
    """Turn each return into `out = value` plus a jump out of the function."""

    def __init__(self, out, flag):
        self.out = out
        self.flag = flag
        self.used_flag = False

    def block(self, stmts, in_loop: bool) -> list:
        result = []
        for stmt in stmts:
            if isinstance(stmt, ir.Return):
                if isinstance(self.out, ir.TupleExpr):  # return loss, aux
                    result += [ir.Assign(o, v, stmt.origin)
                               for o, v in zip(self.out.elts, stmt.value.elts)]
                else:
                    result.append(ir.Assign(self.out, stmt.value, stmt.origin))
                if in_loop:
                    self.used_flag = True
                    result += [ir.Assign(self.flag, ir.Const(True), stmt.origin), ir.Break(stmt.origin)]
                else:
                    result.append(_Exit())
                return result
            if isinstance(stmt, ir.If):
                result.append(replace(stmt, body=self.block(stmt.body, in_loop),
                                      orelse=self.block(stmt.orelse, in_loop)))
            elif isinstance(stmt, (ir.For, ir.While)):
                had_flag = self.used_flag
                self.used_flag = False
                result.append(replace(stmt, body=self.block(stmt.body, True)))
                if self.used_flag:  # a return inside: leave this level too
                    leave = [ir.Break(stmt.origin)] if in_loop else [_Exit()]
                    result.append(ir.If(self.flag, leave, [], stmt.origin))
                self.used_flag = self.used_flag or had_flag
            else:
                result.append(stmt)
        return result


def _tail(stmts: list) -> list:
    """Move what follows a possibly-leaving branch into the paths that stay."""
    result = []
    for index, stmt in enumerate(stmts):
        if isinstance(stmt, (ir.Break, ir.Continue, _Exit)):
            result.append(stmt)
            return result  # anything after a jump never runs
        if isinstance(stmt, ir.If):
            body, orelse = _tail(stmt.body), _tail(stmt.orelse)
            rest = stmts[index + 1:]
            if rest and (_may_leave(body) or _may_leave(orelse)):
                body = body if _always_leaves(body) else _tail(body + rest)
                orelse = orelse if _always_leaves(orelse) else _tail(orelse + rest)
                result.append(replace(stmt, body=body, orelse=orelse))
                return result
            result.append(replace(stmt, body=body, orelse=orelse))
        elif isinstance(stmt, (ir.For, ir.While)):
            result.append(replace(stmt, body=_drop_trailing_continue(_tail(stmt.body))))
        else:
            result.append(stmt)
    return result


def _may_leave(block: list) -> bool:
    for stmt in block:
        if isinstance(stmt, (ir.Break, ir.Continue, _Exit)):
            return True
        if isinstance(stmt, ir.If) and (_may_leave(stmt.body) or _may_leave(stmt.orelse)):
            return True
    return False


def _always_leaves(block: list) -> bool:
    if not block:
        return False
    last = block[-1]
    if isinstance(last, (ir.Break, ir.Continue, _Exit)):
        return True
    return isinstance(last, ir.If) and _always_leaves(last.body) and _always_leaves(last.orelse)


def _drop_trailing_continue(block: list) -> list:
    """A continue at the end of an iteration's path does nothing."""
    if not block:
        return block
    last = block[-1]
    if isinstance(last, ir.Continue):
        return block[:-1]
    if isinstance(last, ir.If):
        return block[:-1] + [replace(last, body=_drop_trailing_continue(last.body),
                                     orelse=_drop_trailing_continue(last.orelse))]
    return block


def _drop_exits(block: list) -> list:
    """At the top level a leaf 'return' just falls through to the final return."""
    result = []
    for stmt in block:
        if isinstance(stmt, _Exit):
            continue
        if isinstance(stmt, ir.If):
            stmt = replace(stmt, body=_drop_exits(stmt.body), orelse=_drop_exits(stmt.orelse))
        result.append(stmt)
    return result
