"""In-place writes and the names that share their memory.

adjoint writes in place as numpy does (`x[i] = v`, `u[1:-1] = u[1:-1] + ...`) and the
backward puts back what each write overwrote, in reverse order, so at the mirror point of
every forward line the arrays hold what they held there: every view reads what it read
in the forward. Gradients are tracked per name, so one case is left that the names do not
see: a value sharing memory with an array (a view `r = M[0]`, an alias `y = x`, a list
holding it), made *before* a write into that memory and read *after* it. Its forward
value is numpy's (it sees the write), but its gradient would flow to the entries it saw
when it was made. Exactly those reads are refused, naming both lines; everything else
(stencils whose right side reads the array being written, shifts, reversals, op= on
arrays of any provenance, writes in branches and loops) is differentiated.

The reads are found by a forward dataflow over the structured IR (memory.py says which
values share memory): a fact (v, w) says "v was made before write w and w changed its
memory"; a write adds facts for every name sharing its memory but those it updates
itself, redefining v removes v's facts, and a read of v while a fact holds is refused.
Branches join (union); a loop is iterated to its fixed point, so a view made in one
iteration and read in the next after a write is found, and one made afresh every
iteration is not.
"""
from __future__ import annotations

from .. import ir
from ..errors import Problem, UnsupportedSyntax
from .calls import differentiable_through
from .memory import SHAPE_ATTRIBUTES, SHAPE_FUNCTIONS, Memory


def check_in_place(fn: ir.Function, classes: dict, effects_of=None, checked=None,
                   scalar_params=frozenset(), numbers=frozenset(), built=None) -> Memory:
    memory = memory_of(fn, classes, effects_of, scalar_params, numbers, built)
    for problem in stale_reads(fn, memory, checked):
        raise UnsupportedSyntax(problem.render(), (problem,))  # the first one
    return memory


def in_place_problems(fn: ir.Function, classes: dict, effects_of=None, scalar_params=frozenset(),
                      numbers=frozenset()) -> list:
    """Every refused read after a write (`adjoint.check` lists them all)."""
    return stale_reads(fn, Memory(fn, classes, effects_of, scalar_params, numbers))


def memory_of(fn: ir.Function, classes: dict, effects_of, scalar_params, numbers,
              built: Memory | None = None) -> Memory:
    """`built` (refresh.py's, for the same function) where it was made from these very
    inputs, else a new Memory: nothing changes a Memory once built (refresh.py and rows.py
    only read it), and the caller has not changed `classes` since (building one took a
    tenth of compiling long straight-line code)."""
    if built is not None and built.fn is fn and built.classes is classes \
            and built.effects_of is effects_of and built.numbers == numbers \
            and built.scalar_params == frozenset(scalar_params):
        return built
    return Memory(fn, classes, effects_of, scalar_params, numbers)


def written_params(fn: ir.Function, memory: Memory) -> list:
    """Parameters (or what they hold) that x[i] = v writes into: copied at entry, so the
    caller's arrays never change."""
    roots = set()
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.SetItem) and not stmt.writeback:
            roots |= memory.owned(stmt.target)
    return [p for p in fn.params if ("param", p.name) in roots]


def check_callee_writes(memory: Memory, useful: set) -> None:
    """A user function that writes into its argument is compiled into a forward that
    copies that argument first; called without being differentiated through, it runs as
    written, and nothing would undo its write in the backward: refused."""
    for write in memory.writes:
        stmt = write.stmt
        if write.by_call and not (differentiable_through(stmt.value)
                                  and any(t in useful for t in ir.targets(stmt))) \
                and not _unseen_by_the_backward(memory, write, useful):
            raise UnsupportedSyntax.at(
                stmt.origin, f"{write.what}, and adjoint does not differentiate through this "
                "call (its result is not used in what is differentiated), so nothing would undo "
                "that write in the backward", "make the function return the new array and "
                "assign it (a = f(a, ...)) instead of writing into its argument")


def _unseen_by_the_backward(memory: Memory, write, useful: set) -> bool:
    """The memory written is new (not a parameter's) and no statement the backward
    differentiates reads a name sharing it (`if h(x * 2.0) > 0:`): the backward reads no
    value the write changed, and the forward is numpy's."""
    roots = memory.owned(write.var)
    if not roots or any(root[0] == "param" for root in roots):
        return False
    sharing = {v for v in memory.reach if memory.of(v) & roots}
    return not any(v in sharing for s in ir.walk(memory.fn.body)
                   if any(t in useful for t in ir.targets(s)) for v in ir.reads(s))


