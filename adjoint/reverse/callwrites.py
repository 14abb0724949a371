"""Calls of user functions that write into an array argument, made writes of the caller.

`h(u, s)` with `def h(p, q): p[0] = q` (or `p += q`, `p[1:] *= 2`) changes the caller's
u. Left as a call, the caller's names would not follow the write (its gradient
bookkeeping is per name), so it becomes

    array_written(u, ...)                       # u is an array (checked when run)
    h_result, u_written = h_writes_p(u, s)      # h on a copy of u, returning that copy
    u[...] = u_written                          # the write, as the caller's own

(runtime/written_calls.py). The caller's backward then treats it like any `u[i] = v`: it
keeps what the write overwrote and puts it back, views of u made before it are made again
after it (refresh.py), and u_written's gradient goes back through h's pair, which is
compiled to return p's final value too (lowering/written.py). Only done where it is what
numpy does: h must not rebind p (other than by p op= v), must not call itself, its result
must never share memory with an argument (on a copy it would be another array), and no
other argument may share memory with u (h would see its own writes through it; on a copy
it would not). Not checked: h reading u through a module global (it would see u's old
values on the copy).
"""
from __future__ import annotations

from .. import ir
from ..errors import AdjointError
from ..lowering.frontend import parse_function
from ..lowering.written import can_return_written
from ..runtime.written_calls import WritesReturned, argument_written
from .calls import differentiable_through
from .memory import Memory, callee_arguments
from .vjp import calls_itself

ARGUMENT_WRITTEN = ir.Ref("argument_written", argument_written, (), argument_written)
EVERYTHING = ir.Const(Ellipsis)


def rewritable_writes(memory: Memory) -> dict:
    """id(call statement) -> its writes into arguments to make the caller's own: those of
    calls writing by x[i] = v only (a helper's p op= v rebinds p when it is a number,
    numpy's scalars included: refresh.py decides those when the code runs)."""
    out: dict = {}
    for write in memory.writes:
        if write.kind == "call":
            out.setdefault(id(write.stmt), []).append(write)
    return {key: writes for key, writes in out.items() if not any(w.by_op for w in writes)}


def returned_writes(stmt, writes: list, memory: Memory, namer) -> list | None:
    """The statements replacing the call `stmt`, or None where that would not be numpy's
    meaning (then the read after it stays refused, by aliases.py)."""
    call = stmt.value
    func = call.func.value
    params = tuple(sorted({w.param for w in writes}))
    if not differentiable_through(call) or isinstance(func, WritesReturned) or calls_itself(func):
        return None
    effects = memory.effects_of(func)
    if effects is None or not effects.fresh_result:
        return None  # (its result may be the argument: on a copy, it would be another array)
    try:
        node = parse_function(func).node
    except AdjointError:
        return None
    arguments = callee_arguments(call)
    if not can_return_written(node, params) or not _unshared(arguments, params, memory):
        return None
    returning = WritesReturned(func, params)
    origin = stmt.origin
    text = f"{origin}: {origin.text.strip()}" if origin else ""
    result = ir.Var(namer.fresh(f"{func.__name__}_result"), ir.Kind.TEMP)
    news = [ir.Var(namer.fresh(arguments[p].name + "_written"), ir.Kind.TEMP) for p in params]
    out = [ir.ExprStmt(ir.Call(ARGUMENT_WRITTEN, (arguments[p], ir.Const(f"{text} ({func.__name__} "
                                                                           f"writes into {p})"))), origin)
           for p in params if arguments[p] not in memory.arrays]  # (known arrays need no check)
    ref = ir.Ref(returning.__name__, returning, (), returning)
    out.append(ir.Assign((result,) + tuple(news), ir.Call(ref, call.args, call.kwargs), origin))
    out += [ir.SetItem(arguments[p], EVERYTHING, new, origin) for p, new in zip(params, news)]
    if isinstance(stmt, ir.Assign):  # after the writes: `u = h(u)` rebinds u to the result
        out.append(ir.Assign(stmt.target, result, origin))
    return out


def _unshared(arguments: dict, params: tuple, memory: Memory) -> bool:
    """Each written argument is a name whose memory no other argument may share."""
    for p in params:
        if not isinstance(arguments.get(p), ir.Var):
            return False
        own = memory.owned(arguments[p])
        for q, given in arguments.items():
            if q != p and any(memory.of(v) & own for v in _vars(given)):
                return False
    return True


def _vars(given) -> list:
    if isinstance(given, tuple):  # what *args gathered
        return [v for item in given for v in ir.vars_in(item)]
    if isinstance(given, dict):  # what **kwargs gathered
        return [v for item in given.values() for v in ir.vars_in(item)]
    return ir.vars_in(given)
