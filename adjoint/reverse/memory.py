"""Which values may share memory, and which statements write into memory.

A flow-insensitive points-to analysis over the SSA IR. Every value that may hold an array
(or a container of arrays) gets the set of *roots* its memory may come from: a parameter
(`("param", name)`), or the statement that made a new object (`("new", id)`). A view or
an entry (`x[1:3]`, `x.T`, `d["W"]`, `y = x`, a call that may return its argument) has
the roots of what it came from, plus its own; a tuple, list or dict has its own root and
those of its entries. Numbers (shape class SCALAR, loop counters, `len(x)`) have none.

A *write* changes memory in place: `x[i] = v`, `x op= v` on an array (numpy writes in
place, so every name sharing x's memory sees it; adjoint compiles it as x = x op v, which
is right for every value but those names), `xs.append(v)` on a list, and a call of a user
function that writes into one of its parameters (`Effects`, read from its source).
"""
from __future__ import annotations

import builtins
import inspect
import threading
from dataclasses import dataclass

import numpy as np

from .. import ir
from . import shapes
from ..lowering.frontend import parse_function
from ..lowering.lower import Lowering
from ..origin import is_user_code
from ..runtime.containers import appended, dict_items, dict_values, iterated, make_dict
from ..runtime.python import with_default
from ..runtime.tangents import writable_tangent, zero_tangent
from ..runtime.writes import is_view
from ..runtime.written_calls import passes_numbers, unwrapped
from .unread import unread_writes

SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
SHAPE_FUNCTIONS = {builtins.len, np.shape, np.ndim, np.size}
CONTAINER_MAKERS = {appended, make_dict, dict_values, dict_items, iterated, with_default,
                    builtins.list, builtins.tuple}
FRESH = {builtins.sum, builtins.float, builtins.abs, builtins.len, builtins.int, builtins.max,
         builtins.min, np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like,
         np.full_like, np.empty_like, np.array, np.copy, np.arange, np.linspace, np.eye,
         np.identity, np.sum, np.mean, np.prod, np.cumsum, np.dot, np.outer, np.concatenate,
         np.stack, np.vstack, np.hstack, np.where, np.clip, np.max, np.min, np.matmul,
         np.sort, np.std, np.var, np.tensordot, np.einsum, np.roll, np.diff, np.tile,
         np.kron, np.pad, np.abs, np.linalg.norm, np.linalg.inv, np.linalg.solve,
         writable_tangent, zero_tangent,  # (in forward-mode code)
         is_view, passes_numbers}  # (tests made by refresh.py: bools)


@dataclass(frozen=True)
class Write:
    """A statement writing into memory: `var`'s roots (through `var`, which follows it)."""

    stmt: object
    var: ir.Var  # the array written (its roots are what changes)
    follows: frozenset  # names whose gradient bookkeeping sees this write
    what: str  # for messages: "x[...] = ...", "x += ...", "helper(x) writes x"
    by_call: bool = False  # a user function writing into its argument
    kind: str = "set"  # "set" (x[i] = v), "op" (x op= v), "append", "call"
    param: str = ""  # for "call": the callee's parameter written
    by_op: bool = False  # for "call": only by op= (a number there is rebound, not written)


@dataclass(frozen=True)
class Effects:
    """What a user function does to its arguments' memory."""

    fresh_result: bool  # its result never shares memory with an argument
    written: tuple  # ((parameter name, Location of the write, by op= only), ...)


def fresh_callable(func) -> bool:
    """Always returns a new array (or an immutable number)."""
    if isinstance(func, np.ufunc) or getattr(func, "__module__", None) == "math":
        return True
    try:
        return func in FRESH
    except TypeError:
        return False


def is_number(var, classes: dict, integers: set) -> bool:
    return classes.get(var) == shapes.SCALAR or var in integers


def integer_valued(fn: ir.Function) -> set:
    """Variables that hold ints (loop counters, len(x), x.shape[0], i - 1)."""
    integers = {s.target for s in ir.walk(fn.body) if isinstance(s, ir.For) and s.target is not None}
    for _ in range(5):  # (a pass that finds nothing new ends it: the next would find nothing)
        before = len(integers)
        for stmt in ir.walk(fn.body):
            if isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var) and \
                    integer_expression(stmt.value, integers):
                integers.add(stmt.target)
        if len(integers) == before:
            break
    return integers


