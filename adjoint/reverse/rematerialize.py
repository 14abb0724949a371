"""Recompute in the backward what is cheaper to recompute than to tape.

A value overwritten in a loop normally goes on a tape (pushed before each overwrite,
popped at the mirror point of the backward). Two kinds of values are recomputed instead,
from operands the backward has anyway:

- a Python/numpy scalar made by one elementwise operation (`s1 = 0.01 * s0`,
  `s0 = math.sin(x)`): an append and a pop cost about as much as the operation, and the
  tape's memory goes. The statement is repeated in the backward:

      s1_tape.append(s1); s1 = 0.01 * s0        s1 = 0.01 * s0       (forward, no push)
      ...; s1 = s1_tape.pop()               ->   x = x_tape.pop(); s0 = math.sin(x);
                                                 s1 = 0.01 * s0; ...  (backward)

- a value the backward reads only for its shape, in `unbroadcast(g, v)`: for v = a @ b
  the shape follows from a's and b's (`unbroadcast_matmul(g, a, b)`), for v = f(a) with
  v's shape class a's it is a's (`unbroadcast(g, a)`), so neither v nor its shape is kept
  per iteration.

Why it is correct (the restore model): in the backward, at the mirror point of a forward
point P, every variable the backward restores from a tape holds the value it had at P.
A statement `v = f(ops)` at index k of a block may be repeated at the mirror point of the
block's index e (the first statement after k that reassigns an operand, or the block's
end) when: v has no other assignment; every forward read of v is between k and e (so
every backward read of v is too, and nothing after needs v's older values); and each
operand is a constant, a value assigned once, the loop counter, another value recomputed
here (valid up to its own e), or a variable the backward restores anyway (it reads it)
and that only plain assignments set. A scalar cannot change in place; shapes never do.
"""
from __future__ import annotations

import bisect
import numbers
import operator
from dataclasses import replace

from .. import ir
from ..rules.registry import lookup
from ..runtime.core import unbroadcast, unbroadcast_matmul, zero_grad
from .shapes import SCALAR, is_elementwise_rule

UNBROADCAST_REF = ir.Ref("unbroadcast", unbroadcast, (), unbroadcast)
UNBROADCAST_MATMUL_REF = ir.Ref("unbroadcast_matmul", unbroadcast_matmul, (), unbroadcast_matmul)
MAX_CHAIN = 3  # operations recomputed for one value at most (its own and those it needs)


def rematerialize(sweep, block: list, parts: dict) -> list:
    """The backward of `block` (parts[k] is block[k]'s), in backward order, with values
    recomputed instead of popped where that is cheaper (see the module docstring)."""
    if not any(isinstance(s, ir.Assign) and s.target in sweep.dynamic for s in block):
        return [s for j in reversed(range(len(block))) for s in parts[j]]  # nothing overwritten
    facts = _Facts(sweep, block, parts)
    values, shapes = facts.candidates()
    needed = facts.needed(values)
    for k in shapes:
        parts[k] = [s for s in parts[k] if s not in facts.resets]
    facts.rewrite_shape_reads(shapes)
    for k in list(needed) + list(shapes):
        parts[k] = [s for s in parts[k] if not (isinstance(s, ir.Pop) and s.target == block[k].target)]
        sweep.tapes.pop(block[k].target, None)
    exprs = _inline_single_uses(block, parts, needed)
    out = []
    for j in reversed(range(len(block) + 1)):
        out += [ir.Assign(block[k].target, exprs[k], block[k].origin)
                for k in sorted(exprs) if values[k][1] == j]
        if j:
            out += parts[j - 1]
    return out


def _inline_single_uses(block, parts, needed) -> dict:
    """Write a recomputed value read once into its reader, as the forward wrote it
    (`grad_y = grad_y + grad_s2 * (0.01 * math.sin(x))`: no stores); -> {k: expression}
    of the values still assigned. The reader runs later in the backward than the
    recomputation would, before any operand is restored to an older value (each reader
    is before the value's e), so it reads the same operands."""
    uses: dict = {}  # var -> [(statement list or None, index)] of each read
    for j in parts:
        for i, stmt in enumerate(parts[j]):
            for s in ir.walk([stmt]):
                if not isinstance(s, ir.Pop):
                    top = s is stmt and isinstance(s, (ir.Assign, ir.ExprStmt))
                    for var in ir.reads(s):
                        uses.setdefault(var, []).append((j, i) if top else None)
    for k in needed:
        for var in ir.vars_in(block[k].value):
            uses.setdefault(var, []).append(("value", k))
    exprs, inlined = {}, {}
    for k in sorted(needed):
        exprs[k] = ir.substitute(block[k].value, inlined)
        found = uses.get(block[k].target, [])
        if len(found) == 1 and found[0] is not None:
            inlined[block[k].target] = exprs.pop(k)
            if found[0][0] != "value":
                j, i = found[0]
                parts[j][i] = ir.with_value(parts[j][i], {block[k].target: inlined[block[k].target]})
    return exprs


