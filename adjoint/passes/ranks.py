"""A pass: matmul's gradient helpers written out where the arrays' ranks are known.

    grad_h = matmul_left(grad_s2, h, Wh)              grad_h = grad_s2 @ Wh.T
    grad_Wh = grad_Wh + matmul_right(grad_s2, h, Wh)  ->  grad_Wh = grad_Wh + h.T @ grad_s2

matmul_left(g, a, b) and matmul_right(g, a, b) handle every shape numpy's matmul takes;
when g, a and b all have two dimensions they compute exactly g @ b.T and a.T @ g (their
first branch), so the call, and the Python time it costs each loop step, can go.

The ranks come from the arguments the code was compiled for (the dispatch key holds each
array argument's ndim, and the entry checks it on every call) and are carried through
the statements (an array's ndim changes in place only by `a.shape = ...`, `a.resize`:
code calling anything that could do that, a user's function, setattr, gets no ranks): elementwise operations give the largest rank of their operands,
a @ b follows matmul's rules, x.T keeps x's, x[t] with t an integer drops one. A
variable assigned several times (in a loop, in branches) has a rank only when every
assignment gives the same one, found as a fixed point from "not assigned yet"; anything
else (user functions, other helpers, tuples) has no known rank, and its helpers stay.
"""
from __future__ import annotations

import dataclasses
import numbers
import operator
import types

from .. import ir
from ..origin import is_user_code
from ..rules.registry import lookup
from ..runtime.core import matmul_left, matmul_right, unbroadcast, unbroadcast_matmul, zero_grad

SHAPE_SETTERS = (setattr, delattr, exec, eval, vars, globals, locals, __import__)
UNSET = object()  # a variable no assignment has given a rank yet
CALLER = object()  # a parameter's first value: the argument, of the rank the key says


@dataclasses.dataclass
class Facts:
    """What _rank reads besides the variables' ranks."""
    integers: set = dataclasses.field(default_factory=set)  # range loops' counters
    callees: object = None  # callee_ranks.CalleeRanks: the user's functions called, or None
    strict: bool = False  # unbroadcast(g, x) has x's rank only where g is not a scalar zero


def resolve_matmul_helpers(fn: ir.Function, param_ranks: dict, callees=None) -> ir.Function:
    """fn with matmul_left/right of rank-2 operands written as the products they compute.
    `param_ranks`: parameter name -> ndim, for the array parameters whose ndim is known."""
    if not param_ranks or not shapes_kept(fn, callees):
        return fn
    return _rewritten(fn, infer_ranks(fn, param_ranks, callees))


def _rewritten(fn: ir.Function, ranks: dict) -> ir.Function:
    body = _rewrite_block(fn.body, ranks)
    return fn if body == fn.body else dataclasses.replace(fn, body=body)


def resolve_in_callee(fn: ir.Function, param_ranks: dict, seed: ir.Var, out_rank, callees=None):
    """resolve_matmul_helpers for a callee's value-and-gradient code, whose gradient `seed`
    comes from its caller: an array of the output's rank `out_rank`, or a scalar zero (the
    gradient of a value nothing used). A rank holds where it is the same in both cases."""
    if not param_ranks or not isinstance(out_rank, int) or not shapes_kept(fn, callees):
        return fn
    array, zero = (infer_ranks(fn, param_ranks, callees, {seed: r}, strict=True) for r in (out_rank, 0))
    return _rewritten(fn, {v: r for v, r in array.items() if zero.get(v) == r})


def argument_ranks(fn: ir.Function, param_ranks: dict, callees=None):
    """expr -> its ndim (or None), read in fn, where fn's array parameters have these ranks."""
    facts = Facts(_counters(fn), callees)
    ranks = infer_ranks(fn, param_ranks, callees) if param_ranks and shapes_kept(fn, callees) else {}
    return lambda expr: (lambda r: r if isinstance(r, int) else None)(_rank(expr, ranks, facts))


def return_rank(fn: ir.Function, param_ranks: dict, callees=None):
    """The ndim of what fn (one return, at the end) returns, or None."""
    ret = fn.body[-1] if fn.body else None
    return argument_ranks(fn, param_ranks, callees)(ret.value) if isinstance(ret, ir.Return) else None