def integer_expression(expr, integers) -> bool:
    if isinstance(expr, ir.Const):
        return isinstance(expr.value, int) and not isinstance(expr.value, bool)
    if isinstance(expr, ir.Var):
        return expr in integers
    if isinstance(expr, ir.BinOp):
        return integer_expression(expr.left, integers) and integer_expression(expr.right, integers)
    if isinstance(expr, ir.Call):
        return expr.func.value is builtins.len
    if isinstance(expr, ir.Attr):
        return expr.name in ("shape", "ndim", "size")
    if isinstance(expr, ir.Subscript):  # x.shape[0]
        return isinstance(expr.value, ir.Var) and expr.value in integers
    return False


class Memory:
    """Where each value's memory may come from, and every in-place write.

    own[v]: the objects v may itself be (an array's buffer, a list); reach[v]: those and
    every object reachable from v (a list's entries). Writing into v changes own[v], which
    every name whose reach meets it can see; appending to a list changes the list, not
    its entries."""

    def __init__(self, fn: ir.Function, classes: dict, effects_of=None, scalar_params=frozenset(),
                 numbers=frozenset()):
        self.fn = fn
        # what refresh.py proved: (id(call), parameter) checked at run time to be a number,
        # (id(statement), None) a read of an entry x[i] only where it is a copy
        self.numbers = numbers
        self.scalar_params = frozenset(scalar_params)  # names of parameters passed as numbers
        self.classes = classes
        self.effects_of = effects_of or (lambda func: None)
        self.integers = integer_valued(fn)
        params = {p: frozenset({("param", p.name)}) for p in fn.params}
        self.own, self.reach = dict(params), dict(params)
        assignments = Assignments(fn)
        self.arrays = known_arrays(fn, assignments)
        self.entries = entry_reads(fn, self.integers, assignments)
        self.entry_ops: set = set()  # entries updated by op=: numbers (rebound), checked at run time
        self.solve()
        self.writes = [w for s in ir.walk(fn.body) for w in self.writes_of(s)]

    def of(self, var) -> frozenset:
        """Every object var may be or hold."""
        return self._get(self.reach, var)

    def owned(self, var) -> frozenset:
        """The objects var may itself be: what writing into var changes."""
        return self._get(self.own, var)

    def _get(self, table, var) -> frozenset:
        if not isinstance(var, ir.Var) or is_number(var, self.classes, self.integers):
            return frozenset()
        return table.get(var, frozenset())

    def solve(self) -> None:
        """Passes over the statements until no table grows (the least fixed point). A
        statement whose roots read no table gives the same roots on every pass: it is
        asked on the first pass only."""
        statements = list(ir.walk(self.fn.body))
        changed = True
        while changed:
            changed = False
            for stmt in statements:
                for var, own, reach in self.defines(stmt):
                    for table, roots in ((self.own, own), (self.reach, reach | own)):
                        old = table.get(var, frozenset())
                        if not roots <= old:
                            table[var] = old | roots
                            changed = True
            statements = [s for s in statements if not _roots_read_no_table(s)]

    def defines(self, stmt):
        """(var, what it may be, what it may hold) for each variable the statement binds
        or fills."""
        if isinstance(stmt, ir.SetItem):  # a container entry may now be v itself
            if stmt.target in self.arrays:  # (an array takes copies of v's values)
                return []
            return [(stmt.target, frozenset(), self.of(stmt.value))]
        if not isinstance(stmt, ir.Assign):
            return []
        own = {("new", id(stmt))}
        value = stmt.value
        if stmt.may_alias:  # x op= v: numpy updates x's memory in place
            own |= self.owned(updated_operand(value))
        own, reach = self.value_roots(value, frozenset(own))
        return [(t, own, reach) for t in ir.targets(stmt)]

    def value_roots(self, value, own=frozenset()):
        """(objects the value may be, objects it may hold), given its own new object."""
        if isinstance(value, ir.Var):
            return own | self.owned(value), own | self.of(value)
        if isinstance(value, ir.Subscript):  # a view of an array, or an entry of a list
            return own | self.of(value.value), own | self.of(value.value)
        if isinstance(value, ir.Attr) and value.name not in SHAPE_ATTRIBUTES:
            return own | self.of(value.value), own | self.of(value.value)
        if isinstance(value, ir.TupleExpr):
            return own, own.union(*[self.value_roots(e)[1] for e in value.elts])
        if not isinstance(value, ir.Call):
            return own, own  # arithmetic, comparisons, constants: new values
        func = value.func.value
        args = list(value.args) + [v for _, v in value.kwargs]
        held = frozenset().union(*[self.value_roots(a)[1] for a in args])
        if _is(func, CONTAINER_MAKERS):
            return own, own | held
        if fresh_callable(func) and not value.kwargs or _is(func, SHAPE_FUNCTIONS):
            return own, own
        effects = self.effects_of(func)
        if effects is not None and effects.fresh_result:
            return own, own
        return own | held, own | held  # it may return an argument, or something in one

    def writes_of(self, stmt) -> list:
        if isinstance(stmt, ir.SetItem) and not stmt.writeback:
            return [Write(stmt, stmt.target, frozenset({stmt.target}), f"{stmt.target.name}[...] = ...")]
        if not isinstance(stmt, (ir.Assign, ir.ExprStmt)):
            return []
        if isinstance(stmt, ir.Assign) and stmt.may_alias:
            old = updated_operand(stmt.value)
            if old in self.entries:  # e += v on e = x[i]: a number, unless x[i] is a row
                self.entry_ops.add(old)
                return []
            if isinstance(stmt.value, ir.Call) and stmt.value.func.value is with_default:
                return []  # d.setdefault compiles to a new version of d: nothing is written
            if isinstance(old, ir.Var) and self.of(old):
                appends = isinstance(stmt.value, ir.Call)
                what = f"{stmt.may_alias}.append(...)" if appends else f"{stmt.may_alias} op= ..."
                return [Write(stmt, old, frozenset({old}) | set(ir.targets(stmt)), what,
                              kind="append" if appends else "op")]
            return []
        effects = self.effects_of(stmt.value.func.value) if isinstance(stmt.value, ir.Call) else None
        if effects is None and isinstance(stmt.value, ir.Call):
            return self.unread_writes(stmt)
        if effects is None or not effects.written:
            return []
        out = []
        arguments = callee_arguments(stmt.value)
        for name, location, by_op in effects.written:
            arg = arguments.get(name)
            if by_op and (id(stmt), name) in self.numbers:
                continue
            if by_op and arg in self.entries:  # p op= v on an entry: a number, rebound
                self.entry_ops.add(arg)
                continue
            if isinstance(arg, ir.Var) and self.of(arg):
                where = f" at {location}" if location else ""
                out.append(Write(stmt, arg, frozenset(),
                                 f"{_callee_name(stmt.value)}(...) writes into its argument {name}{where}",
                                 by_call=True, kind="call", param=name, by_op=by_op))
        return out


    def unread_writes(self, stmt) -> list:
        """The writes a user's function adjoint does not read may make (unread.py)."""
        params = unread_writes(stmt.value.func.value)
        if not params:
            return []
        name = _callee_name(stmt.value)
        return [Write(stmt, var, frozenset(), f"{name}(...) (a function adjoint does not read, which may "
                      f"write into its argument {param})", by_call=True, kind="unread", param=param)
                for param, given in callee_arguments(stmt.value).items() if param in params
                for var in _vars(given) if isinstance(var, ir.Var) and self.of(var)]