class _Facts:
    def __init__(self, sweep, block, parts):
        self.sweep, self.block, self.parts = sweep, block, parts
        everything = list(ir.walk(sweep.fn.body))
        self.defs: dict = {}  # var -> statements assigning it, in the whole function
        self.reads: dict = {}  # var -> how many statements read it, in the whole function
        for stmt in everything:
            for var in ir.targets(stmt):
                self.defs.setdefault(var, []).append(stmt)
            for var in set(ir.reads(stmt)):
                self.reads[var] = self.reads.get(var, 0) + 1
        self.written = {s.target for s in everything if isinstance(s, ir.SetItem)}
        self.assigned_at = [{t for s in ir.walk([stmt]) for t in ir.targets(s)} for stmt in block]
        self.resets = IdentitySet(s for k in parts for s in _resets(parts[k]))
        self.position = {id(stmt): k for k, stmt in enumerate(block)}
        self.loop_counters = {t for t in sweep.loop_targets if t is not None and len(self.defs.get(t, ())) == 1}
        # per block index: where each variable is assigned and read, so each question about
        # a candidate looks up its indices instead of walking the rest of the block (which
        # made long loop bodies compile in quadratic time)
        self.assignments: dict = {}  # var -> block indices assigning it, ascending
        self.forward_reads: dict = {}  # var -> {block index: statements there reading it}
        for k, stmt in enumerate(block):
            for var in self.assigned_at[k]:
                self.assignments.setdefault(var, []).append(k)
            for s in ir.walk([stmt]):
                for var in set(ir.reads(s)):
                    counts = self.forward_reads.setdefault(var, {})
                    counts[k] = counts.get(k, 0) + 1
        self.back_reads_at = [set() for _ in block]  # what block[j]'s backward reads (not pops)
        self.kept_reads_at = [set() for _ in block]  # ... not counting resets either
        self.value_reads_at = [set() for _ in block]  # ... of those, for values, not only shapes
        for j in parts:
            for stmt in ir.walk(parts[j]):
                if isinstance(stmt, ir.Pop):
                    continue
                self.back_reads_at[j] |= set(ir.reads(stmt))
                if stmt in self.resets:
                    continue
                self.kept_reads_at[j] |= set(ir.reads(stmt))
                for expr in ir.expressions(stmt) + ([stmt.target] if isinstance(stmt, ir.SetItem) else []):
                    self.value_reads_at[j] |= _value_reads(expr)
                if isinstance(stmt, (ir.If, ir.While, ir.For)):
                    self.value_reads_at[j] |= set(ir.reads(stmt))
        self.back_reads = set().union(*self.kept_reads_at)  # what the whole backward reads
        self.back_read_indices = _indices(self.back_reads_at)
        self.kept_read_indices = _indices(self.kept_reads_at)
        self.value_read_indices = _indices(self.value_reads_at)

    def candidates(self):
        """{k: (var, e, cost)} of recomputable scalars and {k: (var, e, None)} of values
        read only for their shapes."""
        values, shapes = {}, {}
        for k, stmt in enumerate(self.block):
            var = self._single_assignment(stmt)
            if var is None:
                continue
            if self.sweep.classes.get(var) == SCALAR and _cheap_scalar_operation(stmt.value):
                found = self._valid_until(k, stmt.value, values)
                if found is not None and found[1] <= MAX_CHAIN and self._reads_within(var, k, found[0]):
                    values[k] = (var, found[0], found[1])
            elif self._shape_source(stmt) is not None:
                found = self._valid_until(k, stmt.value, {})
                if found is not None and self._reads_within(var, k, found[0]) \
                        and self._only_shape_read(var, k, found[0]):
                    shapes[k] = (var, found[0], None)
        return values, shapes

    def _single_assignment(self, stmt):
        if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)):
            return None
        var = stmt.target
        if var not in self.sweep.dynamic or var.kind is ir.Kind.FLAG or var in self.written \
                or var in self.sweep.fn.params \
                or len(self.defs.get(var, ())) != 1 or id(stmt) in self.sweep.recomputed:
            return None
        return var

    def _valid_until(self, k, value, values):
        """(e, cost): the operands keep their values from k up to block index e (a
        recomputation at e's mirror point reads what the forward read), or None."""
        end, cost = len(self.block), 1
        for atom in _operands(value):
            if isinstance(atom, ir.Const):
                continue
            if isinstance(atom, ir.Ref):
                if not _module_number(atom):
                    return None
                continue
            if not isinstance(atom, ir.Var):
                return None
            if atom not in self.sweep.dynamic or atom in self.loop_counters:
                continue
            chained = next((v for v in values.values() if v[0] == atom), None)
            if chained is not None:
                end, cost = min(end, chained[1]), cost + chained[2]
            elif self._restored(atom, k):
                end = min(end, self._next_assignment(atom, k))
            else:
                return None
        return end, cost

    def _restored(self, var, k) -> bool:
        """Does the backward restore var from a tape anyway (it reads it, and only plain
        assignments set it), or recompute it at the iteration's start before k?"""
        if var.kind is ir.Kind.FLAG or var not in self.back_reads:
            return False
        for stmt in self.defs.get(var, ()):
            if not isinstance(stmt, ir.Assign):
                return False
            if id(stmt) in self.sweep.recomputed and not self.position.get(id(stmt), k) < k:
                return False
        return True

    def _next_assignment(self, var, k) -> int:
        indices = self.assignments.get(var, [])
        later = bisect.bisect_right(indices, k)
        return indices[later] if later < len(indices) else len(self.block)

    def _reads_within(self, var, k, end) -> bool:
        """Is every statement reading var in the whole function in block[k+1:end]?"""
        inside = sum(n for j, n in self.forward_reads.get(var, {}).items() if k < j < end)
        return inside == self.reads.get(var, 0)

    def _back_read_within(self, var, k, end) -> bool:
        return _any_within(self.back_read_indices.get(var, ()), k, end)

    def needed(self, values) -> dict:
        """The scalar candidates the backward reads, with the ones they are made from."""
        needed, used = {}, set()  # used: what the needed ones are made from
        for k in sorted(values, reverse=True):
            var, end, _ = values[k]
            if var in used or self._back_read_within(var, k, end):
                needed[k] = values[k]
                used.update(ir.vars_in(self.block[k].value))
        return needed

    def _shape_source(self, stmt):
        """v = a @ b, or v = f(a) with v of a's shape class: what gives v's shape."""
        value = stmt.value
        if isinstance(value, ir.BinOp) and value.op is operator.matmul \
                and all(isinstance(a, ir.Var) for a in (value.left, value.right)):
            return value
        if not (isinstance(value, (ir.UnaryOp, ir.BinOp)) or isinstance(value, ir.Call)
                and _elementwise_call(value)):
            return None
        classes = self.sweep.classes
        arrays = [a for a in _operands(value) if not isinstance(a, ir.Const)
                  and not (isinstance(a, ir.Var) and classes.get(a) == SCALAR)]
        if len(arrays) == 1 and isinstance(arrays[0], ir.Var) and lookup(_primal(value)) is not None \
                and _elementwise(lookup(_primal(value))):
            return arrays[0]  # f(a), a * 2.0: the result has a's shape
        return None

    def _only_shape_read(self, var, k, end) -> bool:
        """Is var read by the backward only as unbroadcast's second argument (and read)?"""
        if _any_within(self.value_read_indices.get(var, ()), k, end):
            return False
        return _any_within(self.kept_read_indices.get(var, ()), k, end)

    def rewrite_shape_reads(self, shapes: dict) -> None:
        """In the backward of each shape candidate's statement and of those after it,
        unbroadcast(g, v) -> unbroadcast(g, a) or unbroadcast_matmul(g, a, b); one walk
        over the parts for all candidates."""
        active: dict = {}  # var -> how its shape is had, for the candidates at or before j
        for j in range(len(self.block)):
            if j in shapes:
                active[shapes[j][0]] = _shape_maker(self._shape_source(self.block[j]))
            if active:
                self.parts[j] = [_rewrite_stmt(s, active) for s in self.parts[j]]


