"""Reads after writes made right, before aliases.py refuses what is left.

aliases.py finds every name made before a write into its memory and read after it. Where
adjoint can prove what numpy does there, the function is rewritten so that the names
follow the write, and only the rest is refused:

- `x op= v` where x may be a number: a number is rebound, nothing is written. The update
  is compiled for a number, with a check (runtime.writes.number_updated) that refuses an
  array at run time. A helper that only updates its parameter by op= gets the same check
  on the argument at the call.
- `x op= v` on an array (made by numpy, arithmetic on one, a view of one): numpy writes
  into x. It becomes the write `x[...] = x op v` (checked to be an array at run time),
  which the rest of this module and the reverse sweep follow like any other.
- a view read after a write into its base, `v = x[1:]; x[0] = y; use(v)`: the view sees
  the write. The read is given the view made again at that point, `v_now = x[1:]`, which
  reads what numpy's v reads and whose gradient flows to x as it is after the write. The
  same for aliases (`t = x`: the read uses x), transposes and list or tuple displays
  (`c = [a, x]`), when the names the view was made from still hold what they held
  (no assignment to them on any path since: the "moved" facts of aliases.py).
- a write into a view of a name read after, `row = A[i]; row[0] = v; use(A)`: the write
  is followed by the write-back `A[i] = row` (as for `A[i][0] = v`; `A = At.T` for a
  transpose), which changes no memory but tells A's gradient that A[i] is row. A write
  into a view made before another write into its memory goes into the view made again.
- a helper writing into an array argument, `h(u)`: the caller makes the write
  (callwrites.py); one updating it by op= is decided when it runs (a number is rebound).
- `row = A[i]; row += v`, where A is read after: decided when it runs (rows.py).
- a view made in both branches of an if is made again by the same decision.

Each rewrite reads only values the program holds at that point, and the dataflow is run
again on the result, so a rewrite that left a stale read behind is refused like any other.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..runtime.containers import iterated
from ..runtime.writes import array_updated, is_view, number_updated
from ..runtime.written_calls import passes_numbers
from .aliases import staleness
from .callwrites import returned_writes, rewritable_writes
from .rows import row_updates
from .memory import Memory, is_basic_index_expr

ROUNDS = 12
NUMBER_UPDATED = ir.Ref("number_updated", number_updated, (), number_updated)
ARRAY_UPDATED = ir.Ref("array_updated", array_updated, (), array_updated)
IS_VIEW = ir.Ref("is_view", is_view, (), is_view)
PASSES_NUMBERS = ir.Ref("passes_numbers", passes_numbers, (), passes_numbers)
EVERYTHING = ir.Const(Ellipsis)


def resolve_in_place(fn: ir.Function, classes: dict, namer, effects_of=None,
                     scalar_params=frozenset()):
    """-> (fn rewritten, the (id(call), parameter) pairs checked to be numbers, the Memory
    of the fn returned under `classes` with those numbers, or None where none was built).

    Rows updated by op= are compiled both ways (rows.py) only where that leaves nothing
    refused: else they stay a number's update, which the run checks."""
    given = fn
    for rows in (True, False):
        fn, numbers, used_rows, memory = _rounds(given, classes, namer, effects_of, scalar_params, rows)
        if not used_rows:
            break
        memory = Memory(fn, classes, effects_of, scalar_params, numbers)
        if not staleness(fn, memory).problems:
            break
    return fn, numbers, memory


def _rounds(fn, classes, namer, effects_of, scalar_params, rows: bool):
    """-> (fn, numbers, used_rows, the Memory of that fn with those numbers or None).
    (Nothing here changes a Memory once built: plans and rows.py only read it.)"""
    numbers: set = set()
    used_rows = False
    memory = None
    for _ in range(ROUNDS):
        memory = Memory(fn, classes, effects_of, scalar_params, frozenset(numbers))
        plan = _Plan(fn, memory, namer)
        planned_rows = rows and plan.make_rows()
        if not planned_rows and (not memory.writes or not plan.make(staleness(fn, memory))):
            break
        used_rows |= planned_rows
        fn = plan.apply(fn)
        numbers |= plan.numbers
    numbers = frozenset(numbers)
    described = memory is not None and memory.fn is fn and memory.numbers == numbers
    return fn, numbers, used_rows, memory if described else None


def _text(stmt) -> str:
    return f"{stmt.origin}: {stmt.origin.text.strip()}" if stmt.origin else ""