def _vars(given) -> list:
    """The variables an argument passes (through *args and **kwargs: each entry's)."""
    if isinstance(given, tuple):
        return [v for item in given for v in ir.vars_in(item)]
    if isinstance(given, dict):
        return [v for item in given.values() for v in ir.vars_in(item)]
    return ir.vars_in(given)


def _roots_read_no_table(stmt) -> bool:
    """Memory.defines(stmt) reads neither own nor reach: it binds nothing, or it binds a
    new value (arithmetic, a constant, a fresh array, a shape) that holds nothing else."""
    if isinstance(stmt, ir.SetItem):
        return False
    if not isinstance(stmt, ir.Assign):
        return True
    value = stmt.value
    if stmt.may_alias or isinstance(value, (ir.Var, ir.Subscript, ir.TupleExpr)):
        return False
    if isinstance(value, ir.Attr):
        return value.name in SHAPE_ATTRIBUTES
    if isinstance(value, ir.Call):
        func = value.func.value
        return not _is(func, CONTAINER_MAKERS) and (
            fresh_callable(func) and not value.kwargs or _is(func, SHAPE_FUNCTIONS))
    return True


def known_arrays(fn: ir.Function, assignments=None) -> set:
    """Variables that are numpy arrays on every path (made by numpy, arithmetic on one, a
    view of one): x[i] = v copies v's values into them, so x never holds v itself. The
    largest such set: start from every variable and drop those some assignment disproves."""
    return largest_set(fn, lambda stmt, arrays: _makes_array(stmt.value, arrays), assignments)