class IdentitySet:
    """Statements by identity (ir statements compare by value), holding them so that
    their ids stay theirs while the set lives."""

    def __init__(self, items):
        self.items = {id(item): item for item in items}

    def __contains__(self, item) -> bool:
        return id(item) in self.items


def _resets(part: list) -> list:
    """`grad_v = zero_grad(v)` next to `v = v_tape.pop()` (just after it: zeros of the
    restored value's shape): the end of the backward of v's assignment, setting the
    gradient of v's older value. For a value recomputed here it is dead: v is not a
    parameter and is read only after its assignment, so the next reader's backward assigns
    grad_v afresh."""
    def is_reset(stmt, pop) -> bool:
        return isinstance(pop, ir.Pop) and isinstance(stmt, ir.Assign) \
            and isinstance(stmt.target, ir.Var) and stmt.target.kind is ir.Kind.GRAD \
            and isinstance(stmt.value, ir.Call) and stmt.value.func.value is zero_grad \
            and stmt.value.args == (pop.target,)
    pairs = list(zip(part, part[1:]))
    return [a for a, b in pairs if is_reset(a, b)] + [b for a, b in pairs if is_reset(b, a)]


def _indices(sets: list) -> dict:
    """element -> the ascending indices of the sets holding it."""
    out: dict = {}
    for j, items in enumerate(sets):
        for item in items:
            out.setdefault(item, []).append(j)
    return out


