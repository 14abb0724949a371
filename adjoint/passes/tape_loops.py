"""A pass: a backward loop that pops one tape once per iteration walks that tape instead.

    x_tape = []                                  x_tape = []
    for i in range(n):                           for i in range(n):
        x_tape.append(x)                             x_tape.append(x)
        x = x - 0.01 * math.sin(x) * y               x = x - 0.01 * math.sin(x) * y
    ...                                    ->    ...
    for i in reversed(range(n)):                 for x in reversed(x_tape):
        grad_s2 = -grad_x                            grad_s2 = -grad_x
        x = x_tape.pop()                             grad_y = grad_y + grad_s2 * ...
        grad_y = grad_y + grad_s2 * ...

A list iterator costs less than a call of pop per iteration. Same values, because the
backward loop runs exactly as often as the forward loop pushed, and nothing before the
pop in its body touches x. After the loop x holds the first value pushed, as after the
last pop; a loop that runs zero times leaves x as it was, both ways. Each condition is
proved from the IR; where one is not, the pop stays:

- the tape is made once (`x_tape = []`) outside every loop, and read only by one push
  and one pop;
- the push sits at the top level of the body of a forward loop that has no break or
  continue of its own (one push per iteration), the pop at the top level of the body of
  a backward loop (one pop per iteration); neither loop is inside another loop (a tape
  shared by outer iterations must keep popping);
- the two loops run equally often: for loops over the same range, with bounds that are
  constants or variables assigned once; or a while loop counting its trips and the
  backward `for _ in range(trips)`;
- the backward loop's own variable is read nowhere but in the forward loop's body.

One tape per loop (the first that qualifies, in body order): the loop has one variable.
A while loop's trip counter that only the walked loop read goes too (dead code keeps it:
trips = trips + 1 reads itself).
"""
from __future__ import annotations

import dataclasses
import operator

from .. import ir
from .common import touched


def iterate_tapes(fn: ir.Function) -> ir.Function:
    if not any(isinstance(s, ir.Pop) for s in ir.walk(fn.body)):
        return fn
    facts = _Facts(fn)
    chosen = {}  # id(backward loop) -> its pop
    for pop in facts.pops:
        loop = facts.loop_of.get(id(pop))
        if id(loop) not in chosen and facts.walkable(pop):
            chosen[id(loop)] = pop
    if not chosen:
        return fn
    unread = facts.unread_counters(chosen)
    return dataclasses.replace(fn, body=_rewrite(fn.body, chosen, unread))