class Assignments:
    """The function's own variables' assignments, and which variables are assigned from
    statements reading each variable (what largest_set asks, found once per function)."""

    def __init__(self, fn: ir.Function):
        self.defs: dict = {}  # var -> the statements assigning it
        self.readers: dict = {}  # var -> the variables assigned from statements reading it
        for stmt in ir.walk(fn.body):
            targets = ir.targets(stmt)
            if not targets:
                continue
            for t in targets:
                self.defs.setdefault(t, []).append(stmt)
            for v in ir.reads(stmt):
                self.readers.setdefault(v, set()).update(targets)
        self.own = set(self.defs) - set(fn.params)


def largest_set(fn: ir.Function, holds, assignments: Assignments | None = None) -> set:
    """The largest set of the function's own variables every assignment of which is a plain
    `v = value` with holds(stmt, the set) true: start from all of them and drop those some
    assignment disproves, until nothing changes (a greatest fixed point). `holds` may ask
    only whether variables its statement reads are in the set, and yes for a larger set
    whenever for a smaller one: so the set is the same in whatever order variables are
    dropped, and a variable is looked at again only when one its assignments read is
    dropped (looking at every variable again after each drop was quadratic)."""
    assignments = assignments or Assignments(fn)
    defs, readers = assignments.defs, assignments.readers
    found = set(assignments.own)
    todo = list(found)  # (in any order: the set found is the same)
    while todo:
        var = todo.pop()
        if var in found and not all(isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
                                    and holds(s, found) for s in defs[var]):
            found.discard(var)
            todo.extend(readers.get(var, set()) & found)
    return found


def _makes_array(value, arrays: set) -> bool:
    if isinstance(value, ir.Var):
        return value in arrays
    if isinstance(value, (ir.BinOp, ir.UnaryOp)):
        return any(isinstance(v, ir.Var) and v in arrays for v in ir.children(value))
    if isinstance(value, ir.Subscript):
        return value.value in arrays
    if isinstance(value, ir.Call):
        func = value.func.value
        return isinstance(func, np.ufunc) or _is(func, _ARRAY_MAKERS)
    return False


_ARRAY_MAKERS = {np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like, np.full_like,
                 np.empty_like, np.array, np.copy, np.arange, np.linspace, np.eye, np.identity,
                 np.asarray, np.roll, np.concatenate, np.stack, np.where, np.outer, np.cumsum,
                 writable_tangent}


def callee_arguments(call: ir.Call) -> dict:
    """parameter name -> the argument a call passes for it ({} when they do not bind)."""
    try:
        return dict(inspect.signature(call.func.value).bind(*call.args, **dict(call.kwargs)).arguments)
    except (TypeError, ValueError):
        return {}


def _callee_name(call: ir.Call) -> str:
    return ".".join((call.func.root_name,) + tuple(call.func.path))