def _any_within(indices, k, end) -> bool:
    """Is one of the ascending `indices` in range(k, end)?"""
    first = bisect.bisect_left(indices, k)
    return first < len(indices) and indices[first] < end


def _shape_maker(source):
    """g -> the unbroadcast call taking its shape from `source` (a @ b, or a)."""
    if isinstance(source, ir.BinOp):
        return lambda g: ir.Call(UNBROADCAST_MATMUL_REF, (g, source.left, source.right))
    return lambda g: ir.Call(UNBROADCAST_REF, (g, source))


def _rewrite_stmt(stmt, shape_of: dict):
    stmt = ir.map_blocks(stmt, lambda block, _: [_rewrite_stmt(s, shape_of) for s in block])
    if isinstance(stmt, (ir.Assign, ir.ExprStmt)):
        return replace(stmt, value=_rewrite_expr(stmt.value, shape_of))
    return stmt


def _rewrite_expr(expr, shape_of: dict):
    """expr with each unbroadcast(g, v), v a key of shape_of, made by shape_of[v]."""
    if _is_unbroadcast(expr) and expr.args[1] in shape_of:
        return shape_of[expr.args[1]](_rewrite_expr(expr.args[0], shape_of))
    if isinstance(expr, ir.Call):
        return ir.Call(expr.func, tuple(_rewrite_expr(a, shape_of) for a in expr.args),
                       tuple((n, _rewrite_expr(v, shape_of)) for n, v in expr.kwargs))
    if isinstance(expr, ir.BinOp):
        return ir.BinOp(expr.op, _rewrite_expr(expr.left, shape_of), _rewrite_expr(expr.right, shape_of))
    if isinstance(expr, ir.UnaryOp):
        return ir.UnaryOp(expr.op, _rewrite_expr(expr.operand, shape_of))
    if isinstance(expr, ir.Subscript):
        return ir.Subscript(_rewrite_expr(expr.value, shape_of), _rewrite_expr(expr.index, shape_of))
    if isinstance(expr, ir.TupleExpr):
        return ir.TupleExpr(tuple(_rewrite_expr(e, shape_of) for e in expr.elts), expr.is_list)
    return expr


def _is_unbroadcast(expr) -> bool:
    """unbroadcast(g, v) of a variable v: reads v for its shape only."""
    return isinstance(expr, ir.Call) and expr.func.value is unbroadcast and len(expr.args) == 2 \
        and not expr.kwargs and isinstance(expr.args[1], ir.Var)


def _value_reads(expr) -> set:
    """Variables expr reads for their values (unbroadcast(g, v) reads v's shape only)."""
    if isinstance(expr, ir.Var):
        return {expr}
    if _is_unbroadcast(expr):
        return _value_reads(expr.args[0])
    out = set()
    for child in ir.children(expr):
        out |= _value_reads(child)
    return out


def _operands(value) -> tuple:
    if isinstance(value, ir.Call):
        return tuple(value.args) + tuple(v for _, v in value.kwargs)
    return ir.children(value) if not isinstance(value, ir.Var) else (value,)


def _cheap_scalar_operation(value) -> bool:
    """One arithmetic operation, or one call of a numpy/math elementwise function, on
    atoms: cheaper to repeat on scalars than an append and a pop."""
    if isinstance(value, (ir.BinOp, ir.UnaryOp)):
        r = lookup(value.op)
        return bool(r and r.elementwise)
    return isinstance(value, ir.Call) and _elementwise_call(value)


def _elementwise_call(call: ir.Call) -> bool:
    """A call of a numpy or math function whose rule is elementwise (no side effects to
    repeat, the result has the broadcast shape of the arguments)."""
    func = call.func.value
    module = (getattr(func, "__module__", None) or "").split(".")[0]
    if call.kwargs or (module not in ("math", "numpy") and call.func.root_name not in ("math", "np")):
        return False
    r = lookup(func)
    return r is not None and _elementwise(r)


def _elementwise(r) -> bool:
    return bool(r.elementwise or (r.elementwise is None and is_elementwise_rule(r)))


def _primal(value):
    return value.func.value if isinstance(value, ir.Call) else value.op


def _module_number(ref: ir.Ref) -> bool:
    """math.pi, np.e: a constant of a module the generated code cannot rebind."""
    return ref.root_name in ("math", "np", "numpy") and isinstance(ref.value, numbers.Number)