def infer_ranks(fn: ir.Function, param_ranks: dict, callees=None, given: dict | None = None,
                strict: bool = False) -> dict:
    """Var -> its ndim, for the variables every assignment of which gives the same one.
    `given`: Var -> ndim, for variables set from outside (a callee's seed)."""
    values: dict = {p: [CALLER] for p in list(fn.params) + list(given or {})}  # var -> the expressions assigned to it
    pushed: dict = {}  # tape -> the expressions pushed on it (a pop assigns one of them)
    counters = set()  # targets of range loops
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Assign):
            targets = stmt.target if isinstance(stmt.target, tuple) else (stmt.target,)
            for target in targets:  # the parts of an unpacked tuple: no rank known
                values.setdefault(target, []).append(stmt.value if len(targets) == 1 else None)
        elif isinstance(stmt, ir.For) and stmt.target is not None and stmt.over is None:
            counters.add(stmt.target)
            values.setdefault(stmt.target, []).append(ir.Const(0))
        elif isinstance(stmt, ir.Push):
            pushed.setdefault(stmt.tape, []).append(stmt.value)
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Pop):
            values.setdefault(stmt.target, []).extend(pushed.get(stmt.tape, [None]))
        elif isinstance(stmt, ir.For) and stmt.over is not None:  # a tape walked: pops, in effect
            values.setdefault(stmt.target, []).extend(pushed.get(stmt.over, [None]))
    facts = Facts(_integers(values, counters), callees, strict)
    ranks: dict = {var: UNSET for var in values}
    callers = {p: param_ranks.get(p.name) for p in fn.params} | (given or {})
    changed = True
    while changed:  # ranks only go from UNSET to a number to None: this ends
        changed = False
        for var, assigned in values.items():
            found = _agree([callers[var] if e is CALLER else _rank(e, ranks, facts) for e in assigned])
            if found != ranks[var]:
                ranks[var], changed = found, True
    return {v: r for v, r in ranks.items() if isinstance(r, int)}


def _integers(values: dict, counters: set) -> set:
    """An integer index: a range loop's counter that nothing else assigns."""
    return {v for v in counters if all(isinstance(e, ir.Const) for e in values[v])}


def _counters(fn: ir.Function) -> set:
    values: dict = {}
    counters = set()
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.For) and stmt.target is not None and stmt.over is None:
            counters.add(stmt.target)
        for target in ir.targets(stmt):
            values.setdefault(target, []).append(ir.Const(0) if isinstance(stmt, ir.For)
                                                 and stmt.over is None else None)
    return _integers(values, counters)


def _agree(found: list):
    known = [r for r in found if r is not UNSET]
    if not known:
        return UNSET
    return known[0] if all(r == known[0] for r in known) and known[0] is not None else None


def _rank(expr, ranks: dict, facts: Facts):
    """expr's ndim (UNSET while an operand has none yet; None when it cannot be told)."""
    if expr is None:
        return None
    if isinstance(expr, ir.Var):
        return ranks.get(expr)
    if isinstance(expr, ir.Const):
        return 0 if isinstance(expr.value, numbers.Number) and not isinstance(expr.value, bool) else None
    if isinstance(expr, ir.UnaryOp) and expr.op is operator.neg:
        return _rank(expr.operand, ranks, facts)
    if isinstance(expr, ir.Attr) and expr.name == "T":
        return _rank(expr.value, ranks, facts)
    if isinstance(expr, ir.Subscript) and (expr.index in facts.integers or isinstance(expr.index, ir.Const)
                                           and type(expr.index.value) is int):
        base = _rank(expr.value, ranks, facts)
        return base - 1 if isinstance(base, int) and base >= 1 else base if base is UNSET else None
    if isinstance(expr, ir.BinOp):
        left, right = _rank(expr.left, ranks, facts), _rank(expr.right, ranks, facts)
        if expr.op is operator.matmul:
            return _matmul_rank(left, right)
        r = lookup(expr.op)
        return _broadcast_rank([left, right]) if r is not None and r.elementwise else None
    if isinstance(expr, ir.Call):
        return _call_rank(expr, ranks, facts)
    return None