def stale_reads(fn: ir.Function, memory: Memory, checked: set | None = None) -> list:
    """The refused reads. `checked` collects the entries x[i] read after a write into x
    that are fine when they are copies (x[i] of a 1-d x), which the run checks."""
    if not memory.writes:
        return []
    flow = staleness(fn, memory)
    if checked is not None:
        checked |= flow.checked
    return list(flow.problems.values())


def staleness(fn: ir.Function, memory: Memory) -> "_Staleness":
    """The dataflow run over fn: its problems, and for each stale read and each write the
    facts that hold there (see refresh.py, which makes what it can of them right)."""
    flow = _Staleness(fn, memory)
    flow.block(fn.body, frozenset((p, ("def", "entry")) for p in fn.params))
    return flow


class _Staleness:
    def __init__(self, fn: ir.Function, memory: Memory):
        self.memory = memory
        self.writes = {id(w.stmt): [] for w in memory.writes}
        for k, w in enumerate(memory.writes):
            self.writes[id(w.stmt)].append(k)
        names = set(fn.params) | {t for s in ir.walk(fn.body) for t in ir.targets(s)}
        self.names = sorted(names, key=lambda v: v.name)
        self.defs = {id(s): s for s in ir.walk(fn.body)}
        self.affected = [sorted((v for v in names if v not in w.follows
                                 and memory.of(v) & memory.owned(w.var)), key=lambda v: v.name)
                         for w in memory.writes]
        self.made_at = {}
        for stmt in ir.walk(fn.body):
            for t in ir.targets(stmt):
                self.made_at.setdefault(t, stmt.origin)
        self.inside = {}  # s -> arrays written back into s (s[j] = t after t[k] = v)
        for stmt in ir.walk(fn.body):
            if isinstance(stmt, ir.SetItem) and stmt.writeback and isinstance(stmt.value, ir.Var):
                self.inside.setdefault(stmt.target, set()).add(stmt.value)
        for stmt in ir.walk(fn.body):  # (t_T = t.T, written back: what t_T holds is t's)
            if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Attr) and stmt.value.name == "T" \
                    and any(stmt.target in values for values in self.inside.values()):
                self.inside.setdefault(stmt.target, set()).add(stmt.value.value)
        self.operands = {id(s): frozenset(ir.vars_in(s.value)) for s in ir.walk(fn.body)
                         if isinstance(s, ir.Assign)}
        self.problems: dict = {}
        self.stale: dict = {}  # (id(stmt), var) -> [stmt, var, {write}, facts there]
        self.before_write: dict = {}  # id(write statement) -> facts holding before it
        self.breaks: list = []
        self.entries = memory.entries
        self.checked: set = set()  # entries read after a write: copies, or refused at run time

    def block(self, block: list, state: frozenset) -> frozenset:
        for stmt in block:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state: frozenset) -> frozenset:
        if isinstance(stmt, ir.If):
            self.check(stmt, state)
            return self.block(stmt.body, state) | self.block(stmt.orelse, state)
        if isinstance(stmt, (ir.For, ir.While)):
            return self.loop(stmt, state)
        if isinstance(stmt, ir.Break):
            self.breaks[-1].append(state)
            return frozenset()  # nothing falls through a break
        self.check(stmt, state)
        if id(stmt) in self.writes:
            self.before_write[id(stmt)] = self.before_write.get(id(stmt), frozenset()) | state
        for k in self.writes.get(id(stmt), ()):
            state |= {(v, k) for v in self.affected_by(k, state)}
        if isinstance(stmt, ir.SetItem) and stmt.writeback:
            through = self.written_through(stmt.value)
            state = frozenset(f for f in state if not (f[0] == stmt.target and isinstance(f[1], int)
                                                       and self.memory.writes[f[1]].var in through))
        return self.define(state, ir.targets(stmt), id(stmt))

    def define(self, state: frozenset, targets, where) -> frozenset:
        """Redefining v ends its facts; ("def", where) records which assignment reaches;
        (v, "moved"): a name v's reaching assignment read was redefined since."""
        if not targets:
            return state
        moved = {(f[0], "moved") for f in state if f[0] not in targets and isinstance(f[1], tuple)
                 and self.operands.get(f[1][1], frozenset()) & set(targets)}
        return frozenset(f for f in state if f[0] not in targets) | moved | \
            {(t, ("def", where)) for t in targets}

    def affected_by(self, k: int, state: frozenset) -> list:
        """The names write k changes. For x op= v, what x holds here: the assignments of x
        that reach this line (the caller's float, before a loop rebinds x to an array)."""
        write = self.memory.writes[k]
        if not (isinstance(write.stmt, ir.Assign) and write.stmt.may_alias):
            return self.affected[k]
        reaching = [f[1][1] for f in state if f[0] == write.var and isinstance(f[1], tuple)]
        if not reaching:
            return self.affected[k]
        roots = frozenset().union(*[self.roots_made_by(write.var, d) for d in reaching])
        return [v for v in self.names if v not in write.follows and self.memory.of(v) & roots]

    def roots_made_by(self, var, where) -> frozenset:
        if where == "entry":  # a parameter: the caller's value
            return frozenset() if var.name in self.memory.scalar_params else self.memory.owned(var)
        stmt = self.defs.get(where)
        if isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var):
            return self.memory.value_roots(stmt.value, frozenset({("new", where)}))[0]
        return self.memory.owned(var) if not isinstance(stmt, ir.For) else frozenset()

    def loop(self, loop, state: frozenset) -> frozenset:
        if isinstance(loop, ir.For):
            self.check(loop, state)
        head = state
        target = (loop.target,) if isinstance(loop, ir.For) and loop.target is not None else ()
        while True:
            if isinstance(loop, ir.While):
                self.check(loop, head)
            self.breaks.append([])
            end = self.block(loop.body, self.define(head, target, id(loop)))
            breaks = self.breaks.pop()
            if end <= head:
                break
            head = head | end
        exits = frozenset().union(*breaks) if breaks else frozenset()
        always_enters = isinstance(loop, ir.While) and isinstance(loop.test, ir.Const) and loop.test.value
        return exits if always_enters else head | exits

    def written_through(self, var) -> set:
        """var, and what was written back into it (x[i][j][k] = v: every level)."""
        found, todo = set(), [var]
        while todo:
            v = todo.pop()
            if v not in found:
                found.add(v)
                todo += list(self.inside.get(v, ()))
        return found

    def check(self, stmt, state: frozenset) -> None:
        if not state or (id(stmt), None) in self.memory.numbers:
            return
        for var in value_reads(stmt):
            for fact in state:
                if fact[0] == var and isinstance(fact[1], int):
                    self.report(stmt, var, fact[1])
                    found = self.stale.setdefault((id(stmt), var), [stmt, var, set(), frozenset()])
                    found[2].add(fact[1])
                    found[3] |= state

    def report(self, stmt, var, k: int) -> None:
        if var in self.entries:  # a copy of an entry (1-d): fine; a row view: refused when run
            self.checked.add(var)
            return
        key = (id(stmt), var, k)
        if key in self.problems:
            return
        write = self.memory.writes[k]
        made = self.made_at.get(var)
        name = f"'{user_name(var, made)}'" if var.kind in (ir.Kind.USER, ir.Kind.PARAM) else "the value"
        since = f"made at {_place(made)}" if made else "a parameter"
        fix = f"make {name} again after the write (repeat the slice, view or call there) so " \
            "it is made from the written array, or, if it should keep its old values, copy it " \
            "where it is made (np.copy(...))"
        if write.kind == "unread":
            callee = write.what.split("(")[0]
            fix = f"if {callee} changes no argument, pass it a copy ({callee}(np.copy(x), ...)); " \
                f"else have it return the array it changes, and assign what it returns"
        elif write.by_call:
            callee = write.what.split("(")[0]
            fix = f"have {callee} return the array it changes, and assign what it returns " \
                f"(a = {callee}(a, ...)) instead of relying on the write into its argument"
        self.problems[key] = Problem(
            write.stmt.origin, f"{write.what} changes memory that {name} ({since}) shares, "
            f"and {name} is read after that write, at {_place(stmt.origin)}; adjoint cannot "
            "follow a write into memory another name shares when that name is read after it",
            fix)


def user_name(var: ir.Var, made) -> str:
    """The name as the user wrote it: A, not its second SSA version A_1."""
    base, _, suffix = var.name.rpartition("_")
    text = made.text if made else ""
    if base and suffix.isdigit() and var.name not in text and base in text:
        return base
    return var.name


def _place(location) -> str:
    return f"{location.filename}:{location.line}" if location else "an earlier line"


def value_reads(stmt) -> list:
    """Vars whose values a statement reads (x.shape and len(x) read no values; the array
    a write goes into is not read)."""
    if isinstance(stmt, ir.SetItem):
        exprs = [stmt.index, stmt.value]
    else:
        exprs = ir.expressions(stmt)
    out = []
    for expr in exprs:
        _reads(expr, out)
    return out


def _reads(expr, out: list) -> None:
    if isinstance(expr, ir.Var):
        out.append(expr)
        return
    if isinstance(expr, ir.Attr) and expr.name in SHAPE_ATTRIBUTES:
        return
    if isinstance(expr, ir.Call) and _is_shape_function(expr.func.value):
        return
    for child in ir.children(expr):
        _reads(child, out)


def _is_shape_function(func) -> bool:
    try:
        return func in SHAPE_FUNCTIONS
    except TypeError:
        return False