class _Plan:
    """The rewrites of one round, by statement."""

    def __init__(self, fn, memory: Memory, namer):
        self.fn, self.memory, self.namer = fn, memory, namer
        self.before: dict = {}  # id(stmt) -> statements to put before it
        self.after: dict = {}  # id(stmt) -> statements to put after it
        self.instead: dict = {}  # id(stmt) -> the statements replacing it
        self.renamed: dict = {}  # id(stmt) -> {var: expression it reads instead}
        self.numbers: set = set()
        self.made: list = []  # (var, id(stmt) it is made before or after)
        self.dynamic: set = set()  # assigned in two branches

    def make_rows(self) -> bool:
        """`row = A[i]; row += v` where a name sharing A is read after (rows.py)."""
        rows = row_updates(self.fn, self.memory, self.namer)
        self.instead.update(rows.instead)
        self.dynamic |= rows.dynamic
        self.numbers |= rows.numbers
        return bool(self.instead)

    def make(self, flow) -> bool:
        """Plan this round's rewrites: writes made into other writes first (number
        checks, which remove writes; array updates; helpers' writes made the caller's: each
        its own statements), then, when none is left, write-backs and views made again."""
        stale = list(flow.stale.values())
        for stmt, var, ks, state in stale:
            self.plan_numbers(flow, stmt, var, sorted(ks), state)
            self.plan_arrays(flow, stmt, var, sorted(ks), state)
        self.plan_calls()
        if not (self.before or self.instead):
            for stmt, var, ks, state in stale:
                self.plan_views(flow, stmt, var, sorted(ks), state)
        return bool(self.before or self.after or self.instead or self.renamed)

    # x op= v on a number, or on an array ------------------------------------------------
    def plan_numbers(self, flow, stmt, var, ks, state) -> None:
        for k in ks:
            write = self.memory.writes[k]
            if write.kind == "op" and write.var not in self.memory.arrays:
                check = ir.ExprStmt(ir.Call(NUMBER_UPDATED, (write.var, ir.Const(_text(write.stmt)))),
                                    write.stmt.origin)
                self.before[id(write.stmt)] = [check]
                self.instead[id(write.stmt)] = [replace(write.stmt, may_alias="")]
            elif write.kind == "call" and write.by_op:  # (numpy's scalars pass for arrays)
                if id(write.stmt) in self.instead or self.number_or_array(write.stmt) \
                        or write.var in self.memory.arrays:
                    continue
                text = f"{_text(write.stmt)} ({write.what})"
                check = ir.ExprStmt(ir.Call(NUMBER_UPDATED, (write.var, ir.Const(text))), write.stmt.origin)
                self.before.setdefault(id(write.stmt), []).append(check)
                self.numbers.add((id(write.stmt), write.param))

    def number_or_array(self, stmt) -> bool:
        """h(p) where h updates p by op= and p may be a number (rebound: nothing is
        written) or an array (written into): decided when it runs, `if passes_numbers(p):
        h(p) else: <the caller makes the write> (callwrites.py)`."""
        writes = [w for w in self.memory.writes if w.stmt is stmt and w.kind == "call"]
        as_array = returned_writes(stmt, writes, self.memory, self.namer)
        maybe = [w for w in writes if w.by_op]
        if as_array is None or not maybe:
            return False
        as_number = replace(stmt)  # (a statement of its own: the writes it makes are numbers')
        self.numbers |= {(id(as_number), w.param) for w in maybe}
        flag = ir.Var(self.namer.fresh("numbers_passed"), ir.Kind.TEMP)
        test = ir.Assign(flag, ir.Call(PASSES_NUMBERS, tuple(w.var for w in maybe)), stmt.origin)
        self.instead[id(stmt)] = [test, ir.If(flag, [as_number], as_array, stmt.origin)]
        self.dynamic |= {t for s in ir.walk([as_number] + as_array) for t in ir.targets(s)}
        return True

    def plan_arrays(self, flow, stmt, var, ks, state) -> None:
        for k in ks:
            write = self.memory.writes[k]
            if write.kind != "op" or id(write.stmt) in self.instead:
                continue
            old, new = write.var, write.stmt.target
            value = ir.Var(self.namer.fresh(old.name + "_updated"), ir.Kind.TEMP)
            origin = write.stmt.origin
            out = [ir.ExprStmt(ir.Call(ARRAY_UPDATED, (old, ir.Const(_text(write.stmt)))), origin),
                   ir.Assign(value, write.stmt.value, origin),
                   ir.SetItem(old, EVERYTHING, value, origin)]
            if new != old:
                out.append(ir.Assign(new, old, origin))
            self.instead[id(write.stmt)] = out
            self.made.append((value, id(write.stmt)))

    def plan_calls(self) -> None:
        """Every call of a helper writing into an array argument by x[i] = v: the caller
        makes the write (callwrites.py)."""
        for key, found in rewritable_writes(self.memory).items():
            replacement = returned_writes(found[0].stmt, found, self.memory, self.namer)
            if replacement is not None:
                self.instead[key] = replacement

    # views ----------------------------------------------------------------------------
    def plan_views(self, flow, stmt, var, ks, state) -> None:
        writes = [self.memory.writes[k] for k in ks]
        if any(w.kind != "set" for w in writes):
            return  # only a write the generated code makes too can be followed
        rest = []
        for write in writes:
            chain = self.write_backs(flow, write, var)
            if chain is None and self.stale_at_write(flow, write):
                # a write into a view made before another write into its memory: write
                # into the view made again there (then its write-back can follow)
                before = flow.before_write.get(id(write.stmt), frozenset())
                self.view_again(flow, write.stmt, write.var, before, written=isinstance(write.stmt, ir.SetItem))
            elif chain is None:
                rest.append(write)
            elif id(write.stmt) not in self.after:
                self.after[id(write.stmt)] = chain
        if rest:
            self.view_again(flow, stmt, var, state)

    def write_backs(self, flow, write, base):
        """[b[i] = w, ...] up from the written w to `base`, when w was made as base[i]
        (or a view of a view of it) and none of what made it changed since."""
        state = flow.before_write.get(id(write.stmt), frozenset())
        current, chain = write.var, []
        if self.stale_at_write(flow, write):
            return None
        origin = write.stmt.origin
        for _ in range(8):
            made = self.made_from(flow, current, state)
            if isinstance(made, ir.Var) and current not in self.memory.entries:  # an alias
                made = ir.Subscript(made, EVERYTHING)
            if isinstance(made, ir.Attr) and made.name == "T" and isinstance(made.value, ir.Var):
                back = ir.Var(self.namer.fresh(current.name + "_T"), ir.Kind.TEMP)  # w = b.T: b is w.T
                chain.append(ir.Assign(back, ir.Attr(current, "T"), origin))
                current, made = back, ir.Subscript(made.value, EVERYTHING)
            if not isinstance(made, ir.Subscript) or not isinstance(made.value, ir.Var) \
                    or not is_basic_index_expr(made.index, self.memory.integers):
                return None
            chain.append(ir.SetItem(made.value, made.index, current, origin, writeback=True))
            if made.value == base:
                return chain
            current = made.value
        return None

    def stale_at_write(self, flow, write) -> bool:
        """The written view was made before another write into its memory."""
        state = flow.before_write.get(id(write.stmt), frozenset())
        return any(f[0] == write.var and isinstance(f[1], int) for f in state)

    def made_from(self, flow, var, state):
        """The expression var was assigned from, when one assignment reaches here and
        nothing it read was assigned since; else None."""
        reaching = {f[1][1] for f in state if f[0] == var and isinstance(f[1], tuple)}
        if len(reaching) != 1 or (var, "moved") in state:
            return None
        stmt = flow.defs.get(next(iter(reaching)))
        if not (isinstance(stmt, ir.Assign) and stmt.target == var and not stmt.may_alias):
            return None
        return stmt.value

    def view_again(self, flow, stmt, var, state, written=False) -> None:
        """`written`: var is the array stmt writes into, which numpy writes only if it is a
        view (a number, a copy of an entry, cannot be written into): made again as one."""
        if not isinstance(stmt, (ir.Assign, ir.SetItem, ir.ExprStmt, ir.Return, ir.If)):
            return  # (a loop's test is read again each time around: refused)
        value = self.made_from(flow, var, state)
        if isinstance(value, ir.Var) and var not in self.memory.entries:
            again = value
        elif self.remakeable(flow, var, value, stmt):
            again = ir.Var(self.namer.fresh(var.name + "_now"), ir.Kind.TEMP)
            made = [ir.Assign(again, value, stmt.origin)] if written else \
                self.made_again(var, again, value, stmt.origin)
            self.before.setdefault(id(stmt), []).extend(made)
            self.made.append((again, id(stmt)))
        elif value is None and var not in self.memory.entries and self.branch_views(flow, var, state):
            again = ir.Var(self.namer.fresh(var.name + "_now"), ir.Kind.TEMP)
            self.before.setdefault(id(stmt), []).append(self.branch_views(flow, var, state, again))
            self.dynamic.add(again)
            self.made.append((again, id(stmt)))
        else:
            return
        self.renamed.setdefault(id(stmt), {})[var] = again

    def branch_views(self, flow, var, state, again=None):
        """`if c: v = x[1:] else: v = x[:-1]`, v read after a write into x: the same
        decision made again, `if c: v_now = x[1:] else: v_now = x[:-1]` (c is assigned
        once, outside loops, so it still holds the decision). None where it is not that."""
        reaching = {f[1][1] for f in state if f[0] == var and isinstance(f[1], tuple)}
        if len(reaching) != 2 or (var, "moved") in state:
            return None
        for branch in (s for s in ir.walk(self.fn.body) if isinstance(s, ir.If)):
            then = [s for s in branch.body if id(s) in reaching]
            other = [s for s in branch.orelse if id(s) in reaching]
            if len(then) == 1 and len(other) == 1 and self.decided_once(branch.test) \
                    and all(isinstance(d, ir.Assign) and d.target == var and not d.may_alias
                            and self.remakeable(flow, var, d.value) for d in then + other):
                if again is None:
                    return True
                return ir.If(branch.test, [ir.Assign(again, then[0].value, branch.origin)],
                             [ir.Assign(again, other[0].value, branch.origin)], branch.origin)
        return None

    def decided_once(self, test) -> bool:
        """The test reads only names assigned at most once, outside loops."""
        if not isinstance(test, (ir.Const, ir.Var, ir.Compare)):
            return False
        names = set(ir.vars_in(test))
        assigned = [t for s in ir.walk(self.fn.body) for t in ir.targets(s) if t in names]
        written = any(self.memory.of(v) & self.memory.owned(w.var) for v in names for w in self.memory.writes)
        return len(assigned) == len(set(assigned)) and not names & self.fn.dynamic and not written

    def made_again(self, var, again, value, origin) -> list:
        """again = value; for x[i] with integer indices, only when it is a view (a row):
        an entry is a copy, which keeps the value it had (decided at run time)."""
        if var not in self.memory.entries:
            return [ir.Assign(again, value, origin)]
        flag = ir.Var(self.namer.fresh(var.name + "_is_view"), ir.Kind.TEMP)
        self.dynamic.add(again)
        self.made.append((flag, None))
        copy, test = ir.Assign(again, var, origin), ir.Assign(flag, ir.Call(IS_VIEW, (var,)), origin)
        self.numbers |= {(id(copy), None), (id(test), None)}  # (its type, or a copy: not stale)
        return [test, ir.If(flag, [ir.Assign(again, value, origin)], [copy], origin)]

    def remakeable(self, flow, var, value, reading=None) -> bool:
        """A view of a name (x[1:], x.T, the items `for` visits) or a list or tuple
        display whose list was never written into (but by the statement `reading` it,
        `xs.append(v)`, which runs after it is made again): made again, it is what var is
        now."""
        if isinstance(value, ir.Subscript):
            return isinstance(value.value, ir.Var) and is_basic_index_expr(value.index, self.memory.integers)
        if isinstance(value, ir.Attr):
            return value.name == "T" and isinstance(value.value, ir.Var)
        if isinstance(value, ir.Call):
            return value.func.value is iterated and len(value.args) == 1 and not value.kwargs
        if isinstance(value, ir.TupleExpr):
            if any(not isinstance(e, (ir.Var, ir.Const)) for e in value.elts):
                return False
            own = self.memory.owned(var)
            return not any(self.memory.owned(w.var) & own for w in self.memory.writes if w.stmt is not reading)
        return False

    # the rewrite ------------------------------------------------------------------------
    def apply(self, fn: ir.Function) -> ir.Function:
        self.loop_made: set = set()
        body = self.block(fn.body, False)
        return replace(fn, body=body, dynamic=frozenset(fn.dynamic | self.loop_made | self.dynamic))

    def block(self, block: list, in_loop: bool) -> list:
        out = []
        for stmt in block:
            key = id(stmt)
            new = [self.renamed_stmt(stmt, self.renamed.get(key, {}))]
            if key in self.instead:
                new = self.instead[key]
            new = self.before.get(key, []) + new + self.after.get(key, [])
            if in_loop:
                self.loop_made |= {v for v, where in self.made if where == key}
                self.loop_made |= {t for s in new for t in ir.targets(s) if s is not stmt}
            out += [ir.map_blocks(s, lambda b, loop: self.block(b, in_loop or loop)) for s in new]
        return out

    def renamed_stmt(self, stmt, mapping: dict):
        if not mapping:
            return stmt
        sub = lambda e: ir.substitute(e, mapping)  # noqa: E731
        if isinstance(stmt, ir.SetItem):  # (into the view made again, for a stale view)
            return replace(stmt, target=mapping.get(stmt.target, stmt.target), index=sub(stmt.index),
                           value=sub(stmt.value))
        if isinstance(stmt, ir.If):
            return replace(stmt, test=sub(stmt.test))
        return replace(stmt, value=sub(stmt.value))