def _call_rank(call: ir.Call, ranks: dict, facts: Facts):
    func = call.func.value
    args = [_rank(a, ranks, facts) for a in call.args]
    if facts.callees is not None and facts.callees.through(func):
        return UNSET if UNSET in args else facts.callees.result_rank(call, args)
    helpers = (unbroadcast, matmul_left, matmul_right, unbroadcast_matmul)
    if facts.strict and func in helpers and not (args and isinstance(args[0], int) and args[0] >= 1):
        return UNSET if UNSET in args else None  # g may be a scalar zero, which they hand back
    if func is unbroadcast and len(args) == 2 and not call.kwargs:
        return args[1]  # g summed to x's shape
    if func is zero_grad and len(args) == 1 and not call.kwargs:
        return args[0]
    if func in (matmul_left, matmul_right) and len(args) == 3 and not call.kwargs:
        return args[1] if func is matmul_left else args[2]
    if func is unbroadcast_matmul and len(args) == 3 and not call.kwargs:
        return _matmul_rank(args[1], args[2])  # g summed to the shape of a @ b
    r = lookup(func) if callable(func) else None
    if r is None or r.elementwise is not True or call.kwargs or not _fits(r, len(args)):
        return None
    return _broadcast_rank(args)


def _fits(r, count: int) -> bool:
    """Is a call with `count` positional arguments the form the rule is for (np.where(c)
    and max(xs) are other functions than np.where(c, a, b) and max(a, b))?"""
    required = [p for p in r.params if p not in r.options and p not in r.input_defaults]
    return 0 < count and len(required) <= count <= len(r.params)


def shapes_kept(fn: ir.Function, callees=None) -> bool:
    """Does every call in fn leave the shapes of arrays alone? numpy's, math's and scipy's
    functions, the builtins (but setattr and the like) and adjoint's runtime do; a user's
    function, or an unknown callable, might set a.shape."""
    for stmt in ir.walk(fn.body):
        for expr in ir.expressions(stmt):
            if not all(_keeps_shapes(call.func.value) or callees is not None and callees.keeps_shapes(call.func.value)
                       for call in _calls_in(expr)):
                return False
    return True


def _calls_in(expr) -> list:
    found = [expr] if isinstance(expr, ir.Call) else []
    for child in ir.children(expr):
        found += _calls_in(child)
    return found


def _keeps_shapes(func) -> bool:
    module = getattr(func, "__module__", None) or ""
    if module == "builtins":
        return func not in SHAPE_SETTERS
    if module.startswith("adjoint.runtime."):  # (its functions; not WritesReturned, which
        return isinstance(func, types.FunctionType)  # calls a user's function)
    return module.split(".")[0] in ("numpy", "math", "scipy", "operator") and not is_user_code(func)


def _broadcast_rank(ranks: list):
    if any(r is None for r in ranks):
        return None
    if any(r is UNSET for r in ranks):
        return UNSET
    return max(ranks)


def _matmul_rank(left, right):
    if left is None or right is None or left == 0 or right == 0:
        return None
    if left is UNSET or right is UNSET:
        return UNSET
    if left == 1 and right == 1:
        return 0
    if left == 1 or right == 1:
        return max(left, right) - 1
    return max(left, right)


def _rewrite_block(block: list, ranks: dict) -> list:
    out = []
    for stmt in block:
        stmt = ir.map_blocks(stmt, lambda b, _: _rewrite_block(b, ranks))
        if isinstance(stmt, (ir.Assign, ir.ExprStmt)):
            stmt = dataclasses.replace(stmt, value=_rewrite(stmt.value, ranks))
        out.append(stmt)
    return out


def _rewrite(expr, ranks: dict):
    if isinstance(expr, ir.Call):
        args = tuple(_rewrite(a, ranks) for a in expr.args)
        kwargs = tuple((k, _rewrite(v, ranks)) for k, v in expr.kwargs)
        if expr.func.value in (matmul_left, matmul_right) and len(args) == 3 and not kwargs \
                and all(_is_matrix(a, ranks) for a in args):
            g, a, b = args
            if expr.func.value is matmul_left:
                return ir.BinOp(operator.matmul, g, ir.Attr(b, "T"))
            return ir.BinOp(operator.matmul, ir.Attr(a, "T"), g)
        return ir.Call(expr.func, args, kwargs)
    if isinstance(expr, ir.BinOp):
        return ir.BinOp(expr.op, _rewrite(expr.left, ranks), _rewrite(expr.right, ranks))
    if isinstance(expr, ir.UnaryOp):
        return ir.UnaryOp(expr.op, _rewrite(expr.operand, ranks))
    if isinstance(expr, ir.TupleExpr):
        return ir.TupleExpr(tuple(_rewrite(e, ranks) for e in expr.elts), expr.is_list)
    return expr


def _is_matrix(expr, ranks: dict) -> bool:
    """Is expr (an operand of a helper call) proved to have two dimensions?"""
    return _rank(expr, ranks, Facts()) == 2