class _Facts:
    """What the conditions ask about the whole function, gathered in one walk."""

    def __init__(self, fn: ir.Function):
        self.fn = fn
        self.loop_of: dict = {}  # id(statement) -> the loop whose body holds it at top level
        self.depth: dict = {}  # id(statement) -> how many loops it sits in
        self.inside: dict = {}  # id(statement) -> the loops it sits in
        self.counters: dict = {}  # id(backward loop) -> the trip counter of its while loop
        self.leaves_early: dict = {}  # id(forward loop) -> _leaves_early(its body)
        self.first_touch: dict = {}  # id(backward loop) -> {var: index of its first toucher}
        self.target_free: dict = {}  # (id(backward loop), id(forward loop)) -> _target_free
        self.position: dict = {}  # id(statement) -> its index in its block
        self._index(fn.body, None, ())
        statements = list(ir.walk(fn.body))
        self.pops = [s for s in statements if isinstance(s, ir.Pop)]
        self.defs: dict = {}  # variable -> the statements assigning it
        self.readers: dict = {}  # variable -> the statements reading it
        for stmt in statements:
            for var in ir.targets(stmt):
                self.defs.setdefault(var, []).append(stmt)
            for var in ir.reads(stmt):
                self.readers.setdefault(var, []).append(stmt)

    def _index(self, block: list, loop, loops: tuple) -> None:
        for k, stmt in enumerate(block):
            self.position[id(stmt)] = k
            self.depth[id(stmt)] = len(loops)
            self.inside[id(stmt)] = loops
            if loop is not None and block is loop.body:
                self.loop_of[id(stmt)] = loop
            is_loop = isinstance(stmt, (ir.For, ir.While))
            for inner in ir.blocks(stmt):
                self._index(inner, stmt if is_loop else loop, loops + (stmt,) if is_loop else loops)

    def walkable(self, pop: ir.Pop) -> bool:
        back = self.loop_of.get(id(pop))
        readers = self.readers.get(pop.tape, [])
        pushes = [s for s in readers if isinstance(s, ir.Push)]
        if not isinstance(back, ir.For) or back.over is not None or self.depth[id(pop)] != 1 \
                or len(pushes) != 1 or len(readers) != 2 or not self._made_once(pop.tape):
            return False
        push = pushes[0]
        forward = self.loop_of.get(id(push))
        if forward is not None and id(forward) not in self.leaves_early:
            self.leaves_early[id(forward)] = _leaves_early(forward.body)
        return forward is not None and self.depth[id(push)] == 1 and not self.leaves_early[id(forward)] \
            and self._same_trips(forward, back) and self._target_free(back, forward) \
            and self._untouched_before(pop, back)

    def _made_once(self, tape: ir.Var) -> bool:
        defs = self.defs.get(tape, [])
        return len(defs) == 1 and isinstance(defs[0], ir.Assign) and self.depth[id(defs[0])] == 0 \
            and defs[0].value == ir.TupleExpr((), is_list=True)

    def _same_trips(self, forward, back: ir.For) -> bool:
        if back.trips is not None:
            return False
        if isinstance(forward, ir.For):
            bounds = (forward.start, forward.stop, forward.step)
            return forward.over is None and not forward.reverse and forward.trips is None \
                and back.reverse and bounds == (back.start, back.stop, back.step) \
                and all(self._fixed(b) for b in bounds)
        counter = _trip_counter(forward)
        if counter is not None and not back.reverse and back.target is None \
                and (back.start, back.stop, back.step) == (ir.Const(0), counter, ir.Const(1)) \
                and self._counts_from_zero(counter, forward):
            self.counters[id(back)] = counter
            return True
        return False

    def _fixed(self, bound) -> bool:
        """A constant, or a variable with one value all function long."""
        if isinstance(bound, ir.Const):
            return True
        if not isinstance(bound, ir.Var):
            return False
        defs = self.defs.get(bound, [])
        if not defs:
            return bound in self.fn.params
        return len(defs) == 1 and isinstance(defs[0], ir.Assign) and self.depth[id(defs[0])] == 0

    def _counts_from_zero(self, counter: ir.Var, forward: ir.While) -> bool:
        """trips = 0 outside every loop, trips = trips + 1 first in the loop: nothing else."""
        defs = self.defs.get(counter, [])
        starts = [d for d in defs if d is not forward.body[0]]
        return len(defs) == 2 and len(starts) == 1 and isinstance(starts[0], ir.Assign) \
            and starts[0].value == ir.Const(0) and self.depth[id(starts[0])] == 0

    def unread_counters(self, chosen: dict) -> set:
        """ids of the assignments of while loops' trip counters that only the walked loops
        read (trips = 0; trips = trips + 1): dead now, though they read themselves."""
        out = set()
        for back in (self.loop_of[id(pop)] for pop in chosen.values()):
            counter = self.counters.get(id(back))
            defs = self.defs.get(counter, [])
            if counter is not None and {id(s) for s in self.readers.get(counter, [])} <= {id(back)} | {id(d) for d in defs}:
                out |= {id(d) for d in defs}
        return out

    def _target_free(self, back: ir.For, forward) -> bool:
        """The backward loop's variable is read only inside the forward loop."""
        if back.target is None:
            return True
        key = (id(back), id(forward))  # (asked once per pair of loops, not once per pop)
        if key not in self.target_free:
            self.target_free[key] = all(any(loop is forward for loop in self.inside[id(s)])
                                        for s in self.readers.get(back.target, []))
        return self.target_free[key]

    def _untouched_before(self, pop: ir.Pop, back: ir.For) -> bool:
        """Nothing before the pop in the body reads or writes the popped variable (it is
        now set at the loop's head)."""
        if id(back) not in self.first_touch:  # found once per loop, not once per pop
            first: dict = {}
            for k, stmt in enumerate(back.body):
                for var in touched(stmt):
                    first.setdefault(var, k)
            self.first_touch[id(back)] = first
        position = self.position[id(pop)]
        return self.first_touch[id(back)].get(pop.target, position) >= position


def _trip_counter(loop):
    """The counter of a while loop whose body starts with trips = trips + 1, or None."""
    if not isinstance(loop, ir.While) or not loop.body:
        return None
    first = loop.body[0]
    if isinstance(first, ir.Assign) and isinstance(first.target, ir.Var) and first.target.kind is ir.Kind.FLAG \
            and first.value == ir.BinOp(operator.add, first.target, ir.Const(1)):
        return first.target
    return None


def _leaves_early(block: list) -> bool:
    """A break or continue of the loop whose body this is (not of loops nested in it)."""
    for stmt in block:
        if isinstance(stmt, (ir.Break, ir.Continue)):
            return True
        if isinstance(stmt, ir.If) and (_leaves_early(stmt.body) or _leaves_early(stmt.orelse)):
            return True
    return False


def _rewrite(block: list, chosen: dict, unread: set) -> list:
    out = []
    for stmt in block:
        if id(stmt) in unread:
            continue
        pop = chosen.get(id(stmt))
        stmt = ir.map_blocks(stmt, lambda inner, _: _rewrite(inner, chosen, unread))
        if pop is not None:
            stmt = dataclasses.replace(stmt, target=pop.target, over=pop.tape, start=ir.Const(0),
                                       stop=ir.Const(0), step=ir.Const(1), reverse=True,
                                       body=[s for s in stmt.body if s is not pop])
        out.append(stmt)
    return out