def updated_operand(value):
    """The array an op= or append updates: x in x + v, xs in appended(xs, v)."""
    if isinstance(value, ir.BinOp):
        return value.left
    if isinstance(value, ir.Call) and value.args:
        return value.args[0]
    return None


def _is(func, table) -> bool:
    try:
        return func in table
    except TypeError:
        return False


# effects of user functions ----------------------------------------------------------------
_EFFECTS: dict = {}  # (function, its code object) -> Effects
_EFFECTS_LOCK = threading.RLock()


def summarize(fn: ir.Function, effects_of) -> Effects:
    """Does fn's result share memory with a parameter; which parameters does it write?"""
    classes = shapes.infer(fn, frozenset())
    memory = Memory(fn, classes, effects_of)
    params = {("param", p.name) for p in fn.params}
    results = [s.value for s in ir.walk(fn.body) if isinstance(s, ir.Return)]
    fresh = not any(memory.value_roots(r)[1] & params for r in results)
    written, by_op = {}, {}
    for write in memory.writes:
        for root in memory.owned(write.var) & params:
            written.setdefault(root[1], write.stmt.origin)
            by_op[root[1]] = by_op.get(root[1], True) and write.what.endswith(" op= ...")
    return Effects(fresh, tuple((name, written[name], by_op[name]) for name in sorted(written)))


def effects_reader(lower):
    """effects_of(func) for user functions, reading each one's source once through
    `lower(func) -> ir.Function` (None: not the user's code, or not readable)."""
    def effects_of(func):
        called, written = unwrapped(func)
        if written:  # h run on copies of what it writes into (the caller writes those)
            effects = effects_of(called)
            return None if effects is None else Effects(
                effects.fresh_result, tuple(w for w in effects.written if w[0] not in written))
        code = getattr(func, "__code__", None)
        if code is None:
            return None
        key = (func, code)
        with _EFFECTS_LOCK:
            if key in _EFFECTS:
                return _EFFECTS[key]
            _EFFECTS[key] = None  # a function calling itself: unknown while it is read
            fn = lower(func)
            found = None if fn is None else summarize(fn, effects_of)
            _EFFECTS[key] = found
            return found
    return effects_of


def lower_user_function(func):
    """The lowered IR of a user function, or None (a library's, unreadable, unsupported)."""
    if not inspect.isfunction(func) or not is_user_code(func):
        return None
    try:
        return Lowering(parse_function(func)).run()
    except Exception:  # noqa: BLE001  unreadable or unsupported: its effects are unknown,
        return None    # and compiling it (if it is differentiated through) says why


user_effects = effects_reader(lower_user_function)


def entry_reads(fn: ir.Function, integers: set, assignments=None) -> set:
    """Variables every assignment of which is x[i] or x[i, j] with integer indices (or a
    copy of such a variable): an entry (a copy) when the indices reach every axis, a view
    of x otherwise, which only the run can tell (see runtime.writes.entry_copy)."""
    def holds(s, entries) -> bool:
        return isinstance(s.value, ir.Subscript) and _all_integers(s.value.index, integers) \
            or isinstance(s.value, ir.Var) and s.value in entries \
            or s.may_alias and updated_operand(s.value) in entries
    return largest_set(fn, holds, assignments)


def _all_integers(index, integers: set) -> bool:
    return all(integer_expression(p, integers) for p in index_parts(index))


def index_parts(index) -> tuple:
    """The per-axis parts of an index: x[i, 1:] has two; x[[0, 0, 1]] (a list, printed
    as one) has one, an index array."""
    return index.elts if isinstance(index, ir.TupleExpr) and not index.is_list else (index,)


def is_basic_index_expr(index, integers: set) -> bool:
    """An index of ints and slices (never an index array, so no entry repeats)."""
    for part in index_parts(index):
        if isinstance(part, ir.Slice):
            if not all(p is None or integer_expression(p, integers) for p in ir.children(part)):
                return False
        elif isinstance(part, ir.Const):
            if not (part.value is None or part.value is Ellipsis or integer_expression(part, integers)):
                return False
        elif not integer_expression(part, integers):
            return False
    return True
